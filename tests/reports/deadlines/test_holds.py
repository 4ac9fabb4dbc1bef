"""The removal clock: wake-ups; holds."""

from datetime import timedelta

import pytest

from reports import deadlines, workflow
from reports.models import Event, Hold
from tests.reports.deadlines.support import DEADLINE, H, M, N, S, fire, hold, messages, reload
from tests.reports.factories import ActionableReportFactory
from tests.reports.support import T0, deliver_due

pytestmark = pytest.mark.django_db


# --- wake-ups ---------------------------------------------------------------------------------


def test_a_wake_up_with_the_current_deadline_fires(clock, notice):
    clock.move_to(DEADLINE)
    assert deadlines.notice_wake(notice.pk, DEADLINE.isoformat()) == ["overdue"]
    assert deadlines.notice_wake(notice.pk, DEADLINE.isoformat()) == []


def test_a_wake_up_for_a_deadline_that_moved_does_nothing(clock, notice, supervisor, police):
    old_key = DEADLINE.isoformat()
    clock.move_to(T0 + H)
    hold(notice.report_id, supervisor, police, until=T0 + 10 * H)
    clock.move_to(T0 + 3 * H)
    workflow.report_hold_release(notice.report_id, actor=supervisor)
    new_deadline = DEADLINE + 2 * H
    assert reload(notice).deadline_at == new_deadline

    clock.move_to(new_deadline)  # due by the new deadline, but the wake-up is for the old one
    assert deadlines.notice_wake(notice.pk, old_key) == []
    assert reload(notice).status == N.OPEN
    assert deadlines.notice_wake(notice.pk, new_deadline.isoformat()) == ["overdue"]


def test_a_wake_up_for_a_finished_notice_does_nothing(clock, notice, analyst):
    workflow.report_confirm_removal(notice.report_id, actor=analyst)
    clock.move_to(DEADLINE)
    assert deadlines.notice_wake(notice.pk, DEADLINE.isoformat()) == []


def test_releasing_a_hold_schedules_wake_ups_for_the_moved_deadline(
    clock, notice, supervisor, police, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(
        "celery.app.base.Celery.send_task",
        lambda self, name, args=None, eta=None, **kw: calls.append((name, args, eta)),
    )
    clock.move_to(DEADLINE - M)
    assert fire(notice) == ["reminder"]
    with django_capture_on_commit_callbacks(execute=True):
        hold(notice.report_id, supervisor, police, until=T0 + 10 * 24 * H)
    assert calls == []  # the clock is paused: nothing to wake up for
    clock.shift(timedelta(seconds=30))
    with django_capture_on_commit_callbacks(execute=True):
        workflow.report_hold_release(notice.report_id, actor=supervisor)
    # The moved deadline is 1 minute ahead, inside the wake-up horizon.
    moved = DEADLINE + timedelta(seconds=30)
    assert calls == [("reports.tasks.notice_wake", [notice.pk, moved.isoformat()], moved)]


# --- holds ------------------------------------------------------------------------------------


def test_nothing_fires_during_a_hold_and_release_moves_the_deadline_by_its_length(
    clock, notice, supervisor, police
):
    clock.move_to(T0 + 2 * H)
    report = hold(notice.report_id, supervisor, police, until=T0 + 10 * 24 * H)
    assert report.status == S.ON_HOLD
    assert reload(notice).due_at is None

    for at in (DEADLINE - 4 * H, DEADLINE, DEADLINE + 24 * H, T0 + 5 * 24 * H):
        clock.move_to(at)
        assert fire(notice) == []
        assert deadlines.sweep_due().notices == {}
    assert messages(notice) == [("notice", 0)]

    clock.move_to(T0 + 5 * 24 * H)
    report = workflow.report_hold_release(notice.report_id, actor=supervisor)

    held = 5 * 24 * H - 2 * H
    notice = reload(notice)
    assert report.status == S.TAKEDOWN_REQUESTED
    assert report.status_before_hold == ""
    assert notice.status == N.OPEN
    assert notice.deadline_at == DEADLINE + held
    assert notice.held_seconds == int(held.total_seconds())
    # No reminder: it would name the deadline the provider was given, which passed in the hold.
    assert notice.due_at == DEADLINE + held
    hold_row = Hold.objects.get()
    assert hold_row.notice == notice
    assert hold_row.released_at == T0 + 5 * 24 * H
    event = Event.objects.filter(verb="release_hold").get()
    assert event.data["held_seconds"] == int(held.total_seconds())
    assert event.data["deadline_at"] == (DEADLINE + held).isoformat()
    assert (event.from_status, event.to_status) == (S.ON_HOLD, S.TAKEDOWN_REQUESTED)

    clock.move_to(DEADLINE + held - M)
    assert fire(notice) == []
    clock.move_to(DEADLINE + held)
    assert fire(notice) == ["overdue"]


def test_a_notice_held_before_its_hand_off_waits_and_its_clock_starts_after_the_hold(
    clock, policy, analyst, supervisor, police, mailoutbox
):
    notice = workflow.report_send_notice(ActionableReportFactory().pk, actor=analyst)
    clock.move_to(T0 + 10 * M)
    hold(notice.report_id, supervisor, police, until=T0 + 10 * 24 * H)
    assert Hold.objects.get().notice_id == notice.pk

    for at in (T0 + 2 * H, DEADLINE, DEADLINE + 24 * H):  # the mail server is up all along
        clock.move_to(at)
        deadlines.sweep_due()
        assert deliver_due() == 0
    assert mailoutbox == []  # the agency asked the hotline not to alert the provider yet
    assert reload(notice).status == N.DELIVERING

    workflow.report_hold_release(notice.report_id, actor=supervisor)
    notice = reload(notice)
    # The clock had not started: nothing to move, no held time to take off later.
    assert (notice.status, notice.deadline_at, notice.held_seconds) == (N.DELIVERING, None, 0)
    assert notice.report.status == S.TAKEDOWN_REQUESTED

    assert deliver_due() == 1  # the next redelivery hands it over
    notice = reload(notice)
    assert notice.status == N.OPEN
    assert notice.handed_off_at == DEADLINE + 24 * H
    assert notice.deadline_at == DEADLINE + 48 * H
    assert len(mailoutbox) == 1


def test_a_hold_on_an_overdue_notice_pauses_its_repeats(clock, notice, supervisor, police):
    clock.move_to(DEADLINE)
    fire(notice)
    clock.move_to(DEADLINE + 2 * H)
    hold(notice.report_id, supervisor, police, until=DEADLINE + 30 * 24 * H)
    clock.move_to(DEADLINE + 5 * 24 * H)
    assert deadlines.sweep_due().notices == {}
    workflow.report_hold_release(notice.report_id, actor=supervisor)
    notice = reload(notice)
    assert notice.report.status == S.OVERDUE
    assert notice.deadline_at == DEADLINE + 5 * 24 * H - 2 * H
    assert messages(notice, "repeat") == [("repeat", 1)]
    clock.move_to(notice.deadline_at + 24 * H)
    assert fire(notice) == ["repeat"]


def test_the_sweep_releases_an_expired_hold_by_its_planned_length(
    clock, notice, supervisor, police
):
    clock.move_to(T0 + 2 * H)
    hold(notice.report_id, supervisor, police, until=T0 + 6 * H)
    clock.move_to(T0 + 11 * H)  # the hold ended five hours ago; the sweep finds it now

    result = deadlines.sweep_due()

    assert result.holds_released == 1
    assert deadlines.sweep_due().holds_released == 0
    notice = reload(notice)
    assert notice.report.status == S.TAKEDOWN_REQUESTED
    assert notice.deadline_at == DEADLINE + 4 * H  # until - start, not until the sweep ran
    assert notice.held_seconds == 4 * 3600
    assert Hold.objects.get().released_at == T0 + 6 * H
    event = Event.objects.get(verb="release_hold")
    assert event.actor_kind == "system"
    assert event.data["expired"] is True
    assert event.data["held_seconds"] == 4 * 3600
