"""The triage workflow: claim, release, take over: the owner rule."""

import pytest

from hotline.errors import NotPermitted
from reports import workflow
from reports.models import Report
from reports.workflow import TransitionNotAllowed
from tests.reports.factories import stored_values
from tests.reports.workflow.support import CALLS, S, as_user, put_in_status

pytestmark = pytest.mark.django_db


# --- claim, release, take over: the owner rule --------------------------------------------------


def test_claim_assigns_the_report_and_others_see_who_has_it(world):
    report = workflow.report_claim(world.report.pk, actor=as_user(world.analyst))

    assert report.assigned_to == world.analyst
    assert report.claimed_at == report.status_changed_at
    with pytest.raises(TransitionNotAllowed, match="is in review; 'Claim'"):
        workflow.report_claim(world.report.pk, actor=as_user(world.analyst2))
    assert Report.objects.get(pk=report.pk).assigned_to == world.analyst


@pytest.mark.parametrize(
    "name", ["assess_illegal", "assess_not_actionable", "release", "mark_duplicate"]
)
def test_another_analyst_cannot_decide_on_a_report_claimed_by_someone_else(world, name):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)
    snapshot = stored_values()

    with pytest.raises(TransitionNotAllowed) as caught:
        CALLS[name](world, as_user(world.analyst2))

    assert "claimed by ann" in caught.value.message
    assert stored_values() == snapshot


def test_a_supervisor_must_take_over_before_assessing_and_then_owns_it(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)
    with pytest.raises(TransitionNotAllowed, match="claimed by ann"):
        CALLS["assess_illegal"](world, as_user(world.supervisor))

    report = workflow.report_take_over(world.report.pk, actor=as_user(world.supervisor))

    assert report.assigned_to == world.supervisor
    assert report.status == S.IN_REVIEW
    assert report.events.get(verb="take_over").data == {"from": "ann"}
    assert CALLS["assess_illegal"](world, as_user(world.supervisor)).status == S.ACTIONABLE
    with pytest.raises(TransitionNotAllowed):
        CALLS["assess_not_actionable"](world, as_user(world.analyst))


def test_an_analyst_cannot_take_over(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)
    snapshot = stored_values()

    with pytest.raises(NotPermitted, match="ann may not 'Take over'"):
        workflow.report_take_over(world.report.pk, actor=as_user(world.analyst))
    with pytest.raises(NotPermitted):
        workflow.report_take_over(world.report.pk, actor=as_user(world.analyst2))
    assert stored_values() == snapshot


def test_the_owner_releases_back_to_the_new_queue(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)

    report = workflow.report_release(world.report.pk, actor=as_user(world.analyst))

    assert (report.status, report.assigned_to, report.claimed_at) == (S.NEW, None, None)
    assert report.events.get(verb="release").data == {"released": "ann"}


def test_a_supervisor_may_release_someone_elses_claim(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)

    report = workflow.report_release(world.report.pk, actor=as_user(world.supervisor))

    assert (report.status, report.assigned_to) == (S.NEW, None)
    event = report.events.get(verb="release")
    assert (event.actor_label, event.data) == ("sam", {"released": "ann"})
