"""The four-eyes rule (HOTLINE_FOUR_EYES): an illegal assessment needs a second analyst's
confirmation before any notice goes out; the assessment keeps its first analyst's time."""

import pytest

from hotline.actors import Actor
from hotline.errors import DomainError
from reports import workflow
from reports.models import Event, Notice, Report
from tests.reports.factories import ActionableReportFactory, stored_values
from tests.reports.triage_admin.support import post
from tests.reports.workflow.support import ILLEGAL

pytestmark = pytest.mark.django_db


@pytest.fixture
def four_eyes(settings):
    settings.HOTLINE_FOUR_EYES = True


@pytest.fixture
def assessed(people, provider):
    """Claimed and assessed illegal by ann, hosting set: ready for a notice but for the rule."""
    actor = Actor.for_user(people["analyst"])
    report = ActionableReportFactory(status="new", provider=None, legal_status="")
    workflow.report_claim(report.pk, actor=actor)
    workflow.report_assess_illegal(report.pk, actor=actor, **ILLEGAL)
    workflow.report_set_hosting(report.pk, actor=actor, provider_id=provider.pk, country="NL")
    return Report.objects.get(pk=report.pk)


def test_no_notice_goes_out_until_a_second_analyst_confirms(four_eyes, assessed, people):
    ann, bob = Actor.for_user(people["analyst"]), Actor.for_user(people["bob"])
    before = stored_values()

    with pytest.raises(DomainError, match="second analyst confirms the assessment"):
        workflow.report_send_notice(assessed.pk, actor=ann)
    assert stored_values() == before

    workflow.report_confirm_assessment(assessed.pk, actor=bob)
    report = Report.objects.get(pk=assessed.pk)
    assert report.assessment_confirmed_by == people["bob"]
    assert report.assessed_by == people["analyst"]
    assert report.assessed_at == assessed.assessed_at  # the first analyst's time stays
    assert report.assessment_confirmed_at >= report.assessed_at
    event = Event.objects.filter(report=report).latest("id")
    assert (event.verb, event.actor_label, event.data) == (
        "confirm_assessment",
        "bob",
        {"assessed_by": "ann"},
    )

    notice = workflow.report_send_notice(assessed.pk, actor=ann)
    assert notice.status == Notice.Status.DELIVERING


def test_the_analyst_who_assessed_it_cannot_confirm_it(four_eyes, assessed, people):
    before = stored_values()

    with pytest.raises(DomainError, match="You assessed this report"):
        workflow.report_confirm_assessment(assessed.pk, actor=Actor.for_user(people["analyst"]))

    assert stored_values() == before


def test_a_confirmation_is_given_once(four_eyes, assessed, people):
    workflow.report_confirm_assessment(assessed.pk, actor=Actor.for_user(people["bob"]))

    with pytest.raises(DomainError, match="already confirmed by bob"):
        workflow.report_confirm_assessment(assessed.pk, actor=Actor.for_user(people["supervisor"]))


def test_the_one_step_notify_is_refused_whole_under_the_rule(four_eyes, people, provider):
    report = ActionableReportFactory(status="new", provider=None, legal_status="")
    before = stored_values()

    with pytest.raises(DomainError, match="four-eyes rule"):
        workflow.report_assess_illegal_step(
            report.pk,
            actor=Actor.for_user(people["analyst"]),
            then="notify",
            provider_id=provider.pk,
            country="NL",
            **ILLEGAL,
        )

    assert stored_values() == before  # not claimed, not assessed: nothing at all


def test_with_the_rule_off_nothing_changes(assessed, people):
    with pytest.raises(DomainError, match="The four-eyes rule is off"):
        workflow.report_confirm_assessment(assessed.pk, actor=Actor.for_user(people["bob"]))

    notice = workflow.report_send_notice(assessed.pk, actor=Actor.for_user(people["analyst"]))
    assert notice.status == Notice.Status.DELIVERING
    assert Report.objects.get(pk=assessed.pk).assessment_confirmed_at is None


def test_the_confirm_button_shows_only_to_a_second_analyst_under_the_rule(
    four_eyes, assessed, ann, bob
):
    url = f"/admin/reports/report/{assessed.pk}/change/"

    ann_page = ann.get(url).content.decode()
    bob_page = bob.get(url).content.decode()

    assert "transition/confirm_assessment/" not in ann_page
    assert "transition/send_notice/" not in ann_page  # it cannot succeed yet
    assert "no notice goes out until a second analyst confirms it" in ann_page
    assert "transition/confirm_assessment/" in bob_page

    post(bob, assessed, "confirm_assessment")
    after = ann.get(url).content.decode()
    assert "Confirmed by bob" in after
    assert "transition/send_notice/" in after
