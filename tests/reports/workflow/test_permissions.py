"""The triage workflow: permissions; the notice's own table."""

import pytest

from hotline.actors import Actor
from hotline.errors import NotPermitted
from reports import workflow
from reports.models import Notice, Report
from reports.workflow import TRANSITIONS, TransitionNotAllowed
from tests.reports.factories import stored_values
from tests.reports.workflow.support import CALLS, S, as_user, put_in_status

pytestmark = pytest.mark.django_db


# --- permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("escalate", S.ACTIONABLE),
        ("hold", S.ACTIONABLE),
        ("release_hold", S.ON_HOLD),
        ("take_over", S.IN_REVIEW),
    ],
)
def test_an_analyst_may_not_escalate_hold_or_override(world, name, status):
    put_in_status(world, status, owner=world.analyst)
    snapshot = stored_values()

    with pytest.raises(NotPermitted) as caught:
        CALLS[name](world, as_user(world.analyst))

    assert caught.value.message == f"ann may not '{TRANSITIONS[name].label}'."
    assert caught.value.status_code == 403
    assert stored_values() == snapshot


@pytest.mark.parametrize("name", sorted(CALLS))
def test_an_auditor_may_do_nothing(world, name):
    source = sorted(TRANSITIONS[name].sources)[0]
    put_in_status(world, source, owner=world.auditor)
    snapshot = stored_values()

    with pytest.raises(NotPermitted, match="aud may not"):
        CALLS[name](world, as_user(world.auditor))
    assert stored_values() == snapshot


@pytest.mark.parametrize("actor", [Actor.public(), Actor.system()])
def test_only_the_transitions_meant_for_the_system_run_without_a_user(world, actor):
    put_in_status(world, S.NEW)
    with pytest.raises(NotPermitted):
        CALLS["claim"](world, actor)


def test_transitions_allowed_lists_what_the_role_may_do_in_the_state(world):
    put_in_status(world, S.ACTIONABLE)
    report = Report.objects.get(pk=world.report.pk)

    def names(user):  # the triage transitions; notices are the next issue's
        return {t.name for t in workflow.transitions_allowed(report, user)} & set(CALLS)

    assert names(world.analyst) == {"set_hosting", "forward"}
    assert names(world.supervisor) == {"set_hosting", "forward", "escalate", "hold"}
    assert workflow.transitions_allowed(report, world.auditor) == []


@pytest.mark.parametrize(
    ("before_hold", "allowed"),
    [
        (S.ACTIONABLE, set()),
        (S.TAKEDOWN_REQUESTED, {"acknowledge_notice", "dispute_notice", "confirm_removal"}),
        (S.OVERDUE, {"acknowledge_notice", "dispute_notice", "confirm_removal"}),
    ],
)
def test_a_hold_lets_through_the_answers_to_the_notice_it_paused(world, before_hold, allowed):
    # A provider's answers are taken during a hold as outside one; nothing else is.
    report = put_in_status(world, S.ON_HOLD, before_hold=before_hold)
    answers = {"acknowledge_notice", "dispute_notice", "confirm_removal"}

    assert {name for name in answers if TRANSITIONS[name].allowed_for(report)} == allowed
    assert ("confirm_removal" in allowed) == (
        "confirm_removal" in {t.name for t in workflow.transitions_allowed(report, world.analyst)}
    )
    if not allowed:
        snapshot = stored_values()
        with pytest.raises(TransitionNotAllowed, match="is on hold;"):
            workflow.report_confirm_removal(report.pk, actor=as_user(world.analyst))
        assert stored_values() == snapshot


# --- the notice's own table ---------------------------------------------------------------------


def test_the_notice_table_names_every_status_and_ends_in_removed_or_withdrawn():
    table = workflow.NOTICE_TRANSITIONS
    reachable = set().union(*table.values())
    assert reachable == set(Notice.Status.values)
    assert set(Notice.Status.values) - set(table) == {
        Notice.Status.REMOVED,
        Notice.Status.WITHDRAWN,
    }


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (Notice.Status.OPEN, Notice.Status.SCHEDULED),
        (Notice.Status.OPEN, Notice.Status.DELIVERING),
        (Notice.Status.OVERDUE, Notice.Status.OPEN),
        (Notice.Status.REMOVED, Notice.Status.OPEN),
        (Notice.Status.WITHDRAWN, Notice.Status.DELIVERING),
    ],
)
def test_a_notice_move_the_table_does_not_declare_is_refused(world, source, target):
    from reports.workflow.engine import notice_status_move

    put_in_status(world, S.ACTIONABLE)
    notice = Notice.objects.create(report=world.report, provider=world.provider, status=source)
    with pytest.raises(workflow.NoticeTransitionNotAllowed, match="cannot become"):
        notice_status_move(notice, target)
    assert Notice.objects.get(pk=notice.pk).status == source
