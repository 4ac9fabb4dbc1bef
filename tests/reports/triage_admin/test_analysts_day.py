"""The triage admin: an analyst's day; what each role sees."""

import html

import pytest

from reports import workflow
from tests.reports.factories import PartnerHotlineFactory
from tests.reports.triage_admin.support import (
    TRIAGE,
    S,
    buttons,
    change_url,
    client_for,
    messages_of,
    page,
    post,
    set_status,
    submit,
)

pytestmark = pytest.mark.django_db


# --- an analyst's day -------------------------------------------------------------------------


def test_an_analyst_claims_assesses_and_sets_hosting_with_the_buttons(
    ann, people, report, provider
):
    response = post(ann, report, "claim")

    assert response.status_code == 302
    assert response.url == change_url(report)
    assert messages_of(response) == [f"{report.reference}: Claim: done."]
    report.refresh_from_db()
    assert (report.status, report.assigned_to) == (S.IN_REVIEW, people["analyst"])

    response = post(
        ann,
        report,
        "assess_illegal",
        legal_status="baseline",
        industry_category="A1",
        content_type="image",
        site_type="image_host",
        commerciality="commercial",
    )

    assert messages_of(response)[-1] == f"{report.reference}: Assess: illegal: done."
    report.refresh_from_db()
    assert report.status == S.ACTIONABLE
    assert (report.legal_status, report.industry_category, report.commerciality) == (
        "baseline",
        "A1",
        "commercial",
    )
    assert report.assessed_by == people["analyst"]

    response = post(ann, report, "set_hosting", provider=provider.pk, country="NL")

    assert messages_of(response)[-1] == f"{report.reference}: Set hosting: done."
    report.refresh_from_db()
    assert (report.status, report.provider, report.hosting_country) == (
        S.ACTIONABLE,
        provider,
        "NL",
    )
    timeline = [(e.verb, e.actor_label) for e in report.events.order_by("id")]
    assert timeline == [
        ("received", "public reporter"),
        ("claim", "ann"),
        ("assess_illegal", "ann"),
        ("set_hosting", "ann"),
    ]
    # The page after the redirect shows the new state and the message.
    text = html.unescape(ann.get(response.url).content.decode())
    assert f"{report.reference}: Set hosting: done." in text
    assert "— actionable" in text


def test_an_analyst_forwards_a_report_hosted_abroad(ann, report, settings):
    settings.HOTLINE_COUNTRY = "NL"
    partner = PartnerHotlineFactory(name="German Partner", countries=["DE"])
    set_status(report, S.ACTIONABLE, hosting_country="DE")

    response = post(ann, report, "forward", partner=partner.pk, partner_reference="DE-1")

    assert messages_of(response) == [f"{report.reference}: Forward to a partner hotline: done."]
    report.refresh_from_db()
    assert (report.status, report.forwarded_to, report.forwarded_reference) == (
        S.FORWARDED,
        partner,
        "DE-1",
    )


# --- what each role sees ----------------------------------------------------------------------


# Only buttons that can succeed: the report is claimed by the analyst, so the supervisor sees
# no assessment (the owner rule) but may take it over; it has no hosting country, so no forward.
EXPECTED_BUTTONS = {
    # status: (analyst, supervisor)
    S.NEW: (
        {"claim", "mark_duplicate", "assess_illegal"},  # assessing claims it in the same step
        {"claim", "mark_duplicate", "assess_illegal"},
    ),
    S.IN_REVIEW: (
        {"release", "assess_not_actionable", "assess_illegal", "mark_duplicate"},
        {"release", "take_over", "escalate"},
    ),
    S.ACTIONABLE: ({"set_hosting"}, {"set_hosting", "escalate", "hold"}),
    S.ON_HOLD: ({"set_hosting"}, {"set_hosting", "escalate", "release_hold"}),
    S.FORWARDED: (set(), {"escalate"}),
    S.CLOSED: (set(), set()),
    S.DUPLICATE: (set(), set()),
    S.REMOVED: (set(), {"escalate"}),
}


@pytest.mark.parametrize("status", list(EXPECTED_BUTTONS))
def test_the_page_shows_the_buttons_the_role_may_use_in_the_state(people, report, status):
    fields = {}
    if status == S.IN_REVIEW:
        fields = {"assigned_to": people["analyst"]}
    elif status == S.DUPLICATE:
        fields = {"duplicate_of": submit("https://other.example.com/x")}
    set_status(report, status, **fields)
    analyst_buttons, supervisor_buttons = EXPECTED_BUTTONS[status]

    for role, expected in [("analyst", analyst_buttons), ("supervisor", supervisor_buttons)]:
        user = people[role]
        text = page(client_for(user), change_url(report))
        shown = buttons(text)
        assert shown & TRIAGE == expected, role
        claimable = {"assess_illegal"} if status == S.NEW else set()
        assert shown <= {t.name for t in workflow.transitions_allowed(report, user)} | claimable
        if role == "analyst":
            assert "Escalate to an agency" not in text
            assert "Put on hold" not in text

    text = page(client_for(people["auditor"]), change_url(report))
    assert buttons(text) == set()
    assert "Nothing you can do in this state." in text


def test_a_supervisor_sees_escalate_and_hold_on_an_actionable_report(sam, report):
    set_status(report, S.ACTIONABLE)

    text = page(sam, change_url(report))

    assert 'value="Escalate to an agency"' in text
    assert 'value="Put on hold"' in text
    assert 'name="escalate-agency"' in text and 'name="hold-until"' in text
