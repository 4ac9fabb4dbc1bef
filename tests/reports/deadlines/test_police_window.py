"""The removal clock: the police window."""

from datetime import timedelta

import pytest

from hotline.errors import DomainError
from hotline.models import Agency
from reports import deadlines, workflow
from reports.models import Event, Notice
from tests.reports.deadlines.support import H, M, N, S, fire, hold, messages, notify_police, reload
from tests.reports.factories import (
    ActionableReportFactory,
    AgencyFactory,
    notice_hand_off,
    notice_send,
)
from tests.reports.support import T0

pytestmark = pytest.mark.django_db


# --- the police window ------------------------------------------------------------------------


def test_with_a_police_window_a_notice_needs_the_police_notified_first(
    clock, window, analyst, supervisor
):
    report = ActionableReportFactory()
    regulator = AgencyFactory(name="Regulator", kind=Agency.Kind.REGULATOR)
    notify_police(report.pk, supervisor, regulator)  # a regulator is not the police
    before = (Notice.objects.count(), Event.objects.count())

    with pytest.raises(DomainError, match="Notify the police first") as excinfo:
        workflow.report_send_notice(report.pk, actor=analyst)

    assert "60m" in excinfo.value.message
    assert (Notice.objects.count(), Event.objects.count()) == before


def test_a_notice_in_the_police_window_is_scheduled_and_sent_when_it_ends(
    clock, window, analyst, supervisor, police, mailoutbox
):
    report = ActionableReportFactory()
    notify_police(report.pk, supervisor, police)  # at T0
    clock.move_to(T0 + 10 * M)

    notice = workflow.report_send_notice(report.pk, actor=analyst)

    notice = reload(notice)
    assert notice.status == N.SCHEDULED
    assert notice.scheduled_for == T0 + 60 * M
    assert notice.sent_at is None and notice.deadline_at is None
    assert notice.report.status == S.ACTIONABLE
    assert messages(notice) == []
    assert (
        Event.objects.filter(verb="schedule_notice").get().data["scheduled_for"]
        == (T0 + 60 * M).isoformat()
    )

    for at in (T0 + 30 * M, T0 + 60 * M - timedelta(seconds=1)):
        clock.move_to(at)
        assert deadlines.sweep_due().notices == {}
        assert fire(notice) == []
    assert messages(notice) == []

    clock.move_to(T0 + 60 * M)
    assert deadlines.sweep_due().notices == {"sent": 1}
    assert deadlines.sweep_due().notices == {}

    notice = reload(notice)
    assert notice.status == N.DELIVERING  # sent, not yet accepted by the provider's mail server
    assert notice.report.status == S.TAKEDOWN_REQUESTED
    assert notice.sent_at == T0 + 60 * M
    assert notice.deadline_at is None
    assert messages(notice) == [("notice", 0)]
    clock.move_to(T0 + 62 * M)
    notice = notice_hand_off(notice)
    assert notice.status == N.OPEN
    assert notice.handed_off_at == T0 + 62 * M
    assert notice.deadline_at == T0 + 62 * M + 24 * H
    event = Event.objects.get(verb="send_notice")
    assert event.actor_kind == "system"
    assert (event.from_status, event.to_status) == (S.ACTIONABLE, S.TAKEDOWN_REQUESTED)


def test_after_the_window_the_analyst_sends_at_once(clock, window, analyst, supervisor, police):
    report = ActionableReportFactory()
    notify_police(report.pk, supervisor, police)
    clock.move_to(T0 + 60 * M)
    notice = reload(notice_send(report.pk, actor=analyst))
    assert notice.status == N.OPEN
    assert notice.sent_at == T0 + 60 * M


def test_a_hold_inside_the_police_window_stops_the_notice_and_release_moves_it(
    clock, window, analyst, supervisor, police
):
    report = ActionableReportFactory()
    notify_police(report.pk, supervisor, police)
    clock.move_to(T0 + 10 * M)
    notice = workflow.report_send_notice(report.pk, actor=analyst)
    clock.move_to(T0 + 20 * M)
    hold(report.pk, supervisor, police, until=T0 + 5 * H)

    for at in (T0 + 60 * M, T0 + 2 * H):
        clock.move_to(at)
        assert deadlines.sweep_due().notices == {}
    assert messages(notice) == []

    workflow.report_hold_release(report.pk, actor=supervisor)  # at T0 + 2h: held 100 minutes
    notice = reload(notice)
    assert notice.report.status == S.ACTIONABLE
    assert notice.status == N.SCHEDULED
    assert notice.scheduled_for == T0 + 160 * M
    assert notice.held_seconds == 100 * 60

    clock.move_to(T0 + 160 * M - timedelta(seconds=1))
    assert deadlines.sweep_due().notices == {}
    clock.move_to(T0 + 160 * M)
    assert deadlines.sweep_due().notices == {"sent": 1}
    notice = notice_hand_off(reload(notice))
    assert notice.sent_at == T0 + 160 * M
    assert notice.deadline_at == T0 + 160 * M + 24 * H
    assert notice.report.status == S.TAKEDOWN_REQUESTED


def test_without_a_police_window_the_analyst_sends_at_once(clock, policy, analyst):
    notice = reload(notice_send(ActionableReportFactory().pk, actor=analyst))
    assert notice.status == N.OPEN
    assert notice.sent_at == T0
    assert messages(notice) == [("notice", 0)]
