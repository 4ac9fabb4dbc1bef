"""The provider list endpoint on PostgreSQL: latency, and queries per request that stay constant.

Data: BENCH_PROVIDERS providers and their notices, each with its report (generated inside
PostgreSQL, ``support/dataset.py``): the benchmark's provider has BENCH_OWN notices (mostly
closed, some open or overdue, a few scheduled and so not visible to it), the others share the
rest. Two table sizes, the provider's own notices the same in both: first BENCH_SMALL notices in
all, then BENCH_NOTICES.

1. Latency: the real app in gunicorn (2 gthread workers, production settings: DEBUG off, no
   access log, the provider throttle wide open through HOTLINE_PROVIDER_RATE) serves
   ``GET /api/v1/provider/notices/`` to BENCH_CLIENTS keep-alive clients with the provider's
   key; each client walks the provider's pages from the first to the last by following ``next``
   (cursor pagination) and starts over. p50 and p99 per page size (10, 50, 200) on the large
   table, page size 50 on the small one.
   Baseline, in the same gunicorn processes, alternating rounds with the endpoint (AB, BA...):
   a bare Django view (``support/provider_baseline.py``) answering the same pages with one raw
   SELECT and keyset pagination, no key, DRF or serializer. The ratio of the p50s is the cost of
   the API layers. The endpoint's own list SQL, sent alone through psycopg, is printed as well.
2. Queries per request, in this process: Django's test client (DRF's APIClient) against the same
   database, counted with ``CaptureQueriesContext``, for page sizes 10, 50 and 200 and a second
   page, on both table sizes. PASS when every count is the same.

Environment (all optional):
  DATABASE_URL        PostgreSQL to use, without reports in it; what the run writes is removed
                      at the end. Default: a throwaway database hotline_bench_provider_api on
                      BENCH_POSTGRES_URL (postgresql://postgres@127.0.0.1:5432/postgres),
                      created at start and dropped at the end.
  BENCH_NOTICES       notices in the large table (1000000)
  BENCH_SMALL         notices in the small table (10000)
  BENCH_PROVIDERS     providers (1000)
  BENCH_OWN           notices of the benchmark's provider (BENCH_NOTICES / BENCH_PROVIDERS)
  BENCH_SECONDS       measured seconds per endpoint and page size, over all rounds (10)
  BENCH_ROUNDS        alternating rounds the seconds are split into (2)
  BENCH_CLIENTS       concurrent keep-alive client threads (2: one per worker, so that no
                      request waits behind another in gunicorn; raise it to load the server)
  BENCH_THREADS       threads per gunicorn gthread worker (4)

Exits 0 when every request succeeded, whatever the figures; 1 on a failed request or an error.
"""

import http.client
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from support.dataset import cases_insert, providers_insert, vacuum_analyze
from support.harness import BenchError, CpuMeter, Outcome, Server, bench_main, env_int
from support.project import Database, django_setup, server_env

THROWAWAY_DB = "hotline_bench_provider_api"
WORKERS = 2
PAGE_SIZES = (10, 50, 200)
DEFAULT_PAGE = 50
ENDPOINT = "/api/v1/provider/notices/"
BARE = "/bench/provider-notices/{provider_id}/"
SQL_REPEATS = 300

# Notice g belongs to the benchmark's provider when g <= %(own)s, otherwise to one of the others.
# Its status follows a hash of g: 55 % removed, 10 % withdrawn, 18 % open (sent within the last
# 20 hours), 15 % overdue (sent 1 to 6 days ago), 2 % scheduled (not sent yet: sent_at is NULL,
# and the provider does not see it). Closed ones were sent within the last 90 days.
SPEC = """
SELECT g,
       CASE WHEN g <= %(own)s THEN %(mine)s::bigint
            ELSE (%(others)s::bigint[])[1 + g %% cardinality(%(others)s::bigint[])] END
           AS provider_id,
       CASE k.status WHEN 'open' THEN 'takedown_requested' WHEN 'overdue' THEN 'overdue'
                     WHEN 'removed' THEN 'removed' ELSE 'actionable' END AS report_status,
       k.status AS notice_status,
       t.sent_at,
       t.sent_at + interval '24 hours' AS deadline_at,
       CASE WHEN k.status <> 'scheduled' THEN t.sent_at + interval '20 hours' END
           AS reminder_sent_at,
       CASE k.status WHEN 'open' THEN t.sent_at + interval '24 hours'
                     WHEN 'overdue' THEN t.sent_at + interval '48 hours'
                     WHEN 'scheduled' THEN %(now)s::timestamptz + interval '1 hour' END AS due_at,
       CASE WHEN k.status = 'removed' THEN t.sent_at + interval '6 hours' END AS removed_at,
       CASE WHEN k.status = 'withdrawn' THEN t.sent_at + interval '2 hours' END AS withdrawn_at
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g,
     LATERAL (SELECT CASE WHEN h < 55 THEN 'removed' WHEN h < 65 THEN 'withdrawn'
                          WHEN h < 83 THEN 'open' WHEN h < 98 THEN 'overdue'
                          ELSE 'scheduled' END AS status
              FROM (SELECT (g * 2654435761) %% 100 AS h) AS x) AS k,
     LATERAL (SELECT %(now)s::timestamptz - CASE k.status
                  WHEN 'scheduled' THEN NULL
                  WHEN 'open' THEN make_interval(secs => (g * 7919) %% 72000)
                  WHEN 'overdue' THEN make_interval(secs => 86400 + (g * 7919) %% 432000)
                  ELSE make_interval(secs => (g * 7919) %% 7776000) END AS sent_at) AS t
"""


@dataclass(frozen=True)
class Config:
    notices: int = field(default_factory=lambda: env_int("BENCH_NOTICES", 1_000_000))
    small: int = field(default_factory=lambda: env_int("BENCH_SMALL", 10_000))
    providers: int = field(default_factory=lambda: env_int("BENCH_PROVIDERS", 1_000))
    own: int = field(
        default_factory=lambda: env_int(
            "BENCH_OWN",
            env_int("BENCH_NOTICES", 1_000_000) // env_int("BENCH_PROVIDERS", 1_000),
        )
    )
    seconds: int = field(default_factory=lambda: env_int("BENCH_SECONDS", 10))
    rounds: int = field(default_factory=lambda: env_int("BENCH_ROUNDS", 2))
    clients: int = field(default_factory=lambda: env_int("BENCH_CLIENTS", 2))
    threads: int = field(default_factory=lambda: env_int("BENCH_THREADS", 4))

    def check(self) -> None:
        if not (2 * max(PAGE_SIZES) < self.own < self.small < self.notices and self.providers > 1):
            raise BenchError(
                f"{2 * max(PAGE_SIZES)} < BENCH_OWN < BENCH_SMALL < BENCH_NOTICES and at least two"
                " providers, please."
            )


@dataclass
class Bench:
    config: Config
    database: Database
    server: Server
    meter: CpuMeter
    provider_id: int = 0
    others: list[int] = field(default_factory=list)
    key: str = ""
    visible: int = 0  # the provider's notices it can see


# --- Loading ------------------------------------------------------------------------------------


def load(bench: Bench, first: int, last: int) -> None:
    params = {
        "own": bench.config.own,
        "mine": bench.provider_id,
        "others": bench.others,
        "first": first,
        "last": last,
        "now": datetime.now(UTC),
    }
    with bench.database.connect() as conn:
        rows, seconds = cases_insert(conn, SPEC, params)
        began = time.perf_counter()
        vacuum_analyze(conn)
        total = conn.execute("SELECT count(*) FROM reports_notice").fetchone()[0]
        bench.visible = conn.execute(
            "SELECT count(*) FROM reports_notice WHERE provider_id = %s AND status = ANY(%s)",
            (bench.provider_id, ["open", "overdue", "removed", "withdrawn"]),
        ).fetchone()[0]
    print(
        f"  loaded {rows:,} reports with their notices in {seconds:.1f} s (VACUUM ANALYZE"
        f" {time.perf_counter() - began:.1f} s): {total:,} notices, {bench.visible:,} visible to"
        " the benchmark's provider",
        flush=True,
    )


# --- Load generator -----------------------------------------------------------------------------


def get(conn: http.client.HTTPConnection, path: str, headers: dict) -> tuple[int, bytes, float]:
    """One GET on a keep-alive connection (http.client reconnects if the server closed it)."""
    began = time.perf_counter()
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        payload = response.read()
    except (OSError, http.client.HTTPException):
        conn.close()
        raise
    return response.status, payload, time.perf_counter() - began


def first_page(bench: Bench, kind: str, page_size: int) -> str:
    base = ENDPOINT if kind == "endpoint" else BARE.format(provider_id=bench.provider_id)
    return f"{base}?page_size={page_size}"


def drive(bench: Bench, kind: str, page_size: int, seconds: float) -> Outcome:
    """Each client walks the provider's pages, first to last, and starts over, for ``seconds``."""
    outcome = Outcome()
    headers = {"Accept": "application/json"}
    if kind == "endpoint":
        headers["Authorization"] = f"Api-Key {bench.key}"
    start = first_page(bench, kind, page_size)
    deadline = time.perf_counter() + seconds

    def client(conn: http.client.HTTPConnection) -> None:
        path, seen = start, 0
        while time.perf_counter() < deadline:
            try:
                status, payload, latency = get(conn, path, headers)
            except (OSError, http.client.HTTPException) as exc:
                outcome.fail(f"{type(exc).__name__}: {exc}")
                path, seen = start, 0
                continue
            if status != 200:
                outcome.fail(f"HTTP {status} for {path}: {payload[:300]!r}")
                path, seen = start, 0
                continue
            page = json.loads(payload)
            seen += len(page["results"])
            if page["next"]:
                if len(page["results"]) != page_size:
                    outcome.fail(f"{len(page['results'])} results on a page of {page_size}")
                parts = urlsplit(page["next"])
                path = f"{parts.path}?{parts.query}"
            else:
                if seen != bench.visible:
                    outcome.fail(f"walked {seen} notices, not {bench.visible}")
                path, seen = start, 0
            outcome.record(latency)
        conn.close()

    connections = bench.server.connections(bench.config.clients)
    outcome.run_threads(bench.meter, client, [(c,) for c in connections], timeout=seconds + 120)
    return outcome


def measure_http(bench: Bench, page_size: int) -> dict[str, Outcome]:
    """Endpoint and bare view in alternating rounds (AB, BA, ...), after a warm-up of each."""
    config = bench.config
    results = {"endpoint": Outcome(), "bare": Outcome()}
    for kind in results:
        drive(bench, kind, page_size, 2).check(f"{kind} warm-up")
    for number in range(config.rounds):
        order = list(results) if number % 2 == 0 else list(results)[::-1]
        for kind in order:
            outcome = drive(bench, kind, page_size, config.seconds / config.rounds)
            outcome.check(f"{kind}, page_size {page_size}")
            results[kind].merge(outcome)
    return results


# --- In this process: queries per request, the list's SQL alone ---------------------------------


def count_queries(bench: Bench) -> tuple[dict[str, int], str, list[str]]:
    """Queries per request for each page size and a second page; the list's SQL; one example."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {bench.key}"}
    counts: dict[str, int] = {}
    list_sql, example = "", []
    for page_size in PAGE_SIZES:
        path = f"{ENDPOINT}?page_size={page_size}"
        for page, label in enumerate(
            (f"page_size {page_size}", f"page_size {page_size}, 2nd page")
        ):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path, **auth)
            expected = min(page_size, bench.visible - page * page_size)
            if response.status_code != 200 or len(response.data["results"]) != expected:
                raise BenchError(
                    f"test client: {label} answered {response.status_code} with"
                    f" {len(response.data.get('results', []))} notices, not {expected}"
                )
            counts[label] = len(queries)
            if page_size == DEFAULT_PAGE and not example:
                example = [query["sql"] for query in queries.captured_queries]
                list_sql = next(q for q in example if "LIMIT" in q and "reports_notice" in q)
            parts = urlsplit(response.data["next"])
            path = f"{parts.path}?{parts.query}"
    return counts, list_sql, example


def time_sql(bench: Bench, statement: str) -> dict:
    """The endpoint's own list SQL, sent alone through psycopg: latency and its plan."""
    with bench.database.connect() as conn:
        for _ in range(20):
            conn.execute(statement).fetchall()
        times = []
        for _ in range(SQL_REPEATS):
            began = time.perf_counter()
            conn.execute(statement).fetchall()
            times.append(1000 * (time.perf_counter() - began))
        plan = [row[0] for row in conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}")]
    times.sort()
    return {
        "p50": statistics.median(times),
        "p99": times[min(len(times) - 1, int(0.99 * len(times)))],
        "plan": plan,
    }


# --- Report -------------------------------------------------------------------------------------


def cpu_note(outcome: Outcome) -> str:
    if not outcome.cpu:
        return ""
    sides = ", ".join(
        f"{side} {outcome.cpu_per_item(side):.2f}" for side in ("server", "postgres", "client")
    )
    return f"CPU ms/request: {sides}; cores {outcome.cpu['busy']:.0%} busy"


def print_http(label: str, outcome: Outcome) -> None:
    print(
        f"  {label:<40} p50 {outcome.percentile(0.5):6.2f} ms  p99 {outcome.percentile(0.99):7.2f}"
        f" ms  {outcome.rate:6.1f} req/s ({outcome.items} requests)\n"
        f"  {'':<40} {cpu_note(outcome)}",
        flush=True,
    )


def measure_table(bench: Bench, size: int, page_sizes: tuple[int, ...]) -> dict:
    """Everything measured on one table size."""
    result: dict = {"http": {}}
    for page_size in page_sizes:
        outcomes = measure_http(bench, page_size)
        result["http"][page_size] = outcomes
        print_http(f"{size:,} notices, page_size {page_size:>3}, endpoint", outcomes["endpoint"])
        print_http(f"{'':>{len(f'{size:,}')}} {'':>9} {'':>13} bare view", outcomes["bare"])
    counts, list_sql, example = count_queries(bench)
    result["queries"], result["example"] = counts, example
    result["sql"] = time_sql(bench, list_sql)
    print(
        f"  the endpoint's list SQL alone (psycopg), page_size {DEFAULT_PAGE}: p50"
        f" {result['sql']['p50']:.2f} ms, p99 {result['sql']['p99']:.2f} ms"
        f" ({SQL_REPEATS} runs)\n"
        f"  queries per request (test client): "
        + ", ".join(f"{label}: {n}" for label, n in counts.items()),
        flush=True,
    )
    return result


def print_summary(bench: Bench, small: dict, large: dict) -> None:
    config = bench.config
    print(
        f"\n== Summary ({bench.server.description()}; {config.clients} keep-alive clients walking"
        f" the provider's {bench.visible:,} visible notices; PostgreSQL and this load generator on"
        f" the same {os.cpu_count()} cores, load average now {os.getloadavg()[0]:.1f})"
    )
    head = large["http"][DEFAULT_PAGE]["endpoint"]
    print(
        f"  GET {ENDPOINT} at {config.notices:,} notices, page_size {DEFAULT_PAGE}:"
        f" p50 {head.percentile(0.5):.2f} ms, p99 {head.percentile(0.99):.2f} ms"
    )
    print(
        f"  {'table':>10} {'page':>5} {'endpoint p50/p99 ms':>21} {'bare view p50/p99 ms':>21}"
        f" {'ratio p50':>9} {'CPU ms/req srv+pg':>18}"
    )
    for size, table in ((config.small, small), (config.notices, large)):
        for page_size, outcomes in table["http"].items():
            endpoint, bare = outcomes["endpoint"], outcomes["bare"]
            cpu = endpoint.cpu_per_item("server") + endpoint.cpu_per_item("postgres")
            cpu_bare = bare.cpu_per_item("server") + bare.cpu_per_item("postgres")
            print(
                f"  {size:>10,} {page_size:>5} {endpoint.percentile(0.5):9.2f} /"
                f" {endpoint.percentile(0.99):8.2f} {bare.percentile(0.5):9.2f} /"
                f" {bare.percentile(0.99):8.2f}"
                f" {endpoint.percentile(0.5) / bare.percentile(0.5):9.2f}"
                f" {cpu:8.2f} vs {cpu_bare:5.2f}"
            )
    a = small["http"][DEFAULT_PAGE]["endpoint"].percentile(0.5)
    b = head.percentile(0.5)
    print(
        f"  endpoint p50 at page_size {DEFAULT_PAGE}, {config.small:,} -> {config.notices:,}"
        f" notices: {a:.2f} -> {b:.2f} ms (ratio {b / a:.2f})\n"
        f"  the list SQL alone (psycopg), page_size {DEFAULT_PAGE}: {small['sql']['p50']:.2f} ->"
        f" {large['sql']['p50']:.2f} ms p50; endpoint p50 / SQL p50 at {config.notices:,}:"
        f" {b / large['sql']['p50']:.1f}"
    )
    print(f"  queries per request {'':<22} {config.small:>10,} {config.notices:>10,}")
    for label in large["queries"]:
        print(f"    {label:<40} {small['queries'][label]:>10} {large['queries'][label]:>10}")
    counts = set(small["queries"].values()) | set(large["queries"].values())
    verdict = "PASS" if len(counts) == 1 else "FAIL"
    print(
        f"  queries per request constant across page sizes and table sizes: {verdict}"
        f" ({', '.join(str(n) for n in sorted(counts))})",
        flush=True,
    )


# --- Main ---------------------------------------------------------------------------------------


def run(config: Config, workdir: Path) -> None:
    config.check()
    database = Database(THROWAWAY_DB)
    server = Server(database, workdir, workers=WORKERS, threads=config.threads)
    env = server_env(server, settings_module="bench.support.provider_settings")
    bench = Bench(config, database, server, CpuMeter(server, database))
    print(f"database: {database.name}", flush=True)
    database.create()
    try:
        began = time.perf_counter()
        server.manage("migrate", "--noinput")
        database.check_empty()
        database.remember_chain_head()
        print(f"  migrated in {time.perf_counter() - began:.1f} s", flush=True)
        django_setup(env)
        from hotline.models import Provider
        from hotline.services import provider_api_key_create

        with database.connect() as conn:
            ids = providers_insert(conn, config.providers)
        bench.provider_id, bench.others = ids[0], ids[1:]
        name = Provider.objects.get(pk=bench.provider_id).name
        bench.key = provider_api_key_create(provider_name=name, key_name="bench")[1]

        print(f"\n== {config.small:,} notices, {config.own:,} of them the provider's", flush=True)
        load(bench, 1, config.small)
        server.start()
        print(
            f"  server: {server.description()} on 127.0.0.1:{server.port}; DEBUG off, provider"
            " throttle wide open, no access log",
            flush=True,
        )
        small = measure_table(bench, config.small, (DEFAULT_PAGE,))

        print(f"\n== {config.notices:,} notices, {config.own:,} of them the provider's", flush=True)
        load(bench, config.small + 1, config.notices)
        large = measure_table(bench, config.notices, PAGE_SIZES)
        print("\n  the queries of one request (page_size 50):")
        for statement in large["example"]:
            print(f"    {statement}")
        print("  EXPLAIN (ANALYZE, BUFFERS) of the list query:")
        for line in large["sql"]["plan"]:
            print(f"    {line}")
        from django.db import connections

        connections.close_all()
    finally:
        server.stop()
        database.drop()
    print_summary(bench, small, large)


def main() -> int:
    return bench_main("provider_api.py", lambda workdir: run(Config(), workdir))


if __name__ == "__main__":
    sys.exit(main())
