"""The triage admin: the report page."""

import re

import pytest

from hotline.actors import Actor
from hotline.models import Provider
from reports import hosting, workflow
from reports.models import Escalation, Event
from tests.reports.factories import AgencyFactory
from tests.reports.triage_admin.support import (
    HOST,
    URL,
    S,
    change_url,
    elements_pointing_at,
    messages_of,
    page,
    post,
    set_status,
)

pytestmark = pytest.mark.django_db


# --- the report page --------------------------------------------------------------------------


def test_the_report_page_shows_the_timeline_and_escalations(ann, sam, people, report):
    agency = AgencyFactory(name="National Police CSA Unit")
    post(ann, report, "claim")
    post(
        ann,
        report,
        "assess_illegal",
        legal_status="national",
        industry_category="B1",
        content_type="video",
        site_type="forum",
        commerciality="non_commercial",
    )

    response = post(
        sam,
        report,
        "escalate",
        agency=agency.pk,
        kind="urgent",
        channel="phone",
        agency_reference="POL-4711",
        note="identifiable location",
    )

    assert messages_of(response)[-1] == f"{report.reference}: Escalate to an agency: done."
    text = page(ann, change_url(report))
    verbs = re.findall(r"<details><summary>([a-z_]+)</summary>", text)  # the timeline's records
    assert verbs == ["received", "claim", "assess_illegal", "escalate"]
    assert "POL-4711" in text
    assert "identifiable location" in text
    assert "National Police CSA Unit" in text
    escalation = Escalation.objects.get()
    assert (escalation.created_by, escalation.kind) == (people["supervisor"], "urgent")


def looked_up(report) -> None:
    """Run the report's hosting lookup, as the lookups worker does (no DNS server runs here:
    the directory's domains decide)."""
    hosting.intake_lookups_run([report.pk])


def test_the_report_page_shows_the_suggested_provider(ann, report, provider):
    set_status(report, S.ACTIONABLE)
    looked_up(report)

    text = page(ann, change_url(report))

    assert "Suggested provider: <strong>Example Images BV</strong> (NL)" in text
    # The hosting form starts with the suggestion.
    assert re.search(rf'<option value="{provider.pk}" selected>Example Images BV</option>', text)


def test_the_report_page_says_when_no_provider_matches(ann, report):
    looked_up(report)
    text = page(ann, change_url(report))

    assert "Suggested provider: none found: set the hosting by hand" in text


def test_the_suggestion_ignores_an_inactive_provider(ann, report, provider):
    Provider.objects.filter(pk=provider.pk).update(active=False)
    looked_up(report)

    assert "none found: set the hosting by hand" in page(ann, change_url(report))


def test_no_page_renders_the_reported_url_as_a_link(ann, people, report):
    agency = AgencyFactory(name="National Police")
    set_status(report, S.ACTIONABLE)
    workflow.report_escalate(
        report.pk,
        actor=Actor.for_user(people["supervisor"]),
        agency_id=agency.pk,
        kind="notification",
        channel="email",
        note=f"seen at {URL}",
    )
    event = Event.objects.filter(report=report).last()
    escalation = Escalation.objects.get()
    urls = [
        "/admin/reports/report/",
        change_url(report),
        "/admin/reports/event/",
        f"/admin/reports/event/{event.pk}/change/",
        "/admin/reports/escalation/",
        f"/admin/reports/escalation/{escalation.pk}/change/",
    ]

    for url in urls:
        text = page(ann, url)
        assert elements_pointing_at(text, HOST) == [], url
    text = page(ann, change_url(report))
    assert "hxxps://images[.]example[.]com/gallery/4411?p=2" in text
