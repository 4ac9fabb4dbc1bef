"""The triage admin: refusals."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.actors import Actor
from reports import workflow
from reports.models import Hold
from tests.reports.factories import AgencyFactory, stored_values
from tests.reports.triage_admin.support import S, change_url, messages_of, page, post, set_status

pytestmark = pytest.mark.django_db


# --- refusals ---------------------------------------------------------------------------------


def test_a_forbidden_transition_shows_the_domain_error_and_writes_nothing(ann, people, report):
    workflow.report_claim(report.pk, actor=Actor.for_user(people["bob"]))
    before = stored_values()

    response = post(ann, report, "claim")

    assert response.status_code == 302
    assert messages_of(response) == [
        f"Report {report.reference} is in review; 'Claim' is allowed only when it is new."
    ]
    assert stored_values() == before


def test_the_owner_rule_is_shown_as_a_message(ann, people, report):
    workflow.report_claim(report.pk, actor=Actor.for_user(people["bob"]))
    before = stored_values()

    response = post(ann, report, "assess_not_actionable", reason="already_removed")

    [message] = messages_of(response)
    assert message.endswith(
        "It is claimed by bob: only they can do this (a supervisor can take it over)."
    )
    assert "(claimed by bob)" in page(ann, change_url(report))
    assert stored_values() == before


def test_an_invalid_form_is_a_message_and_writes_nothing(ann, people, report):
    workflow.report_claim(report.pk, actor=Actor.for_user(people["analyst"]))
    before = stored_values()

    response = post(
        ann,
        report,
        "assess_illegal",
        legal_status="everywhere",
        industry_category="A1",
        content_type="image",
        site_type="forum",
        commerciality="not_determined",
    )

    assert response.status_code == 302
    assert messages_of(response) == [
        "Assess: illegal: legal_status: Select a valid choice. everywhere is not one of the "
        "available choices."
    ]
    assert stored_values() == before


def test_a_hold_in_the_past_is_refused_with_the_reason(sam, report):
    agency = AgencyFactory(name="National Police")
    set_status(report, S.ACTIONABLE)
    before = stored_values()
    until = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")

    response = post(sam, report, "hold", agency=agency.pk, until=until)

    assert messages_of(response) == ["A hold must end in the future."]
    assert stored_values() == before


def test_a_multipart_post_is_refused(ann, report):
    before = stored_values()

    response = ann.post(f"/admin/reports/report/{report.pk}/transition/claim/", {})

    assert response.status_code == 415
    assert stored_values() == before


@pytest.mark.parametrize(
    ("status", "name", "fields"),
    [
        (S.ACTIONABLE, "escalate", {"kind": "urgent", "channel": "phone"}),
        (S.ACTIONABLE, "hold", {"until": "2099-01-01 10:00"}),
        (S.ON_HOLD, "release_hold", {}),
        (S.IN_REVIEW, "take_over", {}),
    ],
)
def test_an_analyst_cannot_post_a_supervisors_transition(ann, people, report, status, name, fields):
    agency = AgencyFactory(name="National Police")
    set_status(report, status, assigned_to=people["bob"], status_before_hold=S.ACTIONABLE)
    if status == S.ON_HOLD:
        Hold.objects.create(
            report=report, agency=agency, started_at=timezone.now(), until=timezone.now()
        )
    before = stored_values()

    response = post(ann, report, name, agency=agency.pk, **fields)

    assert response.status_code == 403
    assert stored_values() == before
