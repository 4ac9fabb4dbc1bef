# Two commands matter: `make run` and `make test`. Both build .venv from the pinned lock files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist); tests that need a port, var/ or a live worker take their own.
TEST_WORKERS ?= 2

.PHONY: venv run test lint bench messages clean

$(STAMP): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(STAMP)

# The embedded default: SQLite and Celery's filesystem transport under var/, demo data, the
# stand-in DNS, RDAP, web and webhook servers (python -m sandbox), web + the default worker (with
# beat) + the delivery, lookups and probes workers in one command. Workers are started again whenever
# they exit (bin/keep-running). Ctrl-C stops them all.
# The demo checks URLs every few minutes (production: every 4 hours), so that a removal made
# with `python -m sandbox page URL 404` is verified while you watch.
run: export HOTLINE_CHECK_INTERVAL ?= 2m
run: export HOTLINE_GONE_SPACING ?= 1m
# Notices to one provider within a minute go as one e-mail (production default: 5 minutes).
run: export HOTLINE_NOTICE_GROUP_WINDOW ?= 1m
# Notices and answer links name the address this serves (unless HOTLINE_PUBLIC_URL is given).
run: export HOTLINE_PUBLIC_URL ?= http://$(HOST):$(PORT)
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_data --base-url $(HOTLINE_PUBLIC_URL)
	@rm -f var/sandbox/ready; $(PY) -m sandbox --dir var/sandbox serve & sandbox=$$!; \
	  for i in $$(seq 100); do [ -f var/sandbox/ready ] && break; sleep 0.1; done; \
	  bin/keep-running $(VENV)/bin/celery -A config worker --beat -Q celery --loglevel=INFO \
	    --concurrency=2 --schedule=var/celerybeat-schedule -n default@%h & worker=$$!; \
	  bin/keep-running $(VENV)/bin/celery -A config worker -Q delivery --loglevel=INFO \
	    --concurrency=2 -n delivery@%h & delivery=$$!; \
	  bin/keep-running $(VENV)/bin/celery -A config worker -Q lookups --loglevel=INFO \
	    --concurrency=2 -n lookups@%h & lookups=$$!; \
	  bin/keep-running $(VENV)/bin/celery -A config worker -Q probes --loglevel=INFO \
	    --concurrency=2 -n probes@%h & probes=$$!; \
	  trap 'kill $$worker $$delivery $$lookups $$probes $$sandbox 2>/dev/null; wait' EXIT INT TERM; \
	  $(PY) manage.py runserver --noreload $(HOST):$(PORT)

test: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

# The translations (README, "Languages"): collect every marked string into
# locale/<language>/LC_MESSAGES/django.po (new ones empty, which shows them in English), then
# compile the .mo files. The .mo files are committed: they are what runs. Needs GNU gettext.
TRANSLATED_LANGUAGES := nl de fr
messages: $(STAMP)
	$(PY) manage.py makemessages $(addprefix -l ,$(TRANSLATED_LANGUAGES)) --no-obsolete \
	  --add-location=file --ignore=tests --ignore=bench --ignore=sandbox --ignore=docs --ignore=var
	$(PY) manage.py compilemessages --ignore='.*' --ignore=var

clean:
	rm -rf var .pytest_cache .ruff_cache .hypothesis
