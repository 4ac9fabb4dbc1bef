"""The project's settings plus the bare baseline view's route; nothing else changes.

The benchmark serves intake and its baseline from the same gunicorn processes, so both pass
through the same middleware, database settings and worker configuration.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.support.urls"
