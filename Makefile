# Two commands matter: `make run` and `make test`. Both build .venv from the pinned lock files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist); tests that need a port, var/ or a live worker take their own.
TEST_WORKERS ?= 2

.PHONY: venv run test lint bench clean

$(STAMP): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(STAMP)

# The embedded default: SQLite and Celery's filesystem transport under var/, demo data,
# web + worker + beat in one command. The worker (with beat) is started again whenever it
# exits (bin/keep-running). Ctrl-C stops all three.
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_data --base-url http://$(HOST):$(PORT)
	@bin/keep-running $(VENV)/bin/celery -A config worker --beat --loglevel=INFO --concurrency=2 \
	    --schedule=var/celerybeat-schedule & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	  $(PY) manage.py runserver --noreload $(HOST):$(PORT)

test: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf var .pytest_cache .ruff_cache .hypothesis
