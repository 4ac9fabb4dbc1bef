"""Escalations from the report page: an analyst logs an urgent one ("a child may be in immediate
danger") without a supervisor, and only that kind; a supervisor enters any kind, and corrects an
earlier one (a new entry pointing at it: escalations are never edited)."""

import pytest

from hotline.actors import Actor
from hotline.errors import NotPermitted
from reports import workflow
from reports.models import Escalation, Event
from tests.reports.factories import ActionableReportFactory, stored_values
from tests.reports.triage_admin.support import buttons, page, post

pytestmark = pytest.mark.django_db


def escalate(report, user, agency, kind="urgent", channel="phone", **fields):
    return workflow.report_escalate(
        report.pk,
        actor=Actor.for_user(user),
        agency_id=agency.pk,
        kind=kind,
        channel=channel,
        **fields,
    )


def test_an_analyst_logs_an_urgent_escalation_themselves_audited_as_such(people, agency):
    report = ActionableReportFactory()

    escalation = escalate(report, people["analyst"], agency, agency_reference="POL-77")

    assert (escalation.kind, escalation.created_by) == ("urgent", people["analyst"])
    event = Event.objects.filter(report=report).latest("id")
    assert (event.verb, event.actor_label, event.data["kind"]) == (
        "escalate_urgent",
        "ann",
        "urgent",
    )


@pytest.mark.parametrize("kind", ["notification", "non_compliance"])
def test_an_analyst_may_not_log_other_kinds(people, agency, kind):
    report = ActionableReportFactory()
    before = stored_values()

    with pytest.raises(NotPermitted, match="may not 'Escalate to an agency'"):
        escalate(report, people["analyst"], agency, kind=kind, channel="email")

    assert stored_values() == before


def test_an_analyst_may_not_correct_an_escalation(people, agency):
    report = ActionableReportFactory()
    first = escalate(report, people["analyst"], agency)

    with pytest.raises(NotPermitted):
        escalate(report, people["analyst"], agency, corrects_id=first.pk)


def test_the_analyst_sees_the_urgent_form_and_the_supervisor_the_full_one(ann, sam, agency):
    report = ActionableReportFactory()
    url = f"/admin/reports/report/{report.pk}/change/"

    analyst_page, supervisor_page = page(ann, url), page(sam, url)

    assert "escalate_urgent" in buttons(analyst_page) and "escalate" not in buttons(analyst_page)
    assert 'name="escalate_urgent-kind"' not in analyst_page
    assert "escalate" in buttons(supervisor_page)
    assert "escalate_urgent" not in buttons(supervisor_page)

    response = post(ann, report, "escalate_urgent", agency=agency.pk, channel="phone")
    assert response.status_code == 302
    assert report.escalations.get().kind == "urgent"


def test_a_supervisor_enters_a_correction_of_an_earlier_escalation(sam, people, agency):
    report = ActionableReportFactory()
    first = escalate(report, people["analyst"], agency, agency_reference="POL-1")
    url = f"/admin/reports/report/{report.pk}/change/"
    text = page(sam, url)
    assert 'name="escalate-corrects"' in text
    assert "National Police: urgent: a child may be in danger, POL-1" in text  # no ids

    post(
        sam,
        report,
        "escalate",
        agency=agency.pk,
        kind="notification",
        channel="email",
        agency_reference="POL-1b",
        note="The agency's reference was wrong.",
        corrects=first.pk,
    )

    correction = report.escalations.exclude(pk=first.pk).get()
    assert (correction.corrects, correction.agency_reference) == (first, "POL-1b")
    assert Escalation.objects.get(pk=first.pk).agency_reference == "POL-1"  # never edited
    assert "corrects the one of" in page(sam, url)
