"""Deadlines with a real worker, beat and Redis: 7. Redis goes away while the worker holds wake-
ups.
"""

import re
from datetime import timedelta

from django.utils import timezone

from tests.reports.factories import ProviderFactory
from tests.reports.live_worker import RESTARTED, WAKE_RECEIVED, wait_for_sweeps, wait_until
from tests.reports.timers_live.support import (
    KIND,
    LIVE,
    ON_TIME,
    SLACK,
    actionable_report,
    assert_fired_once,
    handed_off,
    send_notice,
    wait_overdue,
    wait_sent,
)

pytestmark = LIVE


# --- 7. Redis goes away while the worker holds wake-ups -----------------------------------------


OUTAGE = timedelta(seconds=10)
# Celery's consumer retries the broker 2, 4, 6 ... s apart: after a 10 s outage it is back within
# 6 s, and the next beat sweep (every second here) fires what came due meanwhile.
AFTER_OUTAGE = timedelta(seconds=6) + ON_TIME
# The worker's consumer and the beat's publisher, each saying the broker is not there, and a
# task that finished while it was gone (its message comes back: every task reloads its rows).
BROKER_DOWN = re.compile(
    r"(Cannot connect to|Connection error: |Couldn't apply scheduled task [\w-]+: Error \d+ "
    r"connecting to ).*Connection refused|Couldn't ack '[\w-]+', reason:network:ConnectionError"
)


def test_a_redis_outage_stops_no_deadline_and_nobody_restarts_anything(
    live, supervisor, redis_server, settings, client
):
    # Worker and beat run supervised, as `make run` and the README start them; the worker must
    # not even need the supervisor. The worker hands the notices over, so its policy sets their
    # deadlines: 5 s for the voluntary ones (due inside the outage), longer for legal orders.
    live.configure(HOTLINE_LEGAL_ORDER_DEADLINE=f"{int(OUTAGE.total_seconds()) + 8}s")
    worker = live.start_worker(wait=False, supervised=True)
    beat = live.start_beat(wait=False, supervised=True)
    provider = ProviderFactory()
    reports = [actionable_report(supervisor, provider) for _ in range(4)]
    live.wait_worker_ready(worker)
    beat.wait_for_log("beat: Starting")

    # Two deadlines fall inside the outage, two after it; the worker holds all four wake-ups.
    during = [send_notice(supervisor, report) for report in reports[:2]]
    after = [send_notice(supervisor, report, kind="legal_order") for report in reports[2:]]
    wait_until(
        lambda: len(worker.lines(WAKE_RECEIVED)) >= 4,
        timeout=SLACK,
        what="the worker to hold every deadline's wake-up",
    )
    for notice in during + after:
        wait_sent(notice, KIND.NOTICE)
    during = [handed_off(notice) for notice in during]
    after = [handed_off(notice) for notice in after]
    down_at = timezone.now()
    assert down_at < min(notice.deadline_at for notice in during)

    redis_server.stop()
    wait_until(
        lambda: timezone.now() > down_at + OUTAGE, timeout=SLACK + 10, what="the outage to last"
    )
    assert timezone.now() > max(notice.deadline_at for notice in during)
    # Monitoring sees it: nobody has swept for seconds, and the deadlines due wait.
    settings.HOTLINE_CLOCK_STALL_SECONDS = 3
    stalled = client.get("/healthz/clock")
    assert stalled.status_code == 503, stalled.json()
    assert stalled.json()["due_notices"] == len(during)
    redis_server.start()
    back_at = timezone.now()
    assert back_at < min(notice.deadline_at for notice in after)

    fired = {}
    for notice in during + after:
        fired[notice.pk] = wait_overdue(notice).at
        wait_sent(notice, KIND.REPEAT)
    for notice in during:
        assert fired[notice.pk] < back_at + AFTER_OUTAGE, fired[notice.pk] - back_at
    for notice in after:
        late = fired[notice.pk] - notice.deadline_at
        assert late < ON_TIME, late
    wait_for_sweeps(worker, 1)
    for notice in during + after:
        assert_fired_once(notice)
    recovered = client.get("/healthz/clock")
    assert recovered.status_code == 200, recovered.json()
    assert worker.node in recovered.json()["workers"]
    # The same worker and beat processes throughout: nothing crashed, nothing was restarted.
    assert worker.lines(RESTARTED) == [] and beat.lines(RESTARTED) == []
    assert worker.alive() and beat.alive()
    longest = max(fired[notice.pk] - notice.deadline_at for notice in during + after)
    print(f"Redis down {OUTAGE}: longest from deadline to firing {longest}")
    # The only errors logged: the broker's absence, while it lasted (the beat logs each with
    # its traceback, whose lines say nothing more).
    logged = [line for line in live.errors() if "Traceback (most recent call last)" not in line]
    assert [line for line in logged if not BROKER_DOWN.search(line)] == []
    worker.mark()
    beat.mark()
