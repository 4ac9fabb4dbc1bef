# Hotline production image. One image for every role: the default CMD is the gunicorn web
# server; docker-compose.yml runs the migrations, the Celery worker and beat from the same image.
# Configuration comes only from the environment (README: environment variables).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# An unprivileged user with a home (gunicorn puts its control socket under ~/.gunicorn).
RUN groupadd --system --gid 10001 hotline \
 && useradd --system --uid 10001 --gid hotline --create-home --home-dir /home/hotline \
      --shell /usr/sbin/nologin hotline

WORKDIR /app

# The lock file with every pin, installed before the code so code changes reuse this layer.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

# Static files are collected into the image (WhiteNoise serves them). Production settings refuse
# to import without SECRET_KEY, ALLOWED_HOSTS and the service URLs: throwaway values for this RUN
# line only, never kept in the image. HOTLINE_VAR_DIR keeps the embedded defaults' folders out.
ENV STATIC_ROOT=/app/staticfiles
RUN HOTLINE_ENV=production \
    SECRET_KEY=collectstatic-at-build-time-only-not-a-secret \
    HOTLINE_AUDIT_SIGNING_KEY=collectstatic-at-build-time-only-not-a-key \
    HOTLINE_SECRETS_KEY=collectstatic-at-build-time-only-not-a-key \
    ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=sqlite:////tmp/hotline-build/unused.sqlite3 \
    CELERY_BROKER_URL=memory:// \
    CACHE_URL=locmemcache://build \
    HOTLINE_VAR_DIR=/tmp/hotline-build \
    python manage.py collectstatic --noinput --verbosity 0 \
 && rm -rf /tmp/hotline-build \
 && python -m compileall -q .

ENV HOTLINE_ENV=production \
    WEB_CONCURRENCY=2

# The code and static files stay owned by root: the service user can read, not change them.
USER 10001:10001

EXPOSE 8000

# /healthz answers 200 when the database and the broker answer. Production redirects plain HTTP
# (SECURE_SSL_REDIRECT), so the probe says it came through the TLS proxy (X-Forwarded-Proto,
# which settings trust) and sends the first ALLOWED_HOSTS entry as Host ("*" or none: localhost).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request as u; hosts = [h.strip().lstrip('.') for h in os.environ.get('ALLOWED_HOSTS', '').split(',') if h.strip() not in ('', '*')]; req = u.Request('http://127.0.0.1:8000/healthz/live', headers={'Host': hosts[0] if hosts else 'localhost', 'X-Forwarded-Proto': 'https'}); sys.exit(0 if u.urlopen(req, timeout=8).status == 200 else 1)"]

# gunicorn reads WEB_CONCURRENCY itself for the number of workers. No access log, ever: the
# reporter's IP address must never be stored or logged. The error log stays on stderr at
# "error": gunicorn's warning for a malformed request names the client's address.
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm", "--log-level", "error"]
