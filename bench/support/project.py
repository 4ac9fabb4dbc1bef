"""The project's production settings for the notice benchmarks, in gunicorn and in this process.

Builds on ``support.harness``: the same throwaway-or-given database (under a name of each
benchmark's own, so that benchmarks never drop each other's database) and the same gunicorn
server, with what production additionally requires set to in-process stand-ins: the broker is
kombu's memory transport, the cache is per-process memory and mail goes to Django's locmem
backend. Nothing leaves 127.0.0.1.
"""

import os
import sys
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from support import harness
from support.dataset import providers_delete

UNLIMITED = "1000000/s"  # throttles stay in the request path but never refuse


class Database(harness.Database):
    """``harness.Database`` under the throwaway name ``throwaway``.

    With DATABASE_URL given, the end of the run removes what the run wrote: the harness empties
    the report tables and puts the audit chain head back as ``check_empty`` found it; this also
    removes the benchmark's providers (and their keys).
    """

    def __init__(self, throwaway: str):
        super().__init__()
        self.throwaway = throwaway
        if not self.given:
            self.url = urlsplit(self.admin_url)._replace(path=f"/{throwaway}").geturl()
            self.name = f"{throwaway} (throwaway)"

    def _admin(self, statement: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL(statement).format(sql.Identifier(self.throwaway)))

    def remember_chain_head(self) -> None:
        """Note the audit chain head (as ``check_empty`` does), for ``drop`` to put back."""
        with self.connect() as conn:
            if conn.execute("SELECT to_regclass('reports_auditchainhead')").fetchone()[0]:
                head = "SELECT seq, hash FROM reports_auditchainhead WHERE id = 1"
                self._chain_head = conn.execute(head).fetchone() or ()

    def drop(self) -> None:
        super().drop()
        if self.given:
            with self.connect() as conn:
                providers_delete(conn)


def server_env(server: harness.Server, settings_module: str | None = None, **extra) -> dict:
    """Complete the harness server's environment with what production requires."""
    server.env |= {
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "CELERY_BROKER_URL": "memory://",
        "CACHE_URL": "locmemcache://bench",
        "EMAIL_URL": "memorymail://",
        "HOTLINE_PROVIDER_RATE": UNLIMITED,
        **extra,
    }
    if settings_module:
        server.env["DJANGO_SETTINGS_MODULE"] = settings_module
    return server.env


def django_setup(env: dict) -> None:
    """Configure Django in this process with the server's settings (before any project import)."""
    os.environ.update(env)
    root = str(harness.ROOT)
    if root not in sys.path:
        sys.path.insert(0, root)
    import django

    django.setup()
