"""The removal clock: removal; withdrawal; the sweep command."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from hotline.actors import Actor
from hotline.errors import DomainError
from reports import deadlines, workflow
from reports.models import Event
from tests.reports.deadlines.support import DEADLINE, H, N, S, fire, messages, reload, verbs
from tests.reports.factories import ActionableReportFactory, notice_send
from tests.reports.support import T0

pytestmark = pytest.mark.django_db


# --- removal ----------------------------------------------------------------------------------


def test_an_analyst_verifies_removal(clock, notice, analyst):
    clock.move_to(T0 + 3 * H)
    report = workflow.report_confirm_removal(notice.report_id, actor=analyst)
    notice = reload(notice)
    assert report.status == S.REMOVED
    assert notice.status == N.REMOVED
    assert notice.removed_at == T0 + 3 * H
    assert notice.removal_confirmed_at is None
    assert notice.due_at is None
    event = Event.objects.get(verb="confirm_removal")
    assert event.data["source"] == "analyst"
    assert event.data["late"] is False
    assert (event.from_status, event.to_status) == (S.TAKEDOWN_REQUESTED, S.REMOVED)


def test_the_provider_confirms_removal_with_its_api_key(clock, notice):
    provider = Actor(kind="api_key", label="providerapikey:abc")
    clock.move_to(T0 + 3 * H)
    workflow.report_confirm_removal(notice.report_id, actor=provider, removed_at=T0 + 2 * H)
    notice = reload(notice)
    assert notice.report.status == S.REMOVED
    assert notice.removed_at == T0 + 2 * H
    assert notice.removal_confirmed_at == T0 + 2 * H
    event = Event.objects.get(verb="confirm_removal")
    assert (event.actor_kind, event.actor_label) == ("api_key", "providerapikey:abc")
    assert event.data["source"] == "provider"


@pytest.mark.parametrize(
    "removed_at", [T0 - timedelta(seconds=1), T0 + 3 * H + timedelta(seconds=1)]
)
def test_a_removal_time_before_the_notice_or_in_the_future_is_refused(
    clock, notice, analyst, removed_at
):
    clock.move_to(T0 + 3 * H)
    before = Event.objects.count()
    with pytest.raises(DomainError, match="between the notice reaching the provider"):
        workflow.report_confirm_removal(notice.report_id, actor=analyst, removed_at=removed_at)
    assert Event.objects.count() == before
    notice = reload(notice)
    assert notice.status == N.OPEN and notice.removed_at is None
    assert notice.report.status == S.TAKEDOWN_REQUESTED


def test_an_overdue_notice_can_still_be_removed_late(clock, notice, analyst):
    clock.move_to(DEADLINE)
    fire(notice)
    clock.move_to(DEADLINE + 6 * H)
    report = workflow.report_confirm_removal(notice.report_id, actor=analyst)
    notice = reload(notice)
    assert report.status == S.REMOVED
    assert notice.removed_at == DEADLINE + 6 * H
    assert notice.removed_at > notice.deadline_at
    event = Event.objects.get(verb="confirm_removal")
    assert event.from_status == S.OVERDUE
    assert event.data["late"] is True


def test_after_removal_nothing_fires(clock, notice, analyst):
    workflow.report_confirm_removal(notice.report_id, actor=analyst)
    for at in (DEADLINE - 4 * H, DEADLINE, DEADLINE + 10 * 24 * H):
        clock.move_to(at)
        assert fire(notice) == []
        assert deadlines.sweep_due().notices == {}
    assert messages(notice) == [("notice", 0)]
    assert verbs(notice.report_id) == ["send_notice", "hand_off_notice", "confirm_removal"]


def test_removal_without_a_running_notice_is_refused(clock, policy, analyst):
    report = ActionableReportFactory()
    with pytest.raises(DomainError, match="Confirm removal"):
        workflow.report_confirm_removal(report.pk, actor=analyst)


# --- withdrawal -------------------------------------------------------------------------------


def test_a_withdrawn_notice_puts_the_report_back_and_stops_its_timers(clock, notice, analyst):
    clock.move_to(T0 + H)
    report = workflow.report_withdraw_notice(
        notice.report_id, actor=analyst, reason="  Wrong provider: the site moved.  "
    )
    notice = reload(notice)
    assert report.status == S.ACTIONABLE
    assert notice.status == N.WITHDRAWN
    assert notice.withdrawn_at == T0 + H
    assert notice.withdrawal_reason == "Wrong provider: the site moved."
    assert notice.due_at is None
    for at in (DEADLINE - 4 * H, DEADLINE, DEADLINE + 5 * 24 * H):
        clock.move_to(at)
        assert fire(notice) == []
        assert deadlines.sweep_due().notices == {}
    assert messages(notice) == [("notice", 0)]
    # A corrected notice can be sent afterwards.
    new = notice_send(notice.report_id, actor=analyst)
    assert new.pk != notice.pk and reload(new).status == N.OPEN


def test_withdrawing_needs_a_reason(notice, analyst):
    with pytest.raises(DomainError, match="reason"):
        workflow.report_withdraw_notice(notice.report_id, actor=analyst, reason="   ")
    assert reload(notice).status == N.OPEN


# --- the sweep command ------------------------------------------------------------------------


def test_manage_py_deadlines_sweep_prints_what_it_did(clock, notice):
    out = StringIO()
    call_command("deadlines", "sweep", stdout=out)
    assert "nothing due" in out.getvalue()

    clock.move_to(DEADLINE)
    out = StringIO()
    call_command("deadlines", "sweep", stdout=out)
    text = out.getvalue()
    assert "1 overdue" in text
    assert "holds released: 0" in text
    assert "failed: 0" in text
    assert reload(notice).status == N.OVERDUE
