"""Notice delivery through the outbox, to a real SMTP server on 127.0.0.1 (aiosmtpd, the one
tests/mail_server.py runs), on SQLite or PostgreSQL.

1. Grouping: BENCH_NOTICES notices to BENCH_PROVIDERS providers, all sent within the grouping
   window (HOTLINE_NOTICE_GROUP_WINDOW, 5 minutes), delivered by ``reports.outbox.outbox_drain``
   runs until nothing waits: e-mails sent and time to drain. Baseline, in the same run:
   BENCH_BASELINE_NOTICES other notices with HOTLINE_NOTICE_GROUP_WINDOW=0 and
   HOTLINE_NOTICE_GROUP_MAX=1 (one e-mail per notice, as before the outbox), compared per notice
   (e-mails per notice, notices per second): the baseline's cost is linear in its notices.
   Every notice must end handed off, every URL in exactly one e-mail.
2. Deadlines while delivery is stalled: BENCH_DUE open notices made due at once, fired by one
   ``reports.deadlines.sweep_due``; latency from their due time to each ``mark_overdue`` event
   (so the median is about half the sweep's time for them). With a delivery drain in a thread
   stuck on an SMTP server that took a message and never answers, against the delivery queue
   idle (the baseline: before and after the stalled case, as the database grows). The ratio
   should stay near 1: a stalled server delays only its own messages.

The service runs in this process with development settings, DEBUG off, the broker in memory. The
data is written with bulk_create (notices already queued in the outbox, as the send transition
leaves them). Several minutes on a busy 2-core machine, most of it the 10,000 hand-offs.

Environment (all optional):
  DATABASE_URL      PostgreSQL without reports in it (emptied of what the run wrote). Default:
                    SQLite in a temporary folder.
  BENCH_NOTICES     notices delivered grouped (10000)
  BENCH_BASELINE_NOTICES  notices delivered one e-mail each (1000)
  BENCH_PROVIDERS   providers they go to (50)
  BENCH_DUE         due notices per sweep case (500)
  BENCH_TIME_LIMIT  seconds after which the run stops, cleans up and fails (3600)
"""

import math
import os
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from support.harness import ROOT, BenchError, bench_main, env_int

sys.path.insert(0, str(ROOT))

THROWAWAY_DB = "hotline_bench_delivery"
PROVIDER_PREFIX = "Bench provider"  # support/project.py's Database removes them from a given DB


def setup(workdir: Path):
    """Django in this process on SQLite under ``workdir`` or DATABASE_URL's PostgreSQL (checked
    empty); returns the PostgreSQL database to clean up, or None."""
    database = None
    os.environ |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "HOTLINE_VAR_DIR": str(workdir),
        "CELERY_BROKER_URL": "memory://",
        "DEBUG": "false",
        "LOG_LEVEL": "ERROR",
    }
    if os.environ.get("DATABASE_URL"):
        from support.project import Database

        database = Database(THROWAWAY_DB)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    print(f"database: {database.name if database else 'SQLite (temporary)'}", flush=True)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    if database:
        database.check_empty()
    settings.HOTLINE_DNS_RESOLVERS = ""  # the hosting check before a hand-off finds nothing new
    settings.HOTLINE_SANDBOX = ""
    settings.HOTLINE_PROBES_ENABLED = False
    return database


def providers_make(count: int, tag: str) -> list:
    from hotline.models import Provider

    return Provider.objects.bulk_create(
        Provider(
            name=f"{PROVIDER_PREFIX} {tag}{n}", country="NL", abuse_email=f"abuse@{tag}{n}.example"
        )
        for n in range(count)
    )


def notices_queue(providers: list, count: int, tag: str, *, queued_at) -> list[int]:
    """``count`` notices spread over ``providers``, each sent and waiting in the outbox as the
    send transition leaves it (status delivering, one item per notice)."""
    from hotline.url import canonicalize
    from reports.intake import reference_generate
    from reports.models import MessageItem, Notice, Report

    reports = []
    for n in range(count):
        canonical = canonicalize(f"https://{tag}-files{n % 97}.example.com/g/{n}.jpg")
        reports.append(
            Report(
                reference=reference_generate(),
                submitted_url=canonical.url,
                canonical_url=canonical.url,
                url_sha256=canonical.sha256,
                host=canonical.host,
                channel="web",
                status="takedown_requested",
                provider=providers[n % len(providers)],
                hosting_country="NL",
                industry_category="A1",
                content_type="image",
                assessed_at=queued_at,
            )
        )
    Report.objects.bulk_create(reports, batch_size=1000)
    notices = Notice.objects.bulk_create(
        (
            Notice(
                report=r,
                provider=r.provider,
                status="delivering",
                created_by_label="bench",
                sent_at=queued_at,
            )
            for r in reports
        ),
        batch_size=1000,
    )
    MessageItem.objects.bulk_create(
        (
            MessageItem(
                notice=n, kind="notice", target=n.provider.abuse_email, created_at=queued_at
            )
            for n in notices
        ),
        batch_size=1000,
    )
    return [n.pk for n in notices]


def drain_all() -> float:
    """Run the delivery queue until nothing waits; seconds it took."""
    from reports.models import MessageItem, OutgoingMessage
    from reports.outbox import outbox_drain

    began = time.perf_counter()
    while True:
        result = outbox_drain(batch=200)
        if result.outcomes.get("retry") or result.outcomes.get("failed"):
            raise BenchError(f"a delivery failed: {result.summary()}")
        waiting = OutgoingMessage.objects.filter(status__in=("pending", "sending")).exists()
        unbound = MessageItem.objects.filter(message__isnull=True, dropped="").exists()
        if not (waiting or unbound):
            return time.perf_counter() - began


def delivery_case(server, count: int, providers: int, tag: str) -> tuple[int, float]:
    """(e-mails sent, seconds to drain) for ``count`` notices queued a window ago."""
    from django.utils import timezone

    from reports.models import Notice
    from tests.reports.outbox.support import xarf_attachments

    server.received.clear()
    ids = notices_queue(
        providers_make(providers, tag), count, tag, queued_at=timezone.now() - timedelta(minutes=5)
    )
    seconds = drain_all()
    opened = Notice.objects.filter(pk__in=ids, status="open").count()
    urls = [
        url for m in server.messages() for url in (d["url"] for d in xarf_attachments(m).values())
    ]
    if opened != count or len(urls) != count or len(set(urls)) != count:
        raise BenchError(f"{tag}: {opened} of {count} handed off, {len(urls)} URLs e-mailed")
    return len(server.received), seconds


def sweep_latencies(count: int, tag: str) -> list[float]:
    """Seconds from each due time to its overdue transition, for one sweep of ``count`` open
    notices whose deadline (the reminder already went) is made due all at once."""
    from django.utils import timezone

    from reports.deadlines import sweep_due
    from reports.models import Event, MessageItem, Notice

    later = timezone.now() + timedelta(days=1)
    ids = notices_queue(providers_make(1, tag), count, tag, queued_at=later - timedelta(days=2))
    MessageItem.objects.filter(notice_id__in=ids).update(dropped="bench: went before")
    Notice.objects.filter(pk__in=ids).update(
        status="open",
        handed_off_at=later - timedelta(hours=24),
        policy="default: 24h",
        reminder_sent_at=later - timedelta(hours=4),
        deadline_at=later,
        due_at=later,
    )
    due_at = timezone.now()
    Notice.objects.filter(pk__in=ids).update(deadline_at=due_at, due_at=due_at)
    fired = sweep_due()
    if fired.notices.get("overdue") != count or fired.failed:
        raise BenchError(f"{tag}: the sweep fired {fired.summary()}, not {count} overdue")
    events = Event.objects.filter(verb="mark_overdue", data__notice__in=ids)
    return [(at - due_at).total_seconds() for at in events.values_list("at", flat=True)]


def stalled_delivery(server, settings):
    """A drain in a thread, stuck on ``server`` (stalled after DATA); returns the thread."""
    from django.db import connection
    from django.utils import timezone

    from reports.outbox import outbox_drain

    server.mode = "stall"
    settings.EMAIL_TIMEOUT = 120
    settings.HOTLINE_NOTICE_GROUP_WINDOW = "0"
    notices_queue(providers_make(1, "stall"), 1, "stall", queued_at=timezone.now())

    def drain():
        try:
            outbox_drain()
        finally:
            connection.close()

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    if not server.stalled.wait(timeout=60):
        raise BenchError("the stalled delivery never reached the SMTP server")
    return thread


def figures(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(ordered):.3f} s, p95 {p95:.3f} s, max {ordered[-1]:.3f} s"


def run(workdir: Path) -> None:
    count = env_int("BENCH_NOTICES", 10_000)
    baseline = env_int("BENCH_BASELINE_NOTICES", 1000)
    providers = env_int("BENCH_PROVIDERS", 50)
    due = env_int("BENCH_DUE", 500)
    database = setup(workdir)
    try:
        from django.conf import settings

        from tests.mail_server import MailServer

        with MailServer() as server:
            server.settings(settings, timeout=20)
            settings.HOTLINE_NOTICE_GROUP_WINDOW = "5m"
            group_max = settings.HOTLINE_NOTICE_GROUP_MAX
            grouped, grouped_s = delivery_case(server, count, providers, "grouped")
            settings.HOTLINE_NOTICE_GROUP_WINDOW, settings.HOTLINE_NOTICE_GROUP_MAX = "0", 1
            single, single_s = delivery_case(server, baseline, providers, "single")
            settings.HOTLINE_NOTICE_GROUP_MAX = group_max
            expected = providers * math.ceil(math.ceil(count / providers) / group_max)
            grouped_rate, single_rate = count / grouped_s, baseline / single_s
            print(
                f"delivery of {count} notices to {providers} providers, grouped (window 5m, "
                f"max {group_max}): {grouped} e-mails ({expected} expected) in {grouped_s:.1f} s, "
                f"{grouped_rate:.0f} notices/s\n"
                f"baseline, one e-mail per notice: {single} e-mails for {baseline} notices in "
                f"{single_s:.1f} s, {single_rate:.0f} notices/s\n"
                f"  e-mails per notice ratio {(grouped / count) / (single / baseline):.4f}; "
                f"notices/s ratio {grouped_rate / single_rate:.2f}"
            )

            # Idle before and after the stalled case: the database grows between the cases.
            idle = sweep_latencies(due, "idle")
            thread = stalled_delivery(server, settings)
            try:
                stalled = sweep_latencies(due, "stalled")
                if not thread.is_alive():
                    raise BenchError("the stalled delivery ended before the sweep did")
            finally:
                server.release()
                thread.join(timeout=150)
            idle += sweep_latencies(due, "idle-after")
        ratio = statistics.median(stalled) / statistics.median(idle)
        print(f"deadline sweep of {due} due notices, delivery idle:    {figures(idle)}")
        print(f"deadline sweep of {due} due notices, delivery stalled: {figures(stalled)}")
        print(f"  stalled / idle median latency: {ratio:.2f} (target about 1)")
    finally:
        from django.db import connections

        connections.close_all()
        if database:
            with database.connect() as conn:  # the messages point at the providers drop removes
                outbox = "reports_outgoingmessage, reports_deliveryalert"
                conn.execute(f"TRUNCATE {outbox} RESTART IDENTITY CASCADE")
            database.drop()


def main() -> int:
    return bench_main("delivery.py", run, time_limit=3600)


if __name__ == "__main__":
    sys.exit(main())
