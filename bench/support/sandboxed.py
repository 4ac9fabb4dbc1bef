"""The service in this process with development settings, on a throwaway PostgreSQL database:
the sandbox's loopback-only rule is what lets it reach the stand-in servers a benchmark starts
(``sandbox``). DEBUG off, the broker in memory."""

import os
from contextlib import contextmanager
from pathlib import Path

from support.project import Database


@contextmanager
def sandboxed_service(workdir: Path, throwaway: str):
    """Yields the database, migrated; drops it (or empties a given one) at the end."""
    database = Database(throwaway)
    print(f"database: {database.name}", flush=True)
    database.create()
    os.environ |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database.url,
        "HOTLINE_VAR_DIR": str(workdir),
        "CELERY_BROKER_URL": "memory://",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", "--noinput", verbosity=0)
        database.check_empty()
        yield database
    finally:
        from django.db import connections

        connections.close_all()
        database.drop()
