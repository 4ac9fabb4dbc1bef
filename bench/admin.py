"""The analysts' admin on PostgreSQL at a million reports: server time and queries per page.

Data (``support/admin_dataset.py``, generated inside PostgreSQL): BENCH_REPORTS reports received
over three years, most of them closed, removed or duplicates, a few thousand new, in review,
actionable, on hold, overdue...; about 0.3 notices per report (300,000 at a million),
BENCH_PROVIDERS providers with a domain each, ten analysts and the benchmark's supervisor. First a
data set of BENCH_SMALL reports, then (after TRUNCATE) the large one, built by the same rules.

Pages, requested through Django's test client in this process as a supervisor (a staff user in
the "supervisor" group, signed in with ``force_login`` and a verified TOTP device, as production
requires), with the project's production settings (DEBUG off, cached templates, manifest static
files) and django-axes off for this process:

- the admin index (with its queue counts), the report list unfiltered and each queue
  (``?queue=...``, every key of ``reports.selectors.queues.QUEUES``), searches as analysts paste
  them: a reference, a part of one ("01-23"), the report's URL defanged, its host, the host's
  parent domain with its subdomains (about 1,000 reports) and its registrable domain
  (``example.net``: every report), and the report page of an overdue report with two notices,
  its events, an escalation and a hold.

Per page: p50 and p99 of the server time over BENCH_REQUESTS requests (after three warm-ups),
and the SQL queries of one more request (``CaptureQueriesContext``). No count may grow from the
small data set to the large one (a query per row would). A count can shrink by design: once a
queue passes 10,000 reports (here "forwarded", at a million) ``hotline.pagination.fast_count``
shows the planner's estimate, one EXPLAIN instead of EXPLAIN and COUNT. Target: 200 ms, for p50
and for p99. For any page over it, EXPLAIN (ANALYZE, BUFFERS) of its slowest queries.

Environment (all optional):
  DATABASE_URL        PostgreSQL to use, without reports in it; what the run writes is removed
                      at the end. Default: a throwaway database hotline_bench_admin on
                      BENCH_POSTGRES_URL (postgresql://postgres@127.0.0.1:5432/postgres),
                      created at start and dropped at the end.
  BENCH_REPORTS       reports in the large data set (1000000)
  BENCH_SMALL         reports in the small data set (10000)
  BENCH_PROVIDERS     providers (1000)
  BENCH_REQUESTS      timed requests per page on the large data set (100; a fifth of that on
                      the small one)
  BENCH_TIME_LIMIT    seconds after which the run stops, cleans up and fails (900)

Exits 0 when the measurement succeeded, whatever the figures; 1 on an error (a page that does not
answer 200 or does not show what it should).
"""

import math
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from support.admin_dataset import admin_data_insert, queue_sizes, showcase
from support.bulk import vacuum_analyze
from support.dataset import PROVIDER_PREFIX, providers_insert
from support.harness import BenchError, Server, bench_main, env_int
from support.project import Database, django_setup, server_env

THROWAWAY_DB = "hotline_bench_admin"
TARGET_MS = 200.0
WARM_UPS = 3
ANALYSTS = 10
EXPLAINED = 2  # slowest queries explained per page over the target
VACUUMED = (
    "reports_report",
    "reports_notice",
    "reports_event",
    "reports_hold",
    "reports_escalation",
    "hotline_provider",
    "hotline_providerdomain",
    "auth_user",
)


class Config:
    def __init__(self):
        self.reports = env_int("BENCH_REPORTS", 1_000_000)
        self.small = env_int("BENCH_SMALL", 10_000)
        self.providers = env_int("BENCH_PROVIDERS", 1_000)
        self.requests = env_int("BENCH_REQUESTS", 100)
        self.load_at_start = os.getloadavg()[0]
        if self.small >= self.reports:
            raise BenchError("BENCH_SMALL < BENCH_REPORTS, please.")


@dataclass
class Page:
    label: str
    url: str
    expect: str = ""  # text the page must contain
    times: list[float] = field(default_factory=list)  # ms
    queries: list[dict] = field(default_factory=list)  # of one request

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile of the server times, in milliseconds."""
        ordered = sorted(self.times)
        return ordered[max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))]


# --- Setting up ---------------------------------------------------------------------------------


def people_and_directory(database: Database, providers: int) -> dict:
    """Users (ORM, with their groups), a partner, an agency, providers with a domain each."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from hotline.models import Agency, PartnerHotline

    user_model = get_user_model()
    analysts = []
    for number in range(ANALYSTS):
        user = user_model.objects.create_user(f"bench-analyst-{number}", is_staff=True)
        user.groups.add(Group.objects.get(name="analyst"))
        analysts.append(user.pk)
    me = user_model.objects.create_user("bench-supervisor", is_staff=True)
    me.groups.add(Group.objects.get(name="supervisor"))
    device = TOTPDevice.objects.create(user=me, name="bench", confirmed=True)
    partner = PartnerHotline.objects.create(name="Bench partner hotline", countries=["US"])
    agency = Agency.objects.create(name="Bench police unit", country="NL", kind="police")
    with database.connect() as conn:
        ids = providers_insert(conn, providers)
        conn.execute(
            """
            INSERT INTO hotline_providerdomain (provider_id, suffix)
            SELECT id, 'host' || (n - 1) || '.example.net'
            FROM unnest(%s::bigint[]) WITH ORDINALITY AS p(id, n)
            """,
            (ids,),
        )
    return {
        "user": me,
        "device": device,
        "params": {
            "providers": ids,
            "analysts": analysts,
            "me": me.pk,
            "partner": partner.pk,
            "agency": agency.pk,
        },
    }


def forget_people_and_directory(database: Database, stage: str) -> None:
    """With DATABASE_URL given: remove what ``people_and_directory`` made.

    ``before``: the providers' domains (``Database.drop`` then removes the providers); ``after``
    (the reports are gone by then): the users, their devices and groups, partner and agency.
    """
    if not database.given:
        return
    users = "SELECT id FROM auth_user WHERE username LIKE 'bench-%'"
    with database.connect() as conn:
        if stage == "before":
            conn.execute(
                "DELETE FROM hotline_providerdomain WHERE provider_id IN"
                " (SELECT id FROM hotline_provider WHERE name LIKE %s)",
                (f"{PROVIDER_PREFIX} %",),
            )
            return
        conn.execute(f"DELETE FROM otp_totp_totpdevice WHERE user_id IN ({users})")
        conn.execute(f"DELETE FROM auth_user_groups WHERE user_id IN ({users})")
        conn.execute(f"DELETE FROM auth_user WHERE id IN ({users})")
        conn.execute("DELETE FROM hotline_partnerhotline WHERE name = 'Bench partner hotline'")
        conn.execute("DELETE FROM hotline_agency WHERE name = 'Bench police unit'")


def signed_in_client(user, device):
    """A test client signed in as ``user``, its TOTP device verified for the session."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def load(database: Database, size: int, params: dict) -> dict:
    with database.connect() as conn:
        rows = admin_data_insert(conn, params | {"n": size, "now": datetime.now(UTC)})
        vacuumed = vacuum_analyze(conn, VACUUMED)
        sizes = queue_sizes(conn)
        report_id = showcase(conn)
        reference, host, url = conn.execute(
            "SELECT reference, host, canonical_url FROM reports_report WHERE id = %s", (report_id,)
        ).fetchone()
        same_host = conn.execute(
            "SELECT count(*) FROM reports_report WHERE host = %s", (host,)
        ).fetchone()[0]
    print(
        f"  loaded in {rows['seconds']:.1f} s (VACUUM ANALYZE {vacuumed:.1f} s): "
        + ", ".join(f"{rows[name]:,} {name}" for name in rows if name != "seconds")
        + "\n  reports by status: "
        + ", ".join(f"{name} {count:,}" for name, count in sorted(sizes.items()) if " " not in name)
        + "\n  notices by status: "
        + ", ".join(f"{name[7:]} {count:,}" for name, count in sorted(sizes.items()) if " " in name)
        + f"\n  report page: {reference} (id {report_id}); its host has {same_host} reports",
        flush=True,
    )
    return {"id": report_id, "reference": reference, "host": host, "url": url}


def pages_for(case: dict) -> list[Page]:
    from reports.selectors.queues import QUEUES

    listing = "/admin/reports/report/"
    pages = [
        Page("admin index", "/admin/", "triage-queues"),
        Page("report list", listing, 'id="result_list"'),
    ]
    pages += [Page(f"queue {name}", f"{listing}?queue={name}", "changelist") for name in QUEUES]
    from urllib.parse import quote

    from hotline.domains import registrable_domain
    from hotline.url import defang

    # HL-0001-2345 -> "01-23": a part across the dash, lower case, as an analyst might type it.
    part = f"{case['reference'][5:7]}-{case['reference'][8:10]}".lower()
    parent = case["host"].split(".", 1)[1]  # host7.example.net: its subdomains, ~1,000 reports
    found = 'id="result_list"'
    pages += [
        Page("search: reference", f"{listing}?q={case['reference']}", case["reference"]),
        Page("search: ref. part", f"{listing}?q={part}", found),
        Page("search: pasted URL", f"{listing}?q={quote(defang(case['url']))}", case["reference"]),
        Page("search: host", f"{listing}?q={case['host']}", case["reference"]),
        Page("search: domain", f"{listing}?q={parent}", found),
        Page("search: registrable", f"{listing}?q={registrable_domain(case['host'])}", found),
        Page("report page", f"{listing}{case['id']}/change/", case["reference"]),
    ]
    return pages


# --- Measuring ----------------------------------------------------------------------------------


def get(client, page: Page) -> float:
    began = time.perf_counter()
    response = client.get(page.url)
    elapsed = 1000 * (time.perf_counter() - began)
    if response.status_code != 200:
        where = response.get("Location", "")
        raise BenchError(f"{page.label}: {page.url} answered {response.status_code} {where}")
    if page.expect and page.expect not in response.content.decode():
        raise BenchError(f"{page.label}: {page.url} does not show {page.expect!r}")
    return elapsed


def measure(client, pages: list[Page], requests: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for page in pages:
        for _ in range(WARM_UPS):
            get(client, page)
        page.times = [get(client, page) for _ in range(requests)]
        with CaptureQueriesContext(connection) as captured:
            get(client, page)
        page.queries = list(captured.captured_queries)
        slowest = max((float(q["time"]) for q in page.queries), default=0.0)
        print(
            f"  {page.label:<22} p50 {page.percentile(0.5):7.1f} ms  p99"
            f" {page.percentile(0.99):7.1f} ms  {len(page.queries):>3} queries"
            f" (slowest {1000 * slowest:.1f} ms)",
            flush=True,
        )


def explain(pages: list[Page]) -> None:
    from django.db import connection

    for page in pages:
        if page.percentile(0.99) <= TARGET_MS:
            continue
        print(f"\n  {page.label} ({page.url}) is over {TARGET_MS:.0f} ms; its slowest queries:")
        slowest = sorted(page.queries, key=lambda q: float(q["time"]), reverse=True)[:EXPLAINED]
        for query in slowest:
            print(f"\n    {1000 * float(query['time']):.1f} ms: {query['sql']}")
            if not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                for (line,) in cursor.fetchall():
                    print(f"      {line}")


# --- Report -------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "BELOW TARGET"


def print_summary(config: Config, small: list[Page], large: list[Page]) -> bool:
    print(
        f"\n== Summary (PostgreSQL; Django's test client in this process, production settings;"
        f" load average at start {config.load_at_start:.1f}, now {os.getloadavg()[0]:.1f}, on"
        f" {os.cpu_count()} cores)\n"
        f"  {'':<22} {config.small:>10,} reports{'':>11} {config.reports:>10,} reports\n"
        f"  {'page':<22} {'p50 ms':>8} {'p99 ms':>8} {'queries':>7}"
        f"   {'p50 ms':>8} {'p99 ms':>8} {'queries':>7}   {'p50':>4} {'p99':>4}"
        f"  queries small -> large"
    )
    fast = tail = constant = True
    for a, b in zip(small, large, strict=True):
        p50, p99 = b.percentile(0.5), b.percentile(0.99)
        marks = ["ok" if value <= TARGET_MS else "SLOW" for value in (p50, p99)]
        fast &= p50 <= TARGET_MS
        tail &= p99 <= TARGET_MS
        grows = len(b.queries) > len(a.queries)
        constant &= not grows
        change = "GROWS" if grows else ("same" if len(a.queries) == len(b.queries) else "fewer*")
        print(
            f"  {a.label:<22} {a.percentile(0.5):8.1f} {a.percentile(0.99):8.1f}"
            f" {len(a.queries):>7}   {p50:8.1f} {p99:8.1f} {len(b.queries):>7}"
            f"   {marks[0]:>4} {marks[1]:>4}"
            f"  {change}"
        )
    print(
        f"  every page's p50 at {config.reports:,} reports <= {TARGET_MS:.0f} ms:"
        f" {verdict(fast)}\n"
        f"  every page's p99 at {config.reports:,} reports <= {TARGET_MS:.0f} ms:"
        f" {verdict(tail)}\n"
        f"  queries per page do not grow from {config.small:,} to {config.reports:,} reports:"
        f" {'PASS' if constant else 'FAIL'}\n"
        "  (* a queue count past 10,000 rows is the planner's estimate: EXPLAIN, no COUNT)",
        flush=True,
    )
    return constant


def run(config: Config, workdir: Path) -> None:
    database = Database(THROWAWAY_DB)
    # Not started: it lends its production environment (and manage.py) to this process.
    server = Server(database, workdir, workers=1, threads=1)
    env = server_env(server)
    print(f"database: {database.name}", flush=True)
    database.create()
    try:
        began = time.perf_counter()
        server.manage("migrate", "--noinput")
        database.check_empty()
        database.remember_chain_head()
        server.manage("collectstatic", "--noinput")  # production serves hashed static names
        print(f"  migrated and collected static files in {time.perf_counter() - began:.1f} s")
        django_setup(env)
        from django.test.utils import override_settings

        override_settings(AXES_ENABLED=False).enable()
        setup = people_and_directory(database, config.providers)
        client = signed_in_client(setup["user"], setup["device"])
        measured = {}
        runs = ((config.small, max(5, config.requests // 5)), (config.reports, config.requests))
        for size, requests in runs:
            print(f"\n== {size:,} reports", flush=True)
            database.truncate()
            case = load(database, size, setup["params"])
            pages = pages_for(case)
            measure(client, pages, requests)
            measured[size] = pages
        explain(measured[config.reports])
        client.logout()  # its session row goes too
        from django.db import connections

        connections.close_all()
    finally:
        forget_people_and_directory(database, "before")
        database.drop()
        forget_people_and_directory(database, "after")
    if not print_summary(config, measured[config.small], measured[config.reports]):
        print("  (a query count that grows with the data is a query per row somewhere)")


def main() -> int:
    return bench_main("admin.py", lambda workdir: run(Config(), workdir), time_limit=900)


if __name__ == "__main__":
    sys.exit(main())
