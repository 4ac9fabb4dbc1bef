"""The Celery application. Tasks only wake services up; the database holds the truth."""

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# redis:// and rediss:// (TLS as before) get kombu's Redis transport with the fix that keeps a
# worker alive when Redis drops (config/redis_transport.py), in every process that loads config.
TRANSPORT_ALIASES.update(
    redis="config.redis_transport:Transport", rediss="config.redis_transport:Transport"
)

app = Celery("hotline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
