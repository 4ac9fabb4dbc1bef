"""Bulk data for the notice benchmarks: providers, and reports each with one notice.

Rows are generated inside PostgreSQL (``INSERT ... SELECT ... FROM generate_series``): nothing
crosses the wire row by row, so a million reports with their notices load in about a minute.
A benchmark describes its rows as a ``spec``: a SELECT over ``generate_series(%(first)s,
%(last)s) AS g`` giving, per row number ``g``, the columns in ``SPEC_COLUMNS``. It must be
deterministic (it is read twice: once for the reports, once for their notices). Report ``g``
and notice ``g`` both get the id ``g``.

For the load, the secondary indexes and unique constraints of the two tables are dropped and
then rebuilt from their own definitions (the catalog's), and foreign-key triggers are skipped where
the role may (``session_replication_role = replica``, superuser only): the rows are consistent by
construction. Everything runs in one transaction, so a failure leaves the schema as it was.
"""

import contextlib
import re
import time

import psycopg
from psycopg import sql

PROVIDER_PREFIX = "Bench provider"
BULK_TABLES = ("reports_report", "reports_notice")
# What a spec gives per row. Times are timestamptz; statuses are the models' values.
SPEC_COLUMNS = (
    "g",
    "provider_id",
    "report_status",
    "notice_status",
    "sent_at",
    "deadline_at",
    "reminder_sent_at",
    "due_at",
    "removed_at",
    "withdrawn_at",
)

INSERT_REPORTS = """
INSERT INTO reports_report (
    id, reference, submitted_url, canonical_url, url_sha256, host, channel, external_id,
    category, description, reporter_email, tracking_secret_hash, status, status_changed_at,
    claimed_at, assessed_at, not_actionable_reason, legal_status, industry_category, content_type,
    site_type, commerciality, hosting_country, forwarded_reference, status_before_hold,
    times_reported, received_at, provider_id
)
SELECT s.g,
       'BN' || lpad(s.g::text, 12, '0'),
       u.url, u.url, encode(sha256(convert_to(u.url, 'UTF8')), 'hex'), u.host, 'web', '',
       'abuse_imagery', '', '', '', s.report_status, coalesce(s.sent_at, %(now)s),
       s.sent_at - interval '2 hours', s.sent_at - interval '1 hour', '', 'baseline', 'A1',
       'image', 'image_host', 'non_commercial', 'NL', '', '',
       1, coalesce(s.sent_at, %(now)s) - interval '3 hours', s.provider_id
FROM ({spec}) AS s,
     LATERAL (SELECT 'img' || (s.g %% 5000) || '.host' || s.provider_id || '.example.net' AS host)
       AS h,
     LATERAL (SELECT h.host AS host, 'https://' || h.host || '/i/' || s.g || '.jpg' AS url) AS u
"""

INSERT_NOTICES = """
INSERT INTO reports_notice (
    id, uuid, report_id, provider_id, kind, status, created_at, created_by_label, scheduled_for,
    sent_at, deadline_at, policy, reminder_sent_at, acknowledged_at, removal_confirmed_at,
    removed_at, disputed_at, dispute_reason, withdrawn_at, withdrawal_reason, repeats_sent,
    escalated_at, held_seconds, due_at, handed_off_at
)
SELECT s.g, gen_random_uuid(), s.g, s.provider_id, 'voluntary', s.notice_status,
       coalesce(s.sent_at, %(now)s), 'bench', NULL,
       s.sent_at, s.deadline_at, 'default: 24h', s.reminder_sent_at, NULL, s.removed_at,
       s.removed_at, NULL, '', s.withdrawn_at, CASE WHEN s.withdrawn_at IS NULL THEN '' ELSE
       'bench' END, 0, NULL, 0, s.due_at, s.sent_at
FROM ({spec}) AS s
"""


def providers_insert(conn: psycopg.Connection, count: int) -> list[int]:
    """``count`` active providers named "Bench provider NNNN"; their ids in that order."""
    rows = conn.execute(
        """
        INSERT INTO hotline_provider (name, country, abuse_email, escalation_email,
                                      webhook_url, webhook_secret, deadline_hours, active,
                                      updated_at)
        SELECT %(prefix)s || ' ' || lpad(g::text, 4, '0'), 'NL',
               'abuse@p' || g || '.example.net', '', '', '', NULL, true, now()
        FROM generate_series(1, %(count)s) AS g
        ORDER BY g
        RETURNING id, name
        """,
        {"prefix": PROVIDER_PREFIX, "count": count},
    ).fetchall()
    return [pid for pid, _ in sorted(rows, key=lambda row: row[1])]


def providers_delete(conn: psycopg.Connection) -> None:
    """Remove the benchmark's providers (after their notices and reports are gone)."""
    conn.execute(
        "DELETE FROM hotline_providerapikey WHERE provider_id IN"
        " (SELECT id FROM hotline_provider WHERE name LIKE %(p)s)",
        {"p": PROVIDER_PREFIX + " %"},
    )
    conn.execute(
        "DELETE FROM hotline_provider WHERE name LIKE %(p)s", {"p": PROVIDER_PREFIX + " %"}
    )


def _rebuildable(
    conn: psycopg.Connection, tables: tuple[str, ...] = BULK_TABLES
) -> list[tuple[sql.Composable, sql.Composable]]:
    """(drop, create) statements for the tables' secondary indexes and unique constraints.

    Everything but the primary keys: indexes that back no constraint are recreated from their
    own definition, unique constraints from theirs (a sorted build beats a million random
    insertions into a b-tree, e.g. of random UUIDs). ``tables``: the bulk tables by default.
    """
    tables = list(tables)
    statements = []
    for name, definition in conn.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index AS i
        WHERE i.indrelid = ANY (%s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
        """,
        (tables,),
    ):
        statements.append((sql.SQL("DROP INDEX {}").format(sql.SQL(name)), sql.SQL(definition)))
    for table, name, definition in conn.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint
        WHERE conrelid = ANY (%s::regclass[]) AND contype = 'u'
        ORDER BY 1, 2
        """,
        (tables,),
    ):
        alter = sql.SQL("ALTER TABLE {} ").format(sql.SQL(table))
        statements.append(
            (
                alter + sql.SQL("DROP CONSTRAINT {}").format(sql.Identifier(name)),
                alter
                + sql.SQL("ADD CONSTRAINT {} ").format(sql.Identifier(name))
                + sql.SQL(definition),
            )
        )
    return statements


def cases_insert(conn: psycopg.Connection, spec: str, params: dict) -> tuple[int, float]:
    """Insert report ``g`` and notice ``g`` for every row of ``spec``; (rows, seconds).

    ``params`` fills the spec's placeholders and must hold ``now``, ``first`` and ``last``.
    """
    began = time.perf_counter()
    with conn.transaction():
        conn.execute("SET LOCAL synchronous_commit = off")
        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        # In a savepoint: refused without superuser rights, and then FK checks simply run.
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
        rebuild = _rebuildable(conn)
        for drop, _ in rebuild:
            conn.execute(drop)
        rows = conn.execute(INSERT_REPORTS.format(spec=spec), params).rowcount
        notices = conn.execute(INSERT_NOTICES.format(spec=spec), params).rowcount
        if notices != rows:
            raise RuntimeError(f"{rows} reports but {notices} notices")
        for _, create in rebuild:
            conn.execute(create)
        for table in BULK_TABLES:  # later ORM inserts must not collide with the explicit ids
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
    return rows, time.perf_counter() - began


def clone_tables(conn: psycopg.Connection, schema: str) -> None:
    """Empty copies of the bulk tables in a new ``schema``, for a second data set beside the first.

    Same columns, defaults, identity and checks, and every index and unique constraint under its
    own name and definition; no foreign keys (nothing else lives in ``schema``). A connection
    whose search_path starts with ``schema`` then sees these tables under the usual names.
    """
    name = sql.Identifier(schema)
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(name))
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(name))
    for table in BULK_TABLES:
        copy = sql.SQL("{}.{}").format(name, sql.Identifier(table))
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING IDENTITY"
                " INCLUDING CONSTRAINTS)"
            ).format(copy, sql.Identifier(table))
        )
        for constraint, definition in conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('p', 'u') ORDER BY contype",
            (table,),
        ):
            conn.execute(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                    copy, sql.Identifier(constraint)
                )
                + sql.SQL(definition)
            )
        for (definition,) in conn.execute(
            """
            SELECT pg_get_indexdef(i.indexrelid) FROM pg_index AS i
            WHERE i.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
            """,
            (table,),
        ):
            on = re.compile(r" ON (ONLY )?\S+ USING ")
            conn.execute(sql.SQL(on.sub(f" ON {schema}.{table} USING ", definition, count=1)))


def drop_schema(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def vacuum_analyze(conn: psycopg.Connection) -> None:
    """Statistics for the planner and a visibility map, as autovacuum would leave them."""
    for table in (*BULK_TABLES, "hotline_provider"):
        conn.execute(f"VACUUM (ANALYZE) {table}")
