"""The deadline sweep on PostgreSQL: its throughput, and that its query follows what is due.

Data: BENCH_PROVIDERS providers and two data sets of running notices (each notice with its
report, in ``takedown_requested``), generated inside PostgreSQL (``support/dataset.py``). The
large one, in the project's tables, holds BENCH_NOTICES notices, BENCH_DUE of them due: their
deadline passed an hour or two ago and the reminder went out, so each turns overdue and gets its
first repeat notice. The others are open, their next moment (the reminder) an hour or more
ahead. The small one, in schema bench_small (copies of the two tables with the same indexes
under the same names), holds just the same BENCH_DUE due notices, to the microsecond.

1. The due query alone: the queryset the sweep runs, built by the sweep's own
   ``reports.deadlines.due_notices`` (``Notice.objects.filter(due_at__lte=now)
   .select_for_update(skip_locked=True, of=("report",))``...), on both data sets in alternation
   (the search_path picks one: AB, BA, ...), so that drift and outside load hit both alike.
   Timed as the sweep runs it (one batch of HOTLINE_SWEEP_BATCH, through the ORM, in a
   transaction then rolled back so the row locks go), also with a cut-off that leaves only
   BENCH_FEW_DUE due (fewer than a batch: the steady state), and for the whole due set at once
   (no LIMIT; the sweep never sends that). Median of BENCH_REPEATS runs each, and the median
   server-side time of as many EXPLAIN ANALYZE, whose plan shows the indexes used. The ratio
   (1,000,000 open / 10,000 open) should stay at most 1.5: the cost follows what is due.
2. The sweep: ``reports.deadlines.sweep_due()`` in this process on the large data set, with the
   project's production settings (DEBUG off), mail in Django's locmem backend and the Celery
   broker in memory. Pass 1 fires every due notice (overdue, its repeat recorded as an outbox
   item, the delivery queue kicked); no worker runs, so pass 2 is the delivery queue's task
   (``reports.outbox.outbox_drain``, apart from the sweep) run until nothing is left, its group
   window set to zero: it groups the repeats into one message per provider and sends them.
   Then idle sweeps (nothing due, nothing left to deliver).

About 6 minutes on an idle 2-core machine, most of it the sweep (~25 ms of CPU per notice).

Environment (all optional):
  DATABASE_URL          PostgreSQL to use, without reports in it; what the run writes is
                        removed at the end. Default: a throwaway database hotline_bench_deadlines
                        on BENCH_POSTGRES_URL (postgresql://postgres@127.0.0.1:5432/postgres),
                        created at start and dropped at the end.
  BENCH_NOTICES         running notices in the large data set (1000000)
  BENCH_DUE             due notices (10000), also the size of the small data set
  BENCH_FEW_DUE         due notices in the steady-state variant of the query (100)
  BENCH_PROVIDERS       providers (1000)
  BENCH_REPEATS         timed runs of the batch query per data set (25; a quarter of that
                        for the whole due set)
  BENCH_TIME_LIMIT      seconds after which the run stops, cleans up and fails (1800)

Exits 0 when the measurement succeeded, whatever the ratio; 1 on an error, or when the sweep did
not fire every due notice exactly once.
"""

import contextlib
import os
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql
from support.dataset import (
    cases_insert,
    clone_tables,
    drop_schema,
    providers_insert,
    vacuum_analyze,
)
from support.harness import BenchError, Server, bench_main, env_int, machine_ticks, process_cpu
from support.project import Database, django_setup, server_env

THROWAWAY_DB = "hotline_bench_deadlines"
SMALL_SCHEMA = "bench_small"  # the small data set, beside the large one
TARGET = 1.5

# Notice g is due when g <= %(due)s: its deadline passed 1-2 hours ago and the reminder went out
# (due_at = deadline_at). Otherwise it was sent within the last 19 hours; its next moment is the
# reminder, 4 hours before its 24-hour deadline, so at least an hour ahead.
SPEC = """
SELECT g,
       (%(providers)s::bigint[])[1 + g %% cardinality(%(providers)s::bigint[])] AS provider_id,
       'takedown_requested' AS report_status,
       'open' AS notice_status,
       t.sent_at,
       t.sent_at + interval '24 hours' AS deadline_at,
       CASE WHEN g <= %(due)s THEN t.sent_at + interval '20 hours' END AS reminder_sent_at,
       t.sent_at + CASE WHEN g <= %(due)s THEN interval '24 hours' ELSE interval '20 hours' END
           AS due_at,
       NULL::timestamptz AS removed_at,
       NULL::timestamptz AS withdrawn_at
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g,
     LATERAL (SELECT %(now)s::timestamptz - CASE
                  WHEN g <= %(due)s THEN interval '25 hours' + make_interval(secs => g %% 3600)
                  ELSE make_interval(secs => (g * 7919) %% (19 * 3600)) END AS sent_at) AS t
"""


class Config:
    def __init__(self):
        self.notices = env_int("BENCH_NOTICES", 1_000_000)
        self.due = env_int("BENCH_DUE", 10_000)
        self.providers = env_int("BENCH_PROVIDERS", 1_000)
        self.repeats = env_int("BENCH_REPEATS", 25)
        self.few = env_int("BENCH_FEW_DUE", 100)
        self.load_at_start = os.getloadavg()[0]
        if not self.few <= self.due < self.notices:
            raise BenchError("BENCH_FEW_DUE <= BENCH_DUE < BENCH_NOTICES, please.")


# --- Loading ------------------------------------------------------------------------------------


def load(database: Database, search_path: str, params: dict, first: int, last: int) -> None:
    with database.connect() as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.SQL(search_path)))
        rows, seconds = cases_insert(conn, SPEC, params | {"first": first, "last": last})
        began = time.perf_counter()
        vacuum_analyze(conn)
    print(
        f"  loaded {rows:,} reports with their notices in {seconds:.1f} s"
        f" (VACUUM ANALYZE {time.perf_counter() - began:.1f} s)",
        flush=True,
    )


# --- The due query ------------------------------------------------------------------------------

EXECUTION_TIME = re.compile(r"Execution Time: ([\d.]+) ms")
SCANS = re.compile(
    r"((?:Index|Index Only) Scan(?: Backward)? using \S+ on \S+"
    r"|Bitmap Index Scan on \S+|Seq Scan on \S+)"
)
VARIANTS = ("batch", "few", "all")


class DueQuery:
    """The sweep's due query, built by the sweep's own function, timed without firing anything.

    Two data sets live side by side: the small one in schema SMALL_SCHEMA (same tables, indexes
    and names), the large one where the project's tables are; the connection's search_path picks
    one, so runs on both alternate (AB, BA, ...) and drift or outside load hit both alike.

    Three variants: one batch as the sweep sends it (LIMIT HOTLINE_SWEEP_BATCH) with every due
    notice due; the same with a cut-off that leaves only ``few`` due, fewer than a batch (the
    steady state: a sweep every 30 s finds a handful); and the whole due set without LIMIT (not
    what the sweep sends: it shows what the planner does when it has to read every due row).
    """

    def __init__(self, batch: int, few: int, paths: dict[str, str]):
        from reports.deadlines import due_notices

        self.batch = batch
        self.few = few
        self.paths = paths  # data set -> search_path
        self.due_notices = due_notices

    def use(self, data_set: str) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f"SET search_path TO {self.paths[data_set]}")

    def variants(self, due: int) -> list[tuple[str, bool, datetime, int]]:
        """(name, limited, cut-off, notices it must find) of each variant."""
        from django.utils import timezone

        from reports.models import Notice

        dated = Notice.objects.filter(due_at__isnull=False).order_by("due_at", "id")
        few_cutoff = dated.values_list("due_at", flat=True)[self.few - 1]
        few_due = Notice.objects.filter(due_at__lte=few_cutoff).count()  # ties included
        now = timezone.now()
        return [
            ("batch", True, now, min(self.batch, due)),
            ("few", True, few_cutoff, min(self.batch, few_due)),
            ("all", False, now, due),
        ]

    def queryset(self, limited: bool, now: datetime):
        qs = self.due_notices(now, exclude=[])
        return qs[: self.batch] if limited else qs

    def sql(self) -> str:
        from django.db import transaction
        from django.utils import timezone

        with transaction.atomic():  # FOR UPDATE compiles only inside a transaction
            return str(self.queryset(True, timezone.now()).query)

    def run(self, limited: bool, now: datetime) -> int:
        """Evaluate it as the sweep does (in a transaction), then roll back: locks released."""
        from django.db import transaction

        with transaction.atomic():
            ids = [notice.pk for notice in self.queryset(limited, now)]
            transaction.set_rollback(True)
        return len(ids)

    def explain(self, limited: bool, now: datetime) -> str:
        from django.db import transaction

        with transaction.atomic():
            plan = self.queryset(limited, now).explain(analyze=True, buffers=True)
            transaction.set_rollback(True)
        return plan

    def measure(self, repeats: int, due: int) -> dict:
        """Per data set and variant: median wall and server times (ms), the last plan."""
        self.use("small")
        variants = self.variants(due)
        result: dict = {data_set: {} for data_set in self.paths}
        for name, limited, now, want in variants:
            count = repeats if limited else repeats // 4 + 1  # the whole set is slow
            walls: dict = {data_set: [] for data_set in self.paths}
            plans: dict = {data_set: [] for data_set in self.paths}
            for number in range(2 + count):  # two warm-ups
                order = list(self.paths) if number % 2 == 0 else list(self.paths)[::-1]
                for data_set in order:
                    self.use(data_set)
                    began = time.perf_counter()
                    got = self.run(limited, now)
                    wall = 1000 * (time.perf_counter() - began)
                    if got != want:
                        raise BenchError(
                            f"the due query ({name}, {data_set}) found {got} notices, not {want}"
                        )
                    if number >= 2:
                        walls[data_set].append(wall)
                        plans[data_set].append(self.explain(limited, now))
            for data_set in self.paths:
                servers = [float(EXECUTION_TIME.search(p).group(1)) for p in plans[data_set]]
                result[data_set][name] = {
                    "wall": statistics.median(walls[data_set]),
                    "server": statistics.median(servers),
                    "plan": plans[data_set][-1],
                    "repeats": count,
                    "found": want,
                }
        self.use("large")
        return result


def plan_summary(plan: str) -> str:
    used = list(dict.fromkeys(SCANS.findall(plan)))
    return "; ".join(used) or "(no scan found)"


def print_plan(label: str, plan: str) -> None:
    print(f"  EXPLAIN (ANALYZE, BUFFERS), {label}:")
    for line in plan.splitlines():
        print(f"    {line}")


def variant_label(name: str, found: int) -> str:
    return {
        "batch": f"sweep's batch, {found:>6,} of the due",
        "few": f"sweep's batch, {found:>6,} due only",
        "all": f"all {found:>6,} due at once (info)",
    }[name]


def measure_due_query(query: DueQuery, config: Config) -> dict:
    before = machine_ticks()
    result = query.measure(config.repeats, config.due)
    result["busy"] = busy_share(before, machine_ticks())
    for name in VARIANTS:
        for data_set, open_count in (("small", config.due), ("large", config.notices)):
            figures = result[data_set][name]
            print(
                f"  {open_count:>9,} open, {variant_label(name, figures['found'])}: median of"
                f" {figures['repeats']:>2} {figures['wall']:8.2f} ms through the ORM,"
                f" {figures['server']:8.2f} ms in PostgreSQL  [{plan_summary(figures['plan'])}]",
                flush=True,
            )
    return result


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    return (after[0] - before[0]) / max(1, after[1] - before[1])


# --- The sweep ----------------------------------------------------------------------------------


class QueryCounter:
    """Counts the SQL statements Django sends (an execute wrapper: no debug cursor needed)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed(run) -> dict:
    """One call of ``run`` (a sweep or a redelivery): its result, time, statements, CPU."""
    from django.db import connection

    connection.ensure_connection()
    backend = connection.connection.info.backend_pid
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        ticks, cpu, db_cpu = machine_ticks(), time.process_time(), process_cpu([backend])
        began = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - began
    return {
        "result": result,
        "seconds": seconds,
        "statements": counter.count,
        "cpu": time.process_time() - cpu,  # this process: the Python side
        "db_cpu": process_cpu([backend]) - db_cpu,  # its PostgreSQL backend
        "busy": busy_share(ticks, machine_ticks()),
    }


def print_pass(label: str, unit: str, count: int, sweep: dict) -> None:
    print(
        f"  {label}: {count:,} {unit} in {sweep['seconds']:.1f} s ="
        f" {count / sweep['seconds']:,.1f} {unit}/s; per one: {sweep['statements'] / count:.1f}"
        f" SQL statements, CPU {1000 * sweep['cpu'] / count:.1f} ms Python +"
        f" {1000 * sweep['db_cpu'] / count:.1f} ms PostgreSQL; cores {sweep['busy']:.0%} busy",
        flush=True,
    )


def drain_all(outbox) -> dict:
    """The delivery queue's task, run until nothing is left: each run forms what waits and
    attempts up to HOTLINE_DELIVERY_BATCH messages (then it would kick itself again)."""
    formed, sent, runs = 0, 0, 0
    while True:
        result = outbox.outbox_drain(window=timedelta(0))
        runs += 1
        formed += result.formed
        sent += result.outcomes.get("sent", 0)
        if set(result.outcomes) - {"sent"}:
            raise BenchError(f"drain run {runs}: {result.summary()}")
        if not result.outcomes:
            return {"formed": formed, "sent": sent, "runs": runs}


def run_sweep(config: Config) -> dict:
    from django.core import mail

    from reports import deadlines, outbox
    from reports.models import MessageItem, Notice, OutgoingMessage

    mail.outbox = []
    fire = timed(deadlines.sweep_due)
    fired = fire["result"]
    if fired.failed or fired.notices != {"overdue": config.due}:
        raise BenchError(f"pass 1 fired {fired.notices}, failed {fired.failed[:10]}")
    overdue = Notice.objects.filter(status=Notice.Status.OVERDUE).count()
    repeats = MessageItem.objects.filter(kind=MessageItem.Kind.REPEAT).count()
    if overdue != config.due or repeats != config.due:
        raise BenchError(f"after pass 1: {overdue} overdue notices, {repeats} repeat items")
    print_pass("pass 1, fire (overdue + repeat recorded)", "notices", config.due, fire)

    deliver = timed(lambda: drain_all(outbox))
    drained = deliver["result"]
    unsent = MessageItem.objects.exclude(message__status=OutgoingMessage.Status.SENT).count()
    messages = OutgoingMessage.objects.filter(kind=OutgoingMessage.Kind.REPEAT).count()
    if unsent or drained["sent"] != messages or len(mail.outbox) != messages:
        raise BenchError(
            f"pass 2 sent {drained['sent']} of {messages} messages; {unsent} repeats unsent,"
            f" {len(mail.outbox)} in the mail outbox"
        )
    print(
        f"  pass 2: {config.due:,} repeats grouped into {messages:,} messages (one per provider"
        f" target) in {drained['runs']} drain runs",
        flush=True,
    )
    print_pass("pass 2, outbox drain sends the repeats  ", "notices", config.due, deliver)

    idle = []
    for _ in range(5):
        sweep = timed(deadlines.sweep_due)
        drain = outbox.outbox_drain(window=timedelta(0))
        if sweep["result"].notices or drain.formed or drain.outcomes:
            raise BenchError(f"an idle sweep still found work: {sweep['result'].summary()}")
        idle.append(1000 * sweep["seconds"])
    print(f"  idle sweep (nothing due): median of 5 {statistics.median(idle):.1f} ms", flush=True)
    return {
        "fire": config.due / fire["seconds"],
        "deliver": config.due / deliver["seconds"],
        "messages": messages / deliver["seconds"],
        "end_to_end": config.due / (fire["seconds"] + deliver["seconds"]),
        "cpu_ms": 1000
        * (fire["cpu"] + fire["db_cpu"] + deliver["cpu"] + deliver["db_cpu"])
        / config.due,
        "idle_ms": statistics.median(idle),
    }


# --- Main ---------------------------------------------------------------------------------------


def verdict(ratio: float) -> str:
    return "PASS" if ratio <= TARGET else "BELOW TARGET"


def print_summary(config: Config, due_query: dict, sweep: dict, batch: int) -> None:
    small, large = due_query["small"], due_query["large"]
    print(
        f"\n== Summary (PostgreSQL; the sweep in this process; load average at start"
        f" {config.load_at_start:.1f} on {os.cpu_count()} cores)\n"
        f"  due query (LIMIT {batch} but for 'at once')"
        f"   {config.due:>10,} open {config.notices:>10,} open   ratio (target <= {TARGET})"
    )
    for name in VARIANTS:
        for side, where in (("wall", "ORM"), ("server", "server")):
            a, b = small[name][side], large[name][side]
            label = f"{variant_label(name, small[name]['found'])}, {where}"
            print(f"  {label:<44} {a:9.2f} ms {b:11.2f} ms   {b / a:6.2f}  {verdict(b / a)}")
    print(
        f"  (cores busy during the query runs: {due_query['busy']:.0%}, this process and"
        " PostgreSQL included)\n"
        f"  sweep, fire (overdue + repeat recorded) {sweep['fire']:8,.1f} notices/s\n"
        f"  outbox delivery of the repeats          {sweep['deliver']:8,.1f} notices/s"
        f" ({sweep['messages']:,.1f} messages/s)\n"
        f"  fire and deliver, end to end            {sweep['end_to_end']:8,.1f} notices/s"
        f"  (CPU {sweep['cpu_ms']:.1f} ms per notice, Python + PostgreSQL)\n"
        f"  idle sweep over {config.notices:,} open       {sweep['idle_ms']:8.1f} ms",
        flush=True,
    )


def run(config: Config, workdir: Path) -> None:
    database = Database(THROWAWAY_DB)
    # Not started: it only lends its production environment (and manage.py) to this process.
    server = Server(database, workdir, workers=2, threads=1)
    env = server_env(server)
    print(f"database: {database.name}", flush=True)
    database.create()
    try:
        began = time.perf_counter()
        server.manage("migrate", "--noinput")
        database.check_empty()
        database.remember_chain_head()
        print(f"  migrated in {time.perf_counter() - began:.1f} s", flush=True)
        django_setup(env)
        from django.conf import settings

        batch = settings.HOTLINE_SWEEP_BATCH
        with database.connect() as conn:
            provider_ids = providers_insert(conn, config.providers)
            project_path = conn.execute("SHOW search_path").fetchone()[0]
            clone_tables(conn, SMALL_SCHEMA)
        paths = {"small": f"{SMALL_SCHEMA}, {project_path}", "large": project_path}
        # One "now" for both data sets: their due notices are the same rows, to the microsecond.
        params = {"providers": provider_ids, "due": config.due, "now": datetime.now(UTC)}

        print(f"\n== Data set 1 (schema {SMALL_SCHEMA}): {config.due:,} running notices, all due")
        load(database, paths["small"], params, 1, config.due)
        print(
            f"== Data set 2 (the project's tables): {config.notices:,} running notices, the same"
            f" {config.due:,} due",
            flush=True,
        )
        load(database, paths["large"], params, 1, config.notices)

        print("\n== The due query, on both data sets in alternation", flush=True)
        query = DueQuery(batch, config.few, paths)
        due_query = measure_due_query(query, config)
        print(f"\n  SQL of one batch, as the sweep sends it:\n    {query.sql()}")
        print_plan(f"one batch, {config.due:,} open", due_query["small"]["batch"]["plan"])
        print_plan(f"one batch, {config.notices:,} open", due_query["large"]["batch"]["plan"])

        print(f"\n== Sweep: {config.due:,} due of {config.notices:,}, batches of {batch}")
        sweep = run_sweep(config)
        from django.db import connections

        connections.close_all()
    finally:
        with contextlib.suppress(psycopg.Error), database.connect() as conn:
            drop_schema(conn, SMALL_SCHEMA)
        database.drop()
    print_summary(config, due_query, sweep, batch)


def main() -> int:
    return bench_main("deadlines.py", lambda workdir: run(Config(), workdir), time_limit=1800)


if __name__ == "__main__":
    sys.exit(main())
