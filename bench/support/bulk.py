"""Bulk loading into any of the project's tables, the way ``support.dataset`` loads its two.

``support.dataset.cases_insert`` loads reports with one notice each; the SLA and admin
benchmarks also need other shapes (reports without notices, messages, events). They write their
own ``INSERT ... SELECT ... FROM generate_series`` (rows are made inside PostgreSQL: nothing
crosses the wire row by row) inside ``bulk_load``, which does what ``cases_insert`` does around
its inserts: one transaction, secondary indexes and unique constraints dropped and rebuilt from
their catalog definitions, foreign-key triggers skipped where the role may, and the id sequences
moved past the explicit ids.
"""

import contextlib
import time
from collections.abc import Iterator

import psycopg

from support.dataset import _rebuildable


@contextlib.contextmanager
def bulk_load(conn: psycopg.Connection, tables: tuple[str, ...]) -> Iterator[dict]:
    """A transaction in which ``tables`` are bulk-loaded; yields a dict that gets ``seconds``."""
    timing: dict = {}
    began = time.perf_counter()
    with conn.transaction():
        conn.execute("SET LOCAL synchronous_commit = off")
        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        # In a savepoint: refused without superuser rights, and then FK checks simply run.
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
        rebuild = _rebuildable(conn, tables)
        for drop, _ in rebuild:
            conn.execute(drop)
        yield timing
        for _, create in rebuild:
            conn.execute(create)
        for table in tables:  # later ORM inserts must not collide with explicit ids
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
    timing["seconds"] = time.perf_counter() - began


def vacuum_analyze(conn: psycopg.Connection, tables: tuple[str, ...]) -> float:
    """VACUUM (ANALYZE) each table, as autovacuum would leave them; the seconds it took."""
    began = time.perf_counter()
    for table in tables:
        conn.execute(f"VACUUM (ANALYZE) {table}")
    return time.perf_counter() - began
