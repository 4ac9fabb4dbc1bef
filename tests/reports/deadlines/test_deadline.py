"""The removal clock: before the deadline; the deadline and after."""

from datetime import timedelta

import pytest

from reports import deadlines
from reports.models import Event, Notice
from tests.reports.deadlines.support import DEADLINE, H, M, N, S, fire, messages, reload, verbs
from tests.reports.factories import ActionableReportFactory, notice_send
from tests.reports.support import T0

pytestmark = pytest.mark.django_db


# --- before the deadline ----------------------------------------------------------------------


def test_nothing_fires_before_the_reminder(clock, notice):
    clock.move_to(DEADLINE - 4 * H - timedelta(seconds=1))
    assert fire(notice) == []
    assert deadlines.sweep_due().notices == {}
    assert messages(notice) == [("notice", 0)]
    assert verbs(notice.report_id) == ["send_notice", "hand_off_notice"]


def test_the_reminder_goes_out_once_before_the_deadline(clock, notice):
    clock.move_to(DEADLINE - 4 * H)

    assert fire(notice) == ["reminder"]
    assert fire(notice) == []
    assert deadlines.sweep_due().notices == {}

    notice = reload(notice)
    assert messages(notice, "reminder") == [("reminder", 0)]
    assert notice.reminder_sent_at == DEADLINE - 4 * H
    assert notice.status == N.OPEN
    assert notice.report.status == S.TAKEDOWN_REQUESTED
    assert notice.due_at == DEADLINE
    assert verbs(notice.report_id) == ["send_notice", "hand_off_notice", "notice_timer"]
    clock.move_to(DEADLINE - M)
    assert fire(notice) == []
    assert messages(notice, "reminder") == [("reminder", 0)]


def test_no_reminder_when_the_deadline_is_shorter_than_the_reminder_lead(clock, policy, analyst):
    policy.HOTLINE_TAKEDOWN_DEADLINE = "2h"
    notice = notice_send(ActionableReportFactory().pk, actor=analyst)
    clock.move_to(T0 + 2 * H - M)
    assert fire(notice) == []
    clock.move_to(T0 + 2 * H)
    assert fire(notice) == ["overdue"]
    assert messages(notice, "reminder") == []


# --- the deadline and after -------------------------------------------------------------------


def test_at_the_deadline_the_notice_is_overdue_with_one_repeat(clock, notice):
    clock.move_to(DEADLINE - timedelta(seconds=1))
    assert fire(notice) == ["reminder"]  # late, but before the deadline: still a reminder
    clock.move_to(DEADLINE)

    assert fire(notice) == ["overdue"]

    notice = reload(notice)
    assert notice.status == N.OVERDUE
    assert notice.report.status == S.OVERDUE
    assert notice.report.status_changed_at == DEADLINE
    assert notice.repeats_sent == 1
    assert messages(notice, "repeat") == [("repeat", 1)]
    event = Event.objects.get(report_id=notice.report_id, verb="mark_overdue")
    assert (event.from_status, event.to_status) == (S.TAKEDOWN_REQUESTED, S.OVERDUE)
    assert event.actor_kind == "system"
    assert event.data["deadline_at"] == DEADLINE.isoformat()
    assert notice.due_at == DEADLINE + 24 * H  # the next repeat


def test_a_repeat_every_interval_and_never_more_than_the_maximum(clock, notice):
    seen = []
    for day in range(0, 8):
        clock.move_to(DEADLINE + day * 24 * H)
        seen.append(fire(notice))
        clock.move_to(DEADLINE + day * 24 * H + 23 * H)
        assert fire(notice) == []  # nothing between the repeats
    assert seen == [["overdue"], ["repeat"], ["repeat"], [], [], [], [], []]
    assert messages(notice, "repeat") == [("repeat", 1), ("repeat", 2), ("repeat", 3)]
    notice = reload(notice)
    assert notice.repeats_sent == 3
    assert notice.due_at is None  # nothing left for a timer to do
    assert notice.status == N.OVERDUE  # still overdue until removed


@pytest.mark.parametrize("max_repeats", [1, 5])
def test_the_maximum_number_of_repeats_is_a_setting(clock, notice, policy, max_repeats):
    policy.HOTLINE_MAX_REPEATS = max_repeats
    for day in range(10):
        clock.move_to(DEADLINE + day * 24 * H)
        deadlines.sweep_due()
    assert len(messages(notice, "repeat")) == max_repeats


def test_after_a_long_outage_one_repeat_is_sent_for_the_missed_ones(clock, notice, policy):
    policy.HOTLINE_MAX_REPEATS = 10
    clock.move_to(DEADLINE)
    assert fire(notice) == ["overdue"]

    clock.move_to(DEADLINE + 5 * 24 * H + 3 * H)  # five intervals later, nothing ran
    assert deadlines.sweep_due().notices == {"repeat": 1}
    assert deadlines.sweep_due().notices == {}

    assert messages(notice, "repeat") == [("repeat", 1), ("repeat", 6)]
    notice = reload(notice)
    assert notice.repeats_sent == 6
    assert notice.due_at == DEADLINE + 6 * 24 * H  # back on the interval grid


def test_an_outage_over_the_deadline_makes_it_overdue_with_one_repeat(clock, notice):
    clock.move_to(DEADLINE + 5 * 24 * H)
    assert deadlines.sweep_due().notices == {"overdue": 1}
    assert deadlines.sweep_due().notices == {}
    assert messages(notice) == [("notice", 0), ("repeat", 3)]
    assert verbs(notice.report_id) == ["send_notice", "hand_off_notice", "mark_overdue"]


def test_firing_and_sweeping_again_at_the_same_moment_fires_nothing_new(clock, notice):
    clock.move_to(DEADLINE)
    results = [fire(notice) for _ in range(3)]
    results += [deadlines.sweep_due().notices for _ in range(3)]
    assert results == [["overdue"], [], [], {}, {}, {}]
    assert verbs(notice.report_id) == ["send_notice", "hand_off_notice", "mark_overdue"]
    assert messages(notice) == [("notice", 0), ("repeat", 1)]


def test_the_sweep_finds_due_notices_in_batches(clock, policy, analyst):
    sent = [notice_send(ActionableReportFactory().pk, actor=analyst) for _ in range(5)]
    clock.move_to(DEADLINE)
    assert deadlines.sweep_due(batch=2).notices == {"overdue": 5}
    assert set(Notice.objects.values_list("status", flat=True)) == {N.OVERDUE}
    assert all(messages(n, "repeat") == [("repeat", 1)] for n in sent)
