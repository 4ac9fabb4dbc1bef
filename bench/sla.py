"""The per-provider SLA report on PostgreSQL at a million notices, against hand-written SQL.

Data (generated inside PostgreSQL: ``support/dataset.py`` for the reports and their notices,
``support/bulk.py`` for the outbox's items): BENCH_PROVIDERS providers and BENCH_NOTICES notices,
each with its report, sent over 12 months and two days up to now. Providers are skewed as in life
(the largest gets about 3 % of the notices, the smallest a few hundred) and so is their behaviour:
each has its own share of late removals (4 to 22 %) and of notices left online (1 to 5.5 %).
Per notice: 2 % withdrawn; otherwise removed within the deadline (most of them within hours),
removed late (up to 4 days after the deadline), or still online; those whose removal time lies
in the future are still running (open or overdue), so the last day gives pending notices. One
notice in 25 was on hold for 1 to 13 hours (``held_seconds``, and its deadline moved by as much).
Outbox items as the service records them: the notice itself, a reminder 4 hours before the deadline
when it had not been removed by then, and a repeat notice at the deadline and every 24 hours
after (at most 3) while it stayed online.

The period is the 12 months up to the last full hour, so it is judged as of its end, and the
figures do not change while the benchmark runs. Timed, in this process, with the project's
production settings (DEBUG off), warm (one run of each first), alternating (AB, BA, ...), median
of BENCH_REPEATS runs:

- ORM: ``reports.sla.figures.provider_figures(period, "provider")``, the function the API, the
  dashboard, the CSV and the command use.
- SQL: one hand-written query for the same figures (``HAND_SQL``): counts by outcome, compliance,
  ``percentile_cont`` median and 90th percentile of the time to removal minus the hold, repeat
  notices, median time to act. It aggregates by provider id and joins the names afterwards, and
  counts the repeats in one grouped pass over the outbox's items. Sent through the same connection
  and cursor as the ORM's query, and turned into the same rows (rounding as
  ``reports.sla.figures``).

Both must give the same figures for every provider (all are compared; a sample is printed):
the columns in FIELDS, the ones the hand-written query computes. The verification columns
(verified and claimed-only removals, contested claims, verified time to removal, re-appearances)
are left out: the generated notices have no checks and no re-check reports, so they would compare
only zeros and nulls; the ORM still computes them in the timed runs.
Targets: ORM at most 1 s, and at most 1.5 times the hand-written SQL. EXPLAIN (ANALYZE, BUFFERS)
of both queries is printed.

Environment (all optional):
  DATABASE_URL        PostgreSQL to use, without reports in it; what the run writes is removed
                      at the end. Default: a throwaway database hotline_bench_sla on
                      BENCH_POSTGRES_URL (postgresql://postgres@127.0.0.1:5432/postgres),
                      created at start and dropped at the end.
  BENCH_NOTICES       notices (1000000)
  BENCH_PROVIDERS     providers (1000)
  BENCH_REPEATS       timed runs of each (5)
  BENCH_TIME_LIMIT    seconds after which the run stops, cleans up and fails (900)

Exits 0 when the measurement succeeded, whatever the figures; 1 on an error or when the two
disagree.
"""

import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.bulk import bulk_load, vacuum_analyze
from support.dataset import cases_insert, providers_insert
from support.harness import BenchError, Server, bench_main, env_int
from support.project import Database, django_setup, server_env

THROWAWAY_DB = "hotline_bench_sla"
TARGET_SECONDS = 1.0
TARGET_RATIO = 1.5
SAMPLE = 8  # providers printed side by side

# Notice g: its provider by a skewed hash (index 1 gets ~3 % of the notices), its fate by another
# hash against its provider's own shares (per mille: 20 withdrawn, 10-55 online, 40-220 late,
# the rest within). Every 25th was on hold 1-13 h. A removal time after %(now)s has not
# happened yet: the notice is still running. Sent uniformly over [%(first_sent)s, %(now)s).
SPEC = """
SELECT g, k.provider_id,
       CASE s.status WHEN 'removed' THEN 'removed' WHEN 'overdue' THEN 'overdue'
                     WHEN 'open' THEN 'takedown_requested' ELSE 'actionable' END AS report_status,
       s.status AS notice_status,
       k.sent_at,
       f.deadline_at,
       CASE WHEN f.deadline_at - interval '4 hours' < coalesce(x.removed_at, %(now)s)
            THEN f.deadline_at - interval '4 hours' END AS reminder_sent_at,
       CASE s.status WHEN 'open' THEN f.deadline_at END AS due_at,
       x.removed_at,
       CASE WHEN s.status = 'withdrawn' THEN k.sent_at + interval '2 hours' END AS withdrawn_at
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g,
     LATERAL (SELECT least(cardinality(%(providers)s::bigint[]),
                           1 + floor(cardinality(%(providers)s::bigint[])
                                     * power(((g * 2654435761) %% 1000003) / 1000003.0, 2))::int)
                  AS idx) AS p,
     LATERAL (SELECT (%(providers)s::bigint[])[p.idx] AS provider_id,
                     (g * 40503) %% 1000 AS h,
                     10 + 5 * (p.idx %% 10) AS online_pm,
                     40 + 20 * ((p.idx / 10) %% 10) AS late_pm,
                     CASE WHEN g %% 25 = 0 THEN 3600 + (g * 31) %% 43200 ELSE 0 END AS held,
                     (g * 104729) %% 10007 AS v,
                     %(first_sent)s::timestamptz
                         + make_interval(secs => (g * 7919) %% %(span)s::bigint) AS sent_at) AS k,
     LATERAL (SELECT CASE WHEN k.h < 20 THEN 'withdrawn'
                          WHEN k.h < 20 + k.online_pm THEN 'online'
                          WHEN k.h < 20 + k.online_pm + k.late_pm THEN 'late'
                          ELSE 'within' END AS fate,
                     k.sent_at + make_interval(secs => 86400 + k.held) AS deadline_at) AS f,
     LATERAL (SELECT CASE f.fate
                  WHEN 'within' THEN k.sent_at
                      + make_interval(secs => k.held + (k.v * k.v * 86400) / (10007 * 10007))
                  WHEN 'late' THEN f.deadline_at
                      + make_interval(secs => 600 + (g * 15485863) %% 345600) END AS planned)
         AS r,
     LATERAL (SELECT CASE WHEN r.planned <= %(now)s THEN r.planned END AS removed_at) AS x,
     LATERAL (SELECT CASE WHEN f.fate = 'withdrawn' THEN 'withdrawn'
                          WHEN x.removed_at IS NOT NULL THEN 'removed'
                          WHEN f.deadline_at <= %(now)s THEN 'overdue'
                          ELSE 'open' END AS status) AS s
"""

# The same formula as the spec's: dataset.cases_insert writes held_seconds = 0.
HOLDS = """
UPDATE reports_notice SET held_seconds = 3600 + (id * 31) %% 43200
WHERE id %% 25 = 0 AND id BETWEEN %(first)s AND %(last)s
"""

# The outbox's items: what each notice was told, when it was decided (the messages that carried
# them play no part in the figures and are left out).
MESSAGES = """
INSERT INTO reports_messageitem (notice_id, kind, attempt, channel, target, created_at, dropped)
SELECT n.id, m.kind, m.attempt, 'email', 'abuse@bench.example.net', m.at, ''
FROM reports_notice AS n
CROSS JOIN LATERAL (VALUES ('notice', 0, n.sent_at),
                           ('reminder', 0, n.reminder_sent_at),
                           ('repeat', 1, n.deadline_at),
                           ('repeat', 2, n.deadline_at + interval '24 hours'),
                           ('repeat', 3, n.deadline_at + interval '48 hours'))
    AS m(kind, attempt, at)
WHERE n.sent_at IS NOT NULL AND m.at IS NOT NULL AND m.at <= %(now)s
  AND (m.kind <> 'repeat' OR (n.status <> 'withdrawn' AND m.at < coalesce(n.removed_at, %(now)s)))
"""

# The per-provider figures by hand. "removed": by the end of the period (NULL when not removed);
# "in_time": at or before the deadline; the percentiles are over the removed notices that had a
# deadline, i.e. within or late.
HAND_SQL = """
WITH repeats AS (
    SELECT notice_id, count(DISTINCT attempt) AS sent
    FROM reports_messageitem
    WHERE kind = 'repeat' AND created_at <= %(as_of)s
    GROUP BY notice_id
), cohort AS (
    SELECT n.provider_id,
           n.removed_at <= %(as_of)s AS removed,
           n.removed_at <= n.deadline_at AS in_time,
           n.deadline_at <= %(as_of)s AS due,
           extract(epoch FROM n.removed_at - n.handed_off_at) - n.held_seconds AS removal,
           extract(epoch FROM n.removed_at - r.received_at) AS act,
           rp.sent AS repeats
    FROM reports_notice AS n
    JOIN reports_report AS r ON r.id = n.report_id
    LEFT JOIN repeats AS rp ON rp.notice_id = n.id
    WHERE n.handed_off_at >= %(start)s AND n.handed_off_at < %(end)s AND n.status <> 'withdrawn'
), figures AS (
    SELECT provider_id,
           count(*) AS notices,
           count(*) FILTER (WHERE removed AND in_time) AS removed_within,
           count(*) FILTER (WHERE removed AND NOT in_time) AS removed_late,
           count(*) FILTER (WHERE removed IS NOT TRUE AND due) AS online_past_deadline,
           count(*) FILTER (WHERE removed IS NOT TRUE AND NOT due) AS pending,
           coalesce(sum(repeats), 0) AS repeat_notices,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY removal)
               FILTER (WHERE removed AND in_time IS NOT NULL) AS removal_median_seconds,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY removal)
               FILTER (WHERE removed AND in_time IS NOT NULL) AS removal_p90_seconds,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY act)
               FILTER (WHERE removed AND in_time IS NOT NULL) AS time_to_act_median_seconds
    FROM cohort
    GROUP BY provider_id
)
SELECT p.name AS "group", f.notices, f.removed_within, f.removed_late, f.online_past_deadline,
       f.pending, f.repeat_notices, f.removal_median_seconds, f.removal_p90_seconds,
       f.time_to_act_median_seconds
FROM figures AS f JOIN hotline_provider AS p ON p.id = f.provider_id
ORDER BY p.name
"""
COUNTS = ("notices", "removed_within", "removed_late", "online_past_deadline", "pending")
SECONDS = ("removal_median_seconds", "removal_p90_seconds", "time_to_act_median_seconds")
FIELDS = ("group", *COUNTS, "compliance_rate", *SECONDS[:2], "repeat_notices", SECONDS[2])


class Config:
    def __init__(self):
        self.notices = env_int("BENCH_NOTICES", 1_000_000)
        self.providers = env_int("BENCH_PROVIDERS", 1_000)
        self.repeats = env_int("BENCH_REPEATS", 5)
        self.load_at_start = os.getloadavg()[0]


# --- Loading ------------------------------------------------------------------------------------


def load(database: Database, config: Config, now: datetime, start: datetime) -> None:
    first_sent = start - timedelta(days=2)
    with database.connect() as conn:
        provider_ids = providers_insert(conn, config.providers)
        params = {
            "providers": provider_ids,
            "now": now,
            "first_sent": first_sent,
            "span": int((now - first_sent).total_seconds()),
            "first": 1,
            "last": config.notices,
        }
        rows, seconds = cases_insert(conn, SPEC, params)
        print(f"  {rows:,} reports with their notices in {seconds:.1f} s", flush=True)
        began = time.perf_counter()
        held = conn.execute(HOLDS, params).rowcount
        print(f"  {held:,} notices on hold, in {time.perf_counter() - began:.1f} s", flush=True)
        with bulk_load(conn, ("reports_messageitem",)) as timing:
            messages = conn.execute(MESSAGES, params).rowcount
        print(f"  {messages:,} message items in {timing['seconds']:.1f} s", flush=True)
        tables = ("reports_report", "reports_notice", "reports_messageitem", "hotline_provider")
        print(f"  VACUUM ANALYZE in {vacuum_analyze(conn, tables):.1f} s", flush=True)
        mix = conn.execute(
            """
            SELECT status, count(*), count(*) FILTER (WHERE held_seconds > 0)
            FROM reports_notice GROUP BY status ORDER BY status
            """
        ).fetchall()
        repeats = conn.execute(
            "SELECT count(*), count(DISTINCT notice_id) FROM reports_messageitem"
            " WHERE kind = 'repeat'"
        ).fetchone()
        largest = conn.execute(
            "SELECT max(c), min(c) FROM (SELECT count(*) AS c FROM reports_notice"
            " GROUP BY provider_id) AS x"
        ).fetchone()
    print(
        "  notices by status: "
        + ", ".join(f"{status} {count:,} ({held:,} held)" for status, count, held in mix)
        + f"\n  repeat items: {repeats[0]:,} for {repeats[1]:,} notices; notices per provider:"
        f" {largest[1]:,} to {largest[0]:,}",
        flush=True,
    )


# --- The two ways -------------------------------------------------------------------------------


def finish(row: dict) -> dict:
    """The hand-written query's row in ``provider_figures``' shape and rounding."""
    judged = row["removed_within"] + row["removed_late"] + row["online_past_deadline"]
    result = {name: row[name] for name in ("group", *COUNTS)}
    result["compliance_rate"] = round(row["removed_within"] / judged, 4) if judged else None
    for name in SECONDS:
        result[name] = None if row[name] is None else round(float(row[name]), 1)
    result["repeat_notices"] = int(row["repeat_notices"])
    return result


def hand_figures(params: dict) -> list[dict]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(HAND_SQL, params)
        names = [column.name for column in cursor.description]
        return [finish(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def orm_figures(period) -> list[dict]:
    from reports.sla.figures import provider_figures

    return provider_figures(period, "provider")


def compare(orm: list[dict], hand: list[dict]) -> list[str]:
    """Differences, field by field, over every provider (empty when they agree)."""
    problems = []
    if [row["group"] for row in orm] != [row["group"] for row in hand]:
        problems.append(f"groups differ: {len(orm)} from the ORM, {len(hand)} by hand")
    by_group = {row["group"]: row for row in hand}
    for row in orm:
        other = by_group.get(row["group"])
        if other is None:
            continue
        for name in FIELDS:
            if row[name] != other[name]:
                problems.append(f"{row['group']}: {name} {row[name]!r} (ORM) != {other[name]!r}")
    return problems


def timed(function, *args) -> tuple[float, object]:
    began = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - began, result


def measure(period, params: dict, repeats: int) -> dict:
    """Warm-up of each, then ``repeats`` runs of each in alternation (AB, BA, ...)."""
    runs = {"orm": (orm_figures, (period,)), "sql": (hand_figures, (params,))}
    times: dict[str, list[float]] = {name: [] for name in runs}
    results = {}
    for name, (function, args) in runs.items():
        seconds, results[name] = timed(function, *args)
        print(f"  warm-up, {name}: {seconds:.3f} s ({len(results[name])} groups)", flush=True)
    for number in range(repeats):
        order = list(runs) if number % 2 == 0 else list(runs)[::-1]
        for name in order:
            function, args = runs[name]
            seconds, _ = timed(function, *args)
            times[name].append(seconds)
    for name in runs:
        print(f"  {name}: " + ", ".join(f"{1000 * s:.0f}" for s in times[name]) + " ms", flush=True)
    return {
        "orm": statistics.median(times["orm"]),
        "sql": statistics.median(times["sql"]),
        "orm_rows": results["orm"],
        "sql_rows": results["sql"],
    }


def plans(period, params: dict) -> dict[str, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the ORM's statements and of the hand-written one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        orm_figures(period)
    # One grouped statement each for the figures, the repeat notices and the re-appearances.
    if len(queries) > 3:
        raise BenchError(f"provider_figures sent {len(queries)} statements, not at most 3")
    result = {"orm": []}
    with connection.cursor() as cursor:
        for query in queries:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            result["orm"] += [row[0] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + HAND_SQL, params)
        result["sql"] = [row[0] for row in cursor.fetchall()]
    result["orm_sql"] = [query["sql"] for query in queries]
    return result


# --- Report -------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "BELOW TARGET"


def print_sample(orm: list[dict], hand: list[dict]) -> None:
    by_group = {row["group"]: row for row in hand}
    step = max(1, len(orm) // SAMPLE)
    print(f"\n  a sample of {SAMPLE} providers (ORM row, then the hand-written query's):")
    print("    " + " | ".join(FIELDS))
    for row in orm[::step][:SAMPLE]:
        for source in (row, by_group.get(row["group"], {})):
            print("    " + " | ".join(str(source.get(name)) for name in FIELDS))


def print_summary(config: Config, figures: dict, period, problems: list[str]) -> None:
    orm, sql = figures["orm"], figures["sql"]
    ratio = orm / sql
    rows = figures["orm_rows"]
    total = sum(row["notices"] for row in rows)
    print(
        f"\n== Summary (PostgreSQL; this process; load average at start {config.load_at_start:.1f},"
        f" now {os.getloadavg()[0]:.1f}, on {os.cpu_count()} cores)\n"
        f"  period {period.start:%Y-%m-%d %H:%M} to {period.end:%Y-%m-%d %H:%M} UTC:"
        f" {total:,} notices in the cohort, {len(rows):,} providers\n"
        f'  provider_figures(period, "provider") (ORM), median of {config.repeats}:'
        f" {1000 * orm:8.1f} ms   target <= {1000 * TARGET_SECONDS:.0f} ms:"
        f" {verdict(orm <= TARGET_SECONDS)}\n"
        f"  hand-written SQL, median of {config.repeats}:"
        f"{'':>23}{1000 * sql:8.1f} ms\n"
        f"  ratio ORM / SQL:{'':>45}{ratio:8.2f}      target <= {TARGET_RATIO}:"
        f"    {verdict(ratio <= TARGET_RATIO)}\n"
        f"  same figures for all {len(rows):,} providers: {'yes' if not problems else 'NO'}",
        flush=True,
    )


def run(config: Config, workdir: Path) -> bool:
    database = Database(THROWAWAY_DB)
    # Not started: it only lends its production environment (and manage.py) to this process.
    server = Server(database, workdir, workers=1, threads=1)
    env = server_env(server)
    print(f"database: {database.name}", flush=True)
    database.create()
    try:
        began = time.perf_counter()
        server.manage("migrate", "--noinput")
        database.check_empty()
        database.remember_chain_head()
        print(f"  migrated in {time.perf_counter() - began:.1f} s", flush=True)
        now = datetime.now(UTC)
        end = now.replace(minute=0, second=0, microsecond=0)
        start = end - timedelta(days=365)
        print(
            f"\n== Data: {config.notices:,} notices of {config.providers:,} providers,"
            f" sent {start - timedelta(days=2):%Y-%m-%d} to {now:%Y-%m-%d %H:%M}",
            flush=True,
        )
        load(database, config, now, start)
        django_setup(env)
        from reports.sla.figures import hotline_figures
        from reports.sla.period import Period

        period = Period(start, end)
        params = {"start": start, "end": end, "as_of": period.as_of}
        print(f"\n== Timing, {config.repeats} runs each after a warm-up", flush=True)
        figures = measure(period, params, config.repeats)
        problems = compare(figures["orm_rows"], figures["sql_rows"])
        print_sample(figures["orm_rows"], figures["sql_rows"])
        if problems:
            print(f"\n  {len(problems)} differences, e.g.:")
            for problem in problems[:20]:
                print(f"    {problem}")
        seconds, _ = timed(hotline_figures, period)
        print(f"\n  (info) hotline_figures(period), the hotline's side, one run: {seconds:.2f} s")
        explained = plans(period, params)
        print("\n  the ORM's statement:")
        for line in explained["orm_sql"]:
            print(f"    {line}")
        for name, label in (("orm", "the ORM's statement"), ("sql", "the hand-written query")):
            print(f"\n  EXPLAIN (ANALYZE, BUFFERS), {label}:")
            for line in explained[name]:
                print(f"    {line}")
        from django.db import connections

        connections.close_all()
    finally:
        database.drop()
    print_summary(config, figures, period, problems)
    return not problems


def checked_run(workdir: Path) -> None:
    if not run(Config(), workdir):
        raise BenchError("the ORM and the hand-written SQL disagree")


def main() -> int:
    return bench_main("sla.py", checked_run, time_limit=900)


if __name__ == "__main__":
    sys.exit(main())
