"""Removal checks at scale, against a real web host and DNS server on 127.0.0.1 (``sandbox``), on
PostgreSQL.

Data: BENCH_NOTICES running notices on BENCH_HOSTS hosts (each host resolving to a documentation
address that the sandbox routes to the web host), each with a check due now.

1. Throughput: ``reports.verification.probes_run`` rounds (as the probes queue runs them: a
   batch per round, HOTLINE_PROBE_PER_HOST per host, a host again only after
   HOTLINE_PROBE_HOST_INTERVAL_SECONDS, HOTLINE_PROBE_CONCURRENCY at once) until BENCH_CHECKS
   checks ran: checks per second, and the ceiling the per-host limits allow.
2. The due-check query (``_take_due``'s, through the ORM, in a transaction rolled back) with
   BENCH_DUE checks due, when BENCH_NOTICES checks are scheduled in all and when
   BENCH_SCHEDULED are (the rest due in the future): median of BENCH_REPEATS. Ratio (large /
   small) should stay at most 1.5: the cost follows what is due, not what is scheduled.

The service runs in this process with development settings (the sandbox), DEBUG off. About a
minute on an idle 2-core machine.

Environment (all optional):
  DATABASE_URL      PostgreSQL without reports in it (emptied of what the run wrote). Default: a
                    throwaway database hotline_bench_probes, created and dropped.
  BENCH_NOTICES     running notices (10000)
  BENCH_HOSTS       hosts (200)
  BENCH_CHECKS      checks run for the throughput figure (2000)
  BENCH_SCHEDULED   checks scheduled in the large case (1000000)
  BENCH_DUE         checks due in the query cases (400)
  BENCH_REPEATS     timed runs of the query per case (25)
"""

import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from support.harness import ROOT, BenchError, bench_main, env_int
from support.sandboxed import sandboxed_service

sys.path.insert(0, str(ROOT))

THROWAWAY_DB = "hotline_bench_probes"
PER_HOST = 2
HOST_INTERVAL = 1


def world(hosts: int, notices: int) -> tuple[dict, dict, list[str]]:
    """DNS zone, web pages and the URLs: host n at 198.51.100.(n % 250 + 1) or 203.0.113.x."""
    zone, pages, urls = {}, {}, []
    for n in range(hosts):
        block = "198.51.100" if n < 250 else "203.0.113"
        zone[f"h{n}.probe-bench.example"] = {"A": [f"{block}.{n % 250 + 1}"]}
    for n in range(notices):
        path = f"/f/{n}.jpg"
        pages[path] = {"status": 200, "headers": {"Content-Type": "image/jpeg"}}
        urls.append(f"http://h{n % hosts}.probe-bench.example{path}")
    return zone, pages, urls


def cases_insert(urls: list[str]) -> None:
    """Reports, their running notices and a check each, due now (bulk, through the ORM)."""
    from django.utils import timezone

    from hotline.models import Provider
    from hotline.url import canonicalize
    from reports.intake import reference_generate
    from reports.models import Notice, RemovalCheck, Report

    now = timezone.now()
    provider = Provider.objects.create(name="Probe bench", country="NL", abuse_email="a@p.example")
    reports = []
    for url in urls:
        canonical = canonicalize(url)
        reports.append(
            Report(
                reference=reference_generate(),
                submitted_url=url,
                canonical_url=canonical.url,
                url_sha256=canonical.sha256,
                host=canonical.host,
                channel="web",
                status="takedown_requested",
                provider=provider,
                hosting_country="NL",
            )
        )
    Report.objects.bulk_create(reports, batch_size=2000)
    notices = Notice.objects.bulk_create(
        [
            Notice(
                report=report,
                provider=provider,
                status="open",
                created_by_label="bench",
                sent_at=now,
                handed_off_at=now,
                deadline_at=now + timedelta(hours=24),
            )
            for report in reports
        ],
        batch_size=2000,
    )
    RemovalCheck.objects.bulk_create(
        [
            RemovalCheck(
                report=n.report,
                notice=n,
                purpose="interval",
                due_at=now,
                url=n.report.canonical_url,
            )
            for n in notices
        ],
        batch_size=2000,
    )


def throughput(checks: int) -> tuple[float, int]:
    from reports.verification import probes_run

    ran = 0
    began = time.perf_counter()
    while ran < checks:
        done = probes_run()
        ran += done
        if not done:
            time.sleep(0.05)  # every host is inside its interval: the next round waits for one
    return ran / (time.perf_counter() - began), ran


def due_query_ms(repeats: int) -> float:
    from django.db import transaction
    from django.utils import timezone

    from reports.models import RemovalCheck

    times = []
    for run in range(repeats + 2):
        began = time.perf_counter()
        with transaction.atomic():
            list(
                RemovalCheck.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("report")
                .filter(checked_at__isnull=True, due_at__lte=timezone.now())
                .order_by("due_at")[:400]
            )
            transaction.set_rollback(True)
        if run >= 2:
            times.append(1000 * (time.perf_counter() - began))
    return statistics.median(times)


def schedule(database, due: int, scheduled_future: int) -> None:
    """Leave ``due`` checks due now and ``scheduled_future`` due in a week."""
    with database.connect() as conn:
        conn.execute("DELETE FROM reports_removalcheck WHERE purpose = 'recheck'")
        conn.execute(
            "UPDATE reports_removalcheck SET checked_at = NULL, due_at = now() + interval '7 days'"
        )
        conn.execute(
            "UPDATE reports_removalcheck SET due_at = now() - interval '1 minute' WHERE id IN "
            "(SELECT id FROM reports_removalcheck ORDER BY id LIMIT %s)",
            (due,),
        )
        if scheduled_future:
            conn.execute(
                """
                INSERT INTO reports_removalcheck (report_id, notice_id, purpose, due_at, url,
                    outcome, address, redirected_to, headers, detail)
                SELECT report_id, notice_id, 'recheck',
                       now() + interval '8 days' + g * interval '1 s',
                       url, '', '', '', '{}'::jsonb, ''
                FROM reports_removalcheck, generate_series(1, %s) AS g
                WHERE id = (SELECT min(id) FROM reports_removalcheck)
                """,
                (scheduled_future,),
            )
        conn.execute("ANALYZE reports_removalcheck")


def run(workdir: Path) -> None:
    notices = env_int("BENCH_NOTICES", 10000)
    hosts = env_int("BENCH_HOSTS", 200)
    checks = env_int("BENCH_CHECKS", 2000)
    scheduled = env_int("BENCH_SCHEDULED", 1_000_000)
    due = env_int("BENCH_DUE", 400)
    repeats = env_int("BENCH_REPEATS", 25)
    with sandboxed_service(workdir, THROWAWAY_DB) as database:
        from django.conf import settings

        from sandbox.dns_server import DNSServer
        from sandbox.web_host import WebHost

        zone, pages, urls = world(hosts, notices)
        with DNSServer(zone) as dns, WebHost(pages) as web:
            port = web.http_address[1]
            settings.HOTLINE_PROBES_ENABLED = True
            settings.HOTLINE_OUTSIDE_CA_FILE = ""  # plain HTTP here
            settings.HOTLINE_DNS_RESOLVERS = f"127.0.0.1:{dns.address[1]}"
            settings.HOTLINE_SANDBOX = (
                f"198.51.100.0/24:80=127.0.0.1:{port},203.0.113.0/24:80=127.0.0.1:{port}"
            )
            settings.HOTLINE_PROBE_PER_HOST = PER_HOST
            settings.HOTLINE_PROBE_HOST_INTERVAL_SECONDS = HOST_INTERVAL
            cases_insert(urls)
            rate, ran = throughput(checks)
            if web.requests and any(method != "HEAD" for method, _, _ in web.requests):
                raise BenchError("a check asked for more than the headers")
        ceiling = hosts * PER_HOST / HOST_INTERVAL
        schedule(database, due, 0)
        small = due_query_ms(repeats)
        schedule(database, due, scheduled - notices)
        large = due_query_ms(repeats)
        print(
            f"checks: {rate:.0f}/s over {ran} checks on {hosts} hosts "
            f"(the per-host limits allow {ceiling:.0f}/s; "
            f"{settings.HOTLINE_PROBE_CONCURRENCY} at once)"
        )
        print(
            f"due-check query, {due} due: {small:.2f} ms with {notices} scheduled, "
            f"{large:.2f} ms with {scheduled} scheduled (ratio {large / small:.2f}; target <= 1.5)"
        )


def main() -> int:
    return bench_main("probes.py", run, time_limit=1800)


if __name__ == "__main__":
    sys.exit(main())
