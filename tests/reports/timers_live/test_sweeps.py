"""Deadlines with a real worker, beat and Redis: 4. two sweeps at once."""

import time

from django.utils import timezone

from reports import deadlines
from reports.models import OutgoingMessage
from tests.reports.factories import ProviderFactory, notice_hand_off
from tests.reports.live_worker import wait_until
from tests.reports.support import deliver_due, run_together
from tests.reports.timers_live.support import (
    LIVE,
    SLACK,
    actionable_report,
    assert_fired_once,
    send_notice,
)

pytestmark = LIVE


# --- 4. two sweeps at once ---------------------------------------------------------------------


SWEPT_NOTICES = 9


def test_two_simultaneous_sweeps_fire_each_due_notice_once(live, supervisor, mailoutbox):
    live.configure(HOTLINE_TAKEDOWN_DEADLINE="1s")
    provider = ProviderFactory()
    # No worker runs: this process hands the notices over, the two sweeps do the rest.
    notices = [
        notice_hand_off(send_notice(supervisor, actionable_report(supervisor, provider)))
        for _ in range(SWEPT_NOTICES)
    ]
    latest = max(notice.deadline_at for notice in notices)
    wait_until(lambda: timezone.now() > latest, timeout=SLACK, what="every deadline to pass")

    def sweep(i):
        started = time.monotonic()
        result = deadlines.sweep_due(batch=3)
        return started, time.monotonic(), result

    runs = run_together(2, sweep)

    (start_a, end_a, _), (start_b, end_b, _) = runs
    assert max(start_a, start_b) < min(end_a, end_b), "the two sweeps did not overlap"
    results = [result for _, _, result in runs]
    assert [result.failed for result in results] == [[], []]
    assert sum(result.notices.get("overdue", 0) for result in results) == SWEPT_NOTICES
    assert deliver_due() == 1  # the repeats, sent apart from the sweeps, in one message
    for notice in notices:
        assert_fired_once(notice)
    assert not OutgoingMessage.objects.filter(sent_at__isnull=True).exists()
    [repeats] = OutgoingMessage.objects.filter(kind="repeat")
    assert repeats.items.count() == SWEPT_NOTICES
    assert len(mailoutbox) == SWEPT_NOTICES + 1
    assert len({(m.to[0], m.subject) for m in mailoutbox}) == SWEPT_NOTICES + 1
    again = deadlines.sweep_due()
    assert (again.notices, deliver_due()) == ({}, 0)
