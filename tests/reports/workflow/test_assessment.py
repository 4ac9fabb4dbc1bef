"""The triage workflow: assessment; duplicates."""

import pytest

from hotline.errors import DomainError
from reports import workflow
from reports.models import Report
from tests.reports.factories import stored_values
from tests.reports.workflow.support import CALLS, ILLEGAL, S, as_user, put_in_status

pytestmark = pytest.mark.django_db


# --- assessment --------------------------------------------------------------------------------


def test_assess_illegal_stores_the_classification_and_who_assessed_when(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)

    report = workflow.report_assess_illegal(
        world.report.pk, actor=as_user(world.analyst), **ILLEGAL
    )

    report.refresh_from_db()
    assert report.status == S.ACTIONABLE
    assert (report.legal_status, report.industry_category) == ("baseline", "A1")
    assert (report.content_type, report.site_type, report.commerciality) == (
        "video",
        "forum",
        "commercial",
    )
    assert report.assessed_by == world.analyst
    assert report.assessed_at == report.status_changed_at
    undetermined = {
        "payment_methods": [],
        "is_virtual": None,
        "is_user_generated": None,
        "is_child_modeling": None,
        "age_group": "",
        "gender": "",
    }
    assert report.events.get(verb="assess_illegal").data == {**ILLEGAL, **undetermined}


def test_assess_illegal_keeps_what_the_analyst_determined_and_nothing_else(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)

    workflow.report_assess_illegal(
        world.report.pk,
        actor=as_user(world.analyst),
        **ILLEGAL,
        payment_methods=["visa", "bitcoin", "visa"],
        is_virtual=False,
        age_group="prepubescent",
    )

    report = Report.objects.get(pk=world.report.pk)
    assert report.payment_methods == ["bitcoin", "visa"]
    assert (report.is_virtual, report.is_user_generated) == (False, None)
    assert (report.age_group, report.gender) == ("prepubescent", "")


def test_not_illegal_needs_its_reason_and_is_classified_as_not_illegal(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)
    with pytest.raises(DomainError, match="Why it is not illegal must be one of"):
        workflow.report_assess_not_actionable(
            world.report.pk, actor=as_user(world.analyst), reason="not_illegal"
        )

    workflow.report_assess_not_actionable(
        world.report.pk,
        actor=as_user(world.analyst),
        reason="not_illegal",
        not_illegal_reason="adult",
    )

    report = Report.objects.get(pk=world.report.pk)
    assert (report.legal_status, report.not_illegal_reason) == ("not_illegal", "adult")


def test_assess_not_actionable_closes_with_the_reason(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)

    report = workflow.report_assess_not_actionable(
        world.report.pk, actor=as_user(world.analyst), reason="already_removed"
    )

    report.refresh_from_db()
    assert (report.status, report.not_actionable_reason) == (S.CLOSED, "already_removed")
    assert (report.assessed_by, report.assessed_at) == (world.analyst, report.status_changed_at)
    assert not report.is_open


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("legal_status", "illegal", "The legal status must be one of: baseline, national (not"),
        ("legal_status", "not_illegal", "The legal status must be one of: baseline, national (not"),
        ("industry_category", "C1", "The category must be one of: A1, A2, B1, B2."),
        ("content_type", "pdf", "The content type must be one of: image, video, link, container,"),
        ("site_type", "darknet", "The site type must be one of: website, web_page, file_host,"),
        ("commerciality", "", "The commerciality must be one of: commercial, non_commercial,"),
    ],
)
def test_assess_illegal_refuses_a_classification_that_is_not_a_choice(world, field, value, message):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)
    snapshot = stored_values()

    with pytest.raises(DomainError) as caught:
        workflow.report_assess_illegal(
            world.report.pk, actor=as_user(world.analyst), **{**ILLEGAL, field: value}
        )

    assert caught.value.message.startswith(message)
    assert stored_values() == snapshot


def test_assess_not_actionable_refuses_an_unknown_reason(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)
    snapshot = stored_values()

    with pytest.raises(DomainError, match="The reason must be one of: not_illegal, out_of_remit"):
        workflow.report_assess_not_actionable(
            world.report.pk, actor=as_user(world.analyst), reason="boring"
        )
    assert stored_values() == snapshot


# --- duplicates --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.NEW, S.IN_REVIEW])
def test_mark_duplicate_points_at_the_open_report_and_adds_its_count(world, status):
    put_in_status(world, status, owner=world.analyst)
    Report.objects.filter(pk=world.report.pk).update(times_reported=3)

    report = workflow.report_mark_duplicate(
        world.report.pk,
        actor=as_user(world.analyst),
        original_reference=f" {world.other.reference.lower()} ",
    )

    report.refresh_from_db()
    assert (report.status, report.duplicate_of) == (S.DUPLICATE, world.other)
    assert Report.objects.get(pk=world.other.pk).times_reported == 1 + 3
    assert report.events.get(verb="mark_duplicate").data == {"duplicate_of": world.other.reference}


@pytest.mark.parametrize(
    ("original_status", "message"),
    [
        (S.CLOSED, "is closed: a duplicate can only point at an open report"),
        (S.FORWARDED, "is forwarded: a duplicate can only point at an open report"),
        (S.REMOVED, "is removed: a duplicate can only point at an open report"),
    ],
)
def test_mark_duplicate_refuses_a_closed_original(world, original_status, message):
    Report.objects.filter(pk=world.other.pk).update(status=original_status)
    snapshot = stored_values()

    with pytest.raises(DomainError, match=message):
        CALLS["mark_duplicate"](world, as_user(world.analyst))
    assert stored_values() == snapshot


@pytest.mark.parametrize("reference", ["self", "NOSUCHREF", ""])
def test_mark_duplicate_refuses_itself_or_an_unknown_reference(world, reference):
    reference = world.report.reference if reference == "self" else reference
    snapshot = stored_values()

    with pytest.raises(DomainError, match="No other report has the reference"):
        workflow.report_mark_duplicate(
            world.report.pk, actor=as_user(world.analyst), original_reference=reference
        )
    assert stored_values() == snapshot
