"""Report intake throughput, each figure against a baseline measured in the same run.

1. Public intake: ``POST /api/v1/reports/`` with a unique URL per request for BENCH_SECONDS,
   against a bare Django view (no DRF, ``bench/support/views.py``) that inserts one row into the
   same table. Both are served by the same gunicorn processes (the project's settings plus that
   one route) and driven by the same client, in alternating rounds (AB, BA, AB, ...), at each
   number of clients in BENCH_CLIENT_LEVELS; the audit sealer runs beside them as in production
   (``manage.py audit seal --every 1``), and every event must be sealed after each round.
2. Partner bulk: BENCH_PARTNER_URLS URLs through ``POST /api/v1/partner/reports/`` in batches of
   1,000, against raw psycopg ``executemany(INSERT ... ON CONFLICT DO NOTHING)`` of the same
   rows in batches of 1,000, one transaction per batch, over as many connections as the endpoint
   gets client streams; the baseline runs before and after the endpoint.

3. The sealer: BENCH_SEAL_EVENTS events queued by partner batches with no sealer running, then
   sealed by one ``audit_seal()`` call, timed inside its process: events sealed per second,
   against the best public intake rate (it must keep up with ten times that).

Fairness: before every measured run the report tables are emptied (TRUNCATE) and a checkpoint
is forced, so each starts from the same table state; each kind of request is warmed up first.
Client connections are kept alive and spread evenly over the gunicorn workers. The load
generator runs in this process and shares the machine's cores with gunicorn and PostgreSQL: the
absolute figures are lower than on a dedicated server, and the ratios compare like with like.
Beside each rate it prints the CPU time per request of each side, read from /proc, which other
work on the machine disturbs far less than it disturbs a rate.

Environment (all optional):
  DATABASE_URL           PostgreSQL to use; its report tables must be empty, as they are
                         emptied between phases. Default: a throwaway database hotline_bench on
                         BENCH_POSTGRES_URL, dropped and created at start, dropped at the end.
  BENCH_POSTGRES_URL     server for the throwaway database
                         (postgresql://postgres@127.0.0.1:5432/postgres)
  BENCH_SECONDS          measured seconds per public endpoint and client level, over all
                         rounds (8)
  BENCH_ROUNDS           alternating rounds the public seconds are split into (2)
  BENCH_SEAL_EVENTS      events queued for the sealer's run (50000)
  BENCH_WARMUP_SECONDS   warm-up seconds per public endpoint (3)
  BENCH_CLIENT_LEVELS    numbers of concurrent keep-alive clients for the public phases
                         (1,2,4,8,16)
  BENCH_PARTNER_URLS     URLs per partner run (100000)
  BENCH_PARTNER_CLIENTS  concurrent batch streams, and raw-insert connections (2)
  BENCH_THREADS          threads per gunicorn gthread worker (4)

Exits 0 when every request succeeded, whatever the ratios; 1 on any failed request or error.
"""

import contextlib
import hashlib
import http.client
import itertools
import json
import os
import queue
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql
from support.harness import (
    PYTHON,
    ROOT,
    BenchError,
    CpuMeter,
    Database,
    Outcome,
    Server,
    bench_main,
    env_int,
    post,
)

WORKERS = 2
PUBLIC_TARGET = 0.6
HOLD_TARGET = 0.9  # the most clients keep this share of the best throughput
SEAL_TARGET = 10  # the sealer keeps up with this many times the best intake rate
PARTNER_TARGET = 0.5
BATCH_SIZE = 1000
PUBLIC_PATH = "/api/v1/reports/"
BARE_PATH = "/bench/bare-insert/"
PARTNER_PATH = "/api/v1/partner/reports/"
OTHER_LOAD_WARNING = 0.2  # cores used by other processes before the summary warns
BULK_TIMEOUT = 300  # seconds, for all the batches of one bulk run
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


@dataclass(frozen=True)
class Config:
    seconds: int = field(default_factory=lambda: env_int("BENCH_SECONDS", 8))
    rounds: int = field(default_factory=lambda: env_int("BENCH_ROUNDS", 2))
    warmup: int = field(default_factory=lambda: env_int("BENCH_WARMUP_SECONDS", 3))
    client_levels: tuple[int, ...] = field(
        default_factory=lambda: env_levels("BENCH_CLIENT_LEVELS", (1, 2, 4, 8, 16))
    )
    seal_events: int = field(default_factory=lambda: env_int("BENCH_SEAL_EVENTS", 50_000))
    partner_urls: int = field(default_factory=lambda: env_int("BENCH_PARTNER_URLS", 100_000))
    partner_clients: int = field(default_factory=lambda: env_int("BENCH_PARTNER_CLIENTS", 2))
    threads: int = field(default_factory=lambda: env_int("BENCH_THREADS", 4))


def env_levels(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        levels = tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise BenchError(
            f"{name} must be whole numbers separated by commas, not {raw!r}."
        ) from None
    if not levels or min(levels) < 1:
        raise BenchError(f"{name} must list client counts of at least 1, not {raw!r}.")
    return levels


@dataclass
class Bench:
    config: Config
    server: Server
    database: Database
    meter: CpuMeter
    key: str = ""  # the partner API key
    partner_id: int = 0


# --- Public intake ------------------------------------------------------------------------------


def drive_public(bench: Bench, path: str, tag: str, seconds: float, clients: int) -> Outcome:
    """POST a unique URL per request from ``clients`` keep-alive connections for ``seconds``."""
    outcome = Outcome()
    counter = itertools.count()
    connections = bench.server.connections(clients)
    deadline = time.perf_counter() + seconds

    def client(conn: http.client.HTTPConnection) -> None:
        while time.perf_counter() < deadline:
            n = next(counter)
            body = json.dumps({"url": f"https://{tag}-{n}.example.com/p/{n}"})
            try:
                status, payload, latency = post(conn, path, body, JSON_HEADERS)
            except (OSError, http.client.HTTPException) as exc:
                outcome.fail(f"{type(exc).__name__}: {exc}")
                continue
            if status == 201:
                outcome.record(latency)
            else:
                outcome.fail(f"HTTP {status}: {payload[:300]!r}")
        conn.close()

    outcome.run_threads(bench.meter, client, [(c,) for c in connections], timeout=seconds + 120)
    return outcome


def public_phases(bench: Bench, clients: int) -> tuple[Outcome, Outcome]:
    """Both endpoints in alternating rounds (AB, BA, ...), so drift and outside load hit both.

    Each round starts from an emptied table, and every 201 must match a stored report (and, for
    intake, its audit event, sealed by the sealer running beside the server).
    """
    config, database = bench.config, bench.database
    results = {PUBLIC_PATH: Outcome(), BARE_PATH: Outcome()}
    for number, path in enumerate(results):
        warm = drive_public(bench, path, f"warm{clients}-{number}", config.warmup, clients)
        warm.check(f"{path} warm-up")
    for number in range(config.rounds):
        order = list(results) if number % 2 == 0 else list(results)[::-1]
        for path in order:
            database.truncate()
            tag = f"{'pub' if path == PUBLIC_PATH else 'bare'}{clients}-{number}"
            outcome = drive_public(bench, path, tag, config.seconds / config.rounds, clients)
            outcome.check(path)
            reports = database.count("reports_report")
            events = database.count("reports_event")
            if reports != outcome.items or events != (outcome.items if path == PUBLIC_PATH else 0):
                raise BenchError(
                    f"{path}: {outcome.items} answers of 201 but {reports} reports, {events} events"
                )
            if path == PUBLIC_PATH:
                wait_until_sealed(database, events)
            results[path].merge(outcome)
    return results[PUBLIC_PATH], results[BARE_PATH]


SEAL_WAIT = 30  # seconds the sealer may take to catch up after a round


def wait_until_sealed(database: Database, events: int) -> None:
    deadline = time.monotonic() + SEAL_WAIT
    while (sealed := database.count("reports_auditseal")) < events:
        if time.monotonic() > deadline:
            raise BenchError(f"the sealer sealed {sealed} of {events} events in {SEAL_WAIT} s")
        time.sleep(0.2)


# --- The sealer ---------------------------------------------------------------------------------

SEAL_TIMING = (
    "import time; from reports.audit import audit_seal; began = time.perf_counter(); "
    "count = audit_seal(); print(count, time.perf_counter() - began)"
)


def seal_phase(bench: Bench) -> tuple[int, float]:
    """Queue events with no sealer running, then time one sealing run (in its own process)."""
    batches = partner_batches(bench.config.seal_events, "seal")
    bulk_run(bench, "sealer's events", drive_partner, batches)
    count, seconds = bench.server.manage("shell", "-c", SEAL_TIMING).split()[-2:]
    if int(count) != bench.config.seal_events:
        raise BenchError(f"the sealer sealed {count} of {bench.config.seal_events} events")
    return int(count), float(seconds)


# --- Partner bulk -------------------------------------------------------------------------------


def partner_batches(count: int, tag: str) -> list[list[str]]:
    """Unique URLs in batches of BATCH_SIZE, spread over a few hundred hosts as real lists are."""
    urls = [
        f"https://{tag}-host{n % 500}.example.org/item/{n}?ref={n * 7919}" for n in range(count)
    ]
    return [urls[i : i + BATCH_SIZE] for i in range(0, count, BATCH_SIZE)]


def drive_partner(bench: Bench, batches: list[list[str]]) -> Outcome:
    """Send every batch once, from ``partner_clients`` concurrent keep-alive connections."""
    work = queue.SimpleQueue()
    for number, urls in enumerate(batches):  # bodies are built before the clock starts
        items = [{"url": url, "external_id": f"{number}-{i}"} for i, url in enumerate(urls)]
        work.put((len(urls), json.dumps({"reports": items}).encode()))
    outcome = Outcome()
    headers = JSON_HEADERS | {"Authorization": f"Api-Key {bench.key}"}

    def client(conn: http.client.HTTPConnection) -> None:
        while True:
            try:
                size, body = work.get_nowait()
            except queue.Empty:
                break
            try:
                status, payload, latency = post(conn, PARTNER_PATH, body, headers)
            except (OSError, http.client.HTTPException) as exc:
                outcome.fail(f"{type(exc).__name__}: {exc}")
                continue
            failure = partner_answer_problem(status, payload, size)
            if failure:
                outcome.fail(failure)
            else:
                outcome.record(latency, size)
        conn.close()

    connections = bench.server.connections(bench.config.partner_clients)
    outcome.run_threads(bench.meter, client, [(c,) for c in connections], timeout=BULK_TIMEOUT)
    return outcome


def partner_answer_problem(status: int, payload: bytes, size: int) -> str:
    if status != 200:
        return f"HTTP {status}: {payload[:300]!r}"
    answer = json.loads(payload)
    if answer.get("created") != size:
        counts = {k: answer.get(k) for k in ("created", "duplicate", "rejected")}
        return f"expected {size} created, got {counts}"
    return ""


# What a neutral value is for each type of NOT NULL column that the baseline's rows do not set.
NEUTRAL_VALUES = {
    "character varying": "",
    "text": "",
    "integer": 0,
    "bigint": 0,
    "smallint": 0,
    "boolean": False,
    "jsonb": "{}",
}


RAW_PER_ROW = ["reference", "submitted_url", "canonical_url", "url_sha256", "host", "external_id"]


def raw_insert_statement(bench: Bench) -> tuple[str, dict]:
    """``INSERT ... ON CONFLICT DO NOTHING`` of complete report rows, as the table is now.

    Returns the statement, whose placeholders take the RAW_PER_ROW columns and then the values
    of the returned dict: the same for every row, for the NOT NULL columns intake leaves at
    their defaults (read from the catalog, so that the rows stay complete as the model grows).
    """
    fixed = {"channel": "partner", "partner_id": bench.partner_id, "status": "new"}
    fixed |= {"times_reported": 1}
    with bench.database.connect() as conn:
        columns = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = 'reports_report'"
            " AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'"
            " ORDER BY ordinal_position"
        ).fetchall()
    now = datetime.now(UTC)
    for name, data_type in columns:
        if name in RAW_PER_ROW or name in fixed:
            continue
        if data_type.startswith("timestamp"):
            fixed[name] = now
        elif data_type in NEUTRAL_VALUES:
            fixed[name] = NEUTRAL_VALUES[data_type]
        else:
            raise BenchError(
                f"raw insert: no neutral value for reports_report.{name} ({data_type})"
            )
    names = RAW_PER_ROW + list(fixed)
    statement = sql.SQL(
        "INSERT INTO reports_report ({}) VALUES ({}) ON CONFLICT DO NOTHING"
    ).format(
        sql.SQL(", ").join(sql.Identifier(name) for name in names),
        sql.SQL(", ").join(sql.Placeholder() for _ in names),
    )
    return statement.as_string(), fixed


def raw_insert(bench: Bench, batches: list[list[str]]) -> Outcome:
    """The partner baseline: executemany of complete report rows, one transaction per batch."""
    statement, fixed = raw_insert_statement(bench)
    constant = tuple(fixed.values())
    work = queue.SimpleQueue()
    for number, urls in enumerate(batches):  # rows are built before the clock starts
        rows = [
            (
                f"RW-{number:05d}-{i:04d}",
                url,
                url,
                hashlib.sha256(url.encode()).hexdigest(),
                url.split("/")[2],
                f"{number}-{i}",
                *constant,
            )
            for i, url in enumerate(urls)
        ]
        work.put(rows)
    outcome = Outcome()

    def client(conn: psycopg.Connection) -> None:
        with conn.cursor() as cursor:
            while True:
                try:
                    rows = work.get_nowait()
                except queue.Empty:
                    return
                began = time.perf_counter()
                try:
                    with conn.transaction():
                        cursor.executemany(statement, rows)
                except psycopg.Error as exc:
                    outcome.fail(f"{type(exc).__name__}: {exc}")
                    continue
                outcome.record(time.perf_counter() - began, len(rows))

    connections = [bench.database.connect() for _ in range(bench.config.partner_clients)]
    try:
        outcome.run_threads(bench.meter, client, [(c,) for c in connections], timeout=BULK_TIMEOUT)
    finally:
        for conn in connections:
            conn.close()
    return outcome


def bulk_run(bench: Bench, name: str, measured, batches: list[list[str]]) -> Outcome:
    """Empty the tables, send every batch, and check that every URL became a row."""
    bench.database.truncate()
    outcome = measured(bench, batches)
    outcome.check(name)
    expected = sum(len(batch) for batch in batches)
    rows = bench.database.count("reports_report")
    if rows != expected:
        raise BenchError(f"{name}: {rows} rows for {expected} URLs")
    return outcome


def partner_phases(bench: Bench) -> tuple[Outcome, Outcome]:
    batches = partner_batches(bench.config.partner_urls, "partner")
    warm = partner_batches(min(2, len(batches)) * BATCH_SIZE, "warm")
    bulk_run(bench, "partner warm-up", drive_partner, warm)
    bulk_run(bench, "raw insert warm-up", raw_insert, warm)
    # The baseline runs before and after the endpoint, so that drift affects both alike.
    raw = bulk_run(bench, "raw insert", raw_insert, batches)
    partner = bulk_run(bench, PARTNER_PATH, drive_partner, batches)
    raw.merge(bulk_run(bench, "raw insert", raw_insert, batches))
    return partner, raw


# --- Report -------------------------------------------------------------------------------------


def cpu_note(outcome: Outcome, unit: str, scale: float, digits: int) -> str:
    """CPU per request (ms) or per URL (µs) of each side, and what the rest of the machine used."""
    if not outcome.cpu:
        return "(CPU use not measured: no /proc)"
    sides = ", ".join(
        f"{side} {outcome.cpu_per_item(side) * scale:.{digits}f}"
        for side in ("server", "postgres", "client")
    )
    other = outcome.cpu["other"] / outcome.elapsed
    return f"CPU {unit}: {sides}; other processes used {other:.2f} of the cores"


def cpu_cost(outcome: Outcome) -> float:
    """CPU seconds per item that the run itself cost: client, server and PostgreSQL."""
    return sum(outcome.cpu_per_item(side) for side in ("server", "postgres", "client"))


def print_public(label: str, outcome: Outcome, clients: int) -> None:
    print(
        f"  {label:<29} {outcome.rate:7.1f} req/s  p50 {outcome.percentile(0.5):5.1f} ms"
        f"  p99 {outcome.percentile(0.99):6.1f} ms  ({outcome.items} requests)\n"
        f"  {'':<29} {cpu_note(outcome, 'ms/request', 1, 2)}\n"
        f"  {'':<29} database connections waiting for a lock: {outcome.lock_waits:.1f}"
        f" of {clients} on average",
        flush=True,
    )


def print_bulk(label: str, outcome: Outcome, unit: str) -> None:
    print(
        f"  {label:<29} {outcome.rate:7.0f} {unit}/s  ({outcome.items} in {outcome.elapsed:.1f} s;"
        f" per batch p50 {outcome.percentile(0.5):.0f} ms, p99 {outcome.percentile(0.99):.0f} ms)"
        f"\n  {'':<29} {cpu_note(outcome, 'µs/URL', 1000, 0)}",
        flush=True,
    )


def verdict(ratio: float, target: float) -> str:
    return "PASS" if ratio >= target else "BELOW"


def print_summary(bench: Bench, levels: dict, partner, raw, sealing: tuple[int, float]) -> None:
    best_clients = max(levels, key=lambda clients: levels[clients][0].rate)
    public, bare = levels[best_clients]
    most = max(levels)
    held = levels[most][0].rate / public.rate
    public_ratio = public.rate / bare.rate
    partner_ratio = partner.rate / raw.rate
    sealed, seconds = sealing
    seal_rate = sealed / seconds
    rows = "".join(
        f"  {clients:7d}  {p.rate:12.1f}  {b.rate:10.1f}  {p.rate / b.rate:5.2f}"
        f"  {p.percentile(0.5):7.1f}  {p.percentile(0.99):7.1f}  {p.lock_waits:5.1f}\n"
        for clients, (p, b) in sorted(levels.items())
    )
    print(
        f"\n== Summary ({bench.server.description()}; PostgreSQL and this load generator on the"
        f" same {os.cpu_count()} cores)\n"
        f"  clients  public req/s  bare req/s  ratio  p50 ms   p99 ms  lock waits\n{rows}"
        f"  public at {most} clients  {held:8.2f} of its best ({public.rate:.1f} req/s at"
        f" {best_clients})   target >= {HOLD_TARGET:.2f}   {verdict(held, HOLD_TARGET)}\n"
        f"  ratio at the best  {public_ratio:8.2f}   target >= {PUBLIC_TARGET:.2f}"
        f"   {verdict(public_ratio, PUBLIC_TARGET)}\n"
        f"  partner bulk      {partner.rate:8.0f} URLs/s\n"
        f"  raw executemany   {raw.rate:8.0f} rows/s\n"
        f"  ratio             {partner_ratio:8.2f}   target >= {PARTNER_TARGET:.2f}"
        f"   {verdict(partner_ratio, PARTNER_TARGET)}\n"
        f"  sealer            {seal_rate:8.0f} events/s ({sealed} in {seconds:.2f} s)\n"
        f"  sealer / intake   {seal_rate / public.rate:8.1f}   target >= {SEAL_TARGET:.0f}"
        f"   {verdict(seal_rate / public.rate, SEAL_TARGET)}",
        flush=True,
    )
    outcomes = [o for pair in levels.values() for o in pair] + [partner, raw]
    if all(o.cpu for o in outcomes):
        other = max(o.cpu["other"] / o.elapsed for o in outcomes)
        if other > OTHER_LOAD_WARNING:
            print(
                f"  NOTE: other processes (the sealer among them) used up to {other:.2f} of the"
                f" {os.cpu_count()} cores during the runs: the rates and their ratios are"
                " disturbed; the CPU costs below much less so.",
                flush=True,
            )
        public_cost = cpu_cost(bare) / cpu_cost(public)
        partner_cost = cpu_cost(raw) / cpu_cost(partner)
        print(
            f"  ratio of CPU cost per item (client + server + PostgreSQL; what the rate ratio"
            f" tends to where CPU is the limit): public {public_cost:.2f},"
            f" partner {partner_cost:.2f}",
            flush=True,
        )


# --- Main ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def sealer_running(server: Server):
    """The audit sealer as production runs it (there the beat calls it every second)."""
    command = [PYTHON, "manage.py", "audit", "seal", "--every", "1"]
    sealer = subprocess.Popen(command, cwd=ROOT, env=server.env, stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        sealer.terminate()
        sealer.wait(timeout=30)


def run(config: Config, workdir: Path) -> None:
    database = Database()
    server = Server(database, workdir, workers=WORKERS, threads=config.threads)
    bench = Bench(config, server, database, CpuMeter(server, database))
    print(f"database: {database.name}")
    database.create()
    try:
        server.manage("migrate", "--noinput")
        database.check_empty()
        bench.key = server.manage("apikey", "create", "--partner", "Bench").splitlines()[-1]
        with database.connect() as conn:
            bench.partner_id = conn.execute(
                "SELECT partner_id FROM hotline_partnerapikey WHERE prefix = %s",
                (bench.key.partition(".")[0],),
            ).fetchone()[0]
        server.start()
        print(
            f"server: {server.description()} on 127.0.0.1:{server.port}; DEBUG off, throttles"
            f" wide open, no access log. Client: this process, sharing the {os.cpu_count()} cores",
            flush=True,
        )
        levels = {}
        with sealer_running(server):
            for clients in config.client_levels:
                print(
                    f"\n== Public intake: a unique URL per request, {clients} keep-alive clients,"
                    f" {config.seconds} s per endpoint in {config.rounds} alternating rounds",
                    flush=True,
                )
                public, bare = levels[clients] = public_phases(bench, clients)
                print_public(f"POST {PUBLIC_PATH}", public, clients)
                print_public("bare Django view (1 INSERT)", bare, clients)
        print(
            f"\n== Partner bulk: {config.partner_urls} unique URLs in batches of {BATCH_SIZE},"
            f" {config.partner_clients} concurrent streams; the same URLs into an emptied table"
            " each time",
            flush=True,
        )
        partner, raw = partner_phases(bench)
        print_bulk(f"POST {PARTNER_PATH}", partner, "URLs")
        print_bulk("raw executemany (run twice)", raw, "rows")
        print(f"\n== The sealer: {config.seal_events} queued events, one run", flush=True)
        sealing = seal_phase(bench)
    finally:
        server.stop()
        if database.given and bench.key:
            with database.connect() as conn:  # the database stays: the key must not work on
                conn.execute(
                    "UPDATE hotline_partnerapikey SET revoked = true WHERE prefix = %s",
                    (bench.key.partition(".")[0],),
                )
        database.drop()
    print_summary(bench, levels, partner, raw, sealing)


def main() -> int:
    return bench_main(
        "intake.py",
        lambda workdir: run(Config(), workdir),
        errors=(BenchError, OSError, http.client.HTTPException, psycopg.Error),
    )


if __name__ == "__main__":
    sys.exit(main())
