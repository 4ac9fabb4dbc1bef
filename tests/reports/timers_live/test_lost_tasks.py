"""Deadlines with a real worker, beat and Redis: 2. the broker loses every task; 3. the worker
holding the timers is killed.
"""

from datetime import timedelta

from django.utils import timezone

from reports.models import MessageItem, Notice, OutgoingMessage
from tests.reports.factories import ProviderFactory, notice_hand_off
from tests.reports.live_worker import (
    WAKE_RECEIVED,
    queued_tasks,
    sweeps_done,
    wait_for_sweeps,
    wait_until,
)
from tests.reports.timers_live.support import (
    KIND,
    LIVE,
    SLACK,
    actionable_report,
    assert_fired_once,
    handed_off,
    send_notice,
    wait_overdue,
    wait_sent,
    wake_results,
    wake_tasks_for,
)

pytestmark = LIVE


# --- 2. the broker loses every task --------------------------------------------------------------


def test_the_beat_sweep_fires_a_deadline_after_redis_lost_every_task(live, supervisor, mailoutbox):
    report = actionable_report(supervisor, ProviderFactory())
    # No worker runs: this process hands the notices over; the deadline's wake task waits in
    # Redis. A deadline beyond the wake-up horizon (2 minutes) gets no wake task: the sweep alone
    # fires it.
    notice = notice_hand_off(send_notice(supervisor, report))
    live.configure(HOTLINE_TAKEDOWN_DEADLINE="1h")
    later = notice_hand_off(
        send_notice(supervisor, actionable_report(supervisor, ProviderFactory()))
    )
    client = live.broker_client()
    waiting = queued_tasks(client)
    assert later.deadline_at - later.handed_off_at == timedelta(hours=1)
    assert wake_tasks_for(waiting) == {notice.pk: [notice.deadline_at]}

    client.flushall()
    assert client.dbsize() == 0
    assert timezone.now() < notice.deadline_at  # lost before the deadline, not after it

    worker = live.start_worker(wait=False)
    beat = live.start_beat(wait=False)
    live.wait_worker_ready(worker)
    beat.wait_for_log("beat: Starting")

    fired = wait_overdue(notice)
    print(f"FLUSHALL: from deadline to firing {fired.at - notice.deadline_at}")
    wait_sent(notice, KIND.REPEAT)
    # No timer task survived the flush: a beat sweep did it (and later ones found nothing).
    wait_until(
        lambda: any("1 overdue" in summary for summary in sweeps_done(worker)),
        timeout=SLACK,
        what="the sweep that fired the deadline to finish",
    )
    wait_for_sweeps(worker, 1)
    assert wake_results(worker) == []
    assert_fired_once(notice)
    # The notices themselves went once each, handed over before the flush (the worker delivered
    # the repeat).
    sent = OutgoingMessage.objects.filter(kind=KIND.NOTICE)
    assert {item.notice_id for item in MessageItem.objects.filter(message__in=sent)} == {
        notice.pk,
        later.pk,
    }
    assert sorted(mail.subject for mail in mailoutbox) == sorted(m.subject for m in sent)
    assert not OutgoingMessage.objects.filter(sent_at__isnull=True).exists()
    assert not MessageItem.objects.filter(message__isnull=True).exists()


# --- 3. the worker holding the timers is killed --------------------------------------------------


KILLED_NOTICES = 4


def test_a_killed_worker_loses_no_deadline_and_the_next_fires_each_once(live, supervisor):
    first = live.start_worker("first", wait=False)
    provider = ProviderFactory()
    reports = [actionable_report(supervisor, provider) for _ in range(KILLED_NOTICES)]
    live.wait_worker_ready(first)

    notices = [send_notice(supervisor, report) for report in reports]
    notices = [handed_off(notice) for notice in notices]  # by the first worker
    wait_until(
        lambda: len(first.lines(WAKE_RECEIVED)) >= KILLED_NOTICES,
        timeout=SLACK,
        what="the first worker to take every deadline task",
    )
    assert timezone.now() < min(notice.deadline_at for notice in notices)

    first.kill()

    # The dead worker's reserved ETA tasks stay invisible in Redis for the visibility timeout.
    client = live.broker_client()
    stranded = wake_tasks_for(queued_tasks(client))
    assert stranded == {notice.pk: [notice.deadline_at] for notice in notices}
    assert client.llen("celery") == 0
    second = live.start_worker("second", wait=False)
    beat = live.start_beat(wait=False)
    live.wait_worker_ready(second)
    beat.wait_for_log("beat: Starting")

    late = timedelta(0)
    for notice in notices:
        late = max(late, wait_overdue(notice).at - notice.deadline_at)
        wait_sent(notice, KIND.REPEAT)
    print(f"worker SIGKILL: longest from deadline to firing {late}")
    wait_for_sweeps(second, 1)
    for notice in notices:
        assert_fired_once(notice)
        assert Notice.objects.get(pk=notice.pk).due_at > timezone.now()  # the next repeat
