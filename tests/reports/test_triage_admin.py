"""The analysts' triage admin, used through the test client by people in the real role groups.

Buttons post urlencoded forms (the service refuses multipart bodies) to
``/admin/reports/report/<id>/transition/<name>/`` with fields prefixed by the transition name.
"""

import html
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from hotline.actors import Actor
from hotline.models import Provider
from reports import workflow
from reports.intake import report_submit, submission_clean
from reports.models import Channel, Escalation, Event, Hold, Report, ReportStatus
from tests.reports.factories import (
    AgencyFactory,
    PartnerHotlineFactory,
    ProviderFactory,
    StaffUserFactory,
    stored_values,
)

pytestmark = pytest.mark.django_db

S = ReportStatus
URL = "https://images.example.com/gallery/4411?p=2"
HOST = "images.example.com"
FORM = "application/x-www-form-urlencoded"
# The triage buttons of this issue; the notice buttons are tested with the notice service.
TRIAGE = {
    "claim",
    "release",
    "take_over",
    "assess_not_actionable",
    "assess_illegal",
    "mark_duplicate",
    "set_hosting",
    "forward",
    "escalate",
    "hold",
    "release_hold",
}


@pytest.fixture
def people():
    """Staff in the groups the roles migration made; "bob" is a second analyst."""
    return {
        "analyst": StaffUserFactory(username="ann", role="analyst"),
        "bob": StaffUserFactory(username="bob", role="analyst"),
        "supervisor": StaffUserFactory(username="sam", role="supervisor"),
        "auditor": StaffUserFactory(username="aud", role="auditor"),
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ann(people):
    return client_for(people["analyst"])


@pytest.fixture
def sam(people):
    return client_for(people["supervisor"])


@pytest.fixture
def aud(people):
    return client_for(people["auditor"])


def submit(url=URL) -> Report:
    return report_submit(
        submission=submission_clean(url=url), channel=Channel.WEB, actor=Actor.public()
    ).report


@pytest.fixture
def report():
    return submit()


@pytest.fixture
def provider():
    provider = ProviderFactory(name="Example Images BV", country="NL")
    provider.domains.create(suffix="example.com")
    return provider


def change_url(report) -> str:
    return f"/admin/reports/report/{report.pk}/change/"


def post(client, report, name, **fields):
    body = urlencode({f"{name}-{field}": value for field, value in fields.items()})
    return client.post(
        f"/admin/reports/report/{report.pk}/transition/{name}/", body, content_type=FORM
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def buttons(text: str) -> set[str]:
    return set(re.findall(r'action="/admin/reports/report/\d+/transition/([a-z_]+)/"', text))


def set_status(report, status, **fields):
    Report.objects.filter(pk=report.pk).update(status=status, **fields)
    report.refresh_from_db()


def elements_pointing_at(text: str, host: str) -> list[str]:
    """Every attribute that would make a browser fetch or link to the host."""
    return re.findall(rf'(?:href|src|action|data|poster)\s*=\s*"[^"]*{re.escape(host)}', text)


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
        media_type="image",
        site_type="image_host",
        commercial="on",
    )

    assert messages_of(response)[-1] == f"{report.reference}: Assess: illegal: done."
    report.refresh_from_db()
    assert report.status == S.ACTIONABLE
    assert (report.legal_status, report.industry_category, report.commercial) == (
        "baseline",
        "A1",
        True,
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

EXPECTED_BUTTONS = {
    # status: (analyst, supervisor)
    S.NEW: ({"claim", "mark_duplicate"}, {"claim", "mark_duplicate"}),
    S.IN_REVIEW: (
        {"release", "assess_not_actionable", "assess_illegal", "mark_duplicate"},
        {
            "release",
            "take_over",
            "assess_not_actionable",
            "assess_illegal",
            "mark_duplicate",
            "escalate",
        },
    ),
    S.ACTIONABLE: ({"set_hosting", "forward"}, {"set_hosting", "forward", "escalate", "hold"}),
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
        assert shown <= {t.name for t in workflow.transitions_allowed(report, user)}
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

    response = post(ann, report, "assess_not_actionable", reason="not_illegal")

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
        media_type="image",
        site_type="forum",
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


# --- the queues -------------------------------------------------------------------------------


@pytest.fixture
def queues(people, settings):
    settings.HOTLINE_COUNTRY = "NL"
    made = {}
    for name, status, owner in [
        ("new1", S.NEW, None),
        ("new2", S.NEW, None),
        ("mine", S.IN_REVIEW, "analyst"),
        ("theirs", S.IN_REVIEW, "bob"),
        ("actionable", S.ACTIONABLE, None),
        ("held", S.ON_HOLD, None),
        ("forwarded", S.FORWARDED, None),
        ("closed", S.CLOSED, None),
    ]:
        report = submit(f"https://{name}.example.com/x")
        set_status(report, status, assigned_to=people[owner] if owner else None)
        made[name] = report
    return made


def references_listed(text: str, queues) -> set[str]:
    return {name for name, report in queues.items() if report.reference in text}


def test_the_queue_filter_shows_counts(ann, queues):
    text = page(ann, "/admin/reports/report/")

    for label in [
        "New (2)",
        "Mine (1)",
        "In review (2)",
        "Actionable (1)",
        "On hold (1)",
        "Forwarded (1)",
    ]:
        assert label in text
    assert references_listed(text, queues) == set(queues)


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        ("new", {"new1", "new2"}),
        ("mine", {"mine"}),
        ("in_review", {"mine", "theirs"}),
        ("actionable", {"actionable"}),
        ("on_hold", {"held"}),
        ("forwarded", {"forwarded"}),
    ],
)
def test_each_queue_lists_its_reports(ann, queues, queue, expected):
    text = page(ann, f"/admin/reports/report/?queue={queue}")

    assert references_listed(text, queues) == expected


def test_mine_is_the_logged_in_persons(sam, queues):
    text = page(sam, "/admin/reports/report/?queue=mine")

    assert "Mine (0)" in text
    assert references_listed(text, queues) == set()


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
        media_type="video",
        site_type="forum",
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
    verbs = re.findall(r'<td class="field-verb">\s*<p>([a-z_]+)</p>', text)
    assert verbs == ["received", "claim", "assess_illegal", "escalate"]
    assert "POL-4711" in text
    assert "identifiable location" in text
    assert "National Police CSA Unit" in text
    escalation = Escalation.objects.get()
    assert (escalation.created_by, escalation.kind) == (people["supervisor"], "urgent")


def test_the_report_page_shows_the_suggested_provider(ann, report, provider):
    set_status(report, S.ACTIONABLE)

    text = page(ann, change_url(report))

    assert "Suggested provider: <strong>Example Images BV</strong> (NL)" in text
    # The hosting form starts with the suggestion.
    assert re.search(rf'<option value="{provider.pk}" selected>Example Images BV</option>', text)


def test_the_report_page_says_when_no_provider_matches(ann, report):
    text = page(ann, change_url(report))

    assert "Suggested provider: none matches this host" in text


def test_the_suggestion_ignores_an_inactive_provider(ann, report, provider):
    Provider.objects.filter(pk=provider.pk).update(active=False)

    assert "none matches this host" in page(ann, change_url(report))


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


# --- nobody deletes; auditors only read ---------------------------------------------------------


@pytest.fixture
def everything(people, report):
    agency = AgencyFactory(name="National Police")
    set_status(report, S.ACTIONABLE)
    escalation = workflow.report_escalate(
        report.pk,
        actor=Actor.for_user(people["supervisor"]),
        agency_id=agency.pk,
        kind="notification",
        channel="email",
    )
    return {
        "report": report,
        "event": Event.objects.filter(report=report).last(),
        "escalation": escalation,
    }


@pytest.mark.parametrize("model", ["report", "event", "escalation"])
def test_not_even_a_superuser_can_delete_reports_events_or_escalations(
    admin_client, everything, model
):
    before = stored_values()
    url = f"/admin/reports/{model}/{everything[model].pk}/delete/"

    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, "post=yes", content_type=FORM).status_code == 403
    changelist = admin_client.get(f"/admin/reports/{model}/").content.decode()
    assert 'value="delete_selected"' not in changelist
    admin_client.post(
        f"/admin/reports/{model}/",
        urlencode(
            {"action": "delete_selected", "_selected_action": everything[model].pk, "post": "yes"}
        ),
        content_type=FORM,
    )
    assert stored_values() == before


@pytest.mark.parametrize(
    "url",
    [
        "/admin/reports/report/",
        "/admin/reports/report/{report}/change/",
        "/admin/reports/event/",
        "/admin/reports/event/{event}/change/",
        "/admin/reports/escalation/",
        "/admin/reports/escalation/{escalation}/change/",
        "/admin/hotline/provider/",
    ],
)
def test_an_auditor_can_read_everything(aud, everything, url):
    url = url.format(**{name: row.pk for name, row in everything.items()})

    assert aud.get(url).status_code == 200


@pytest.mark.parametrize("name", sorted(TRIAGE))
def test_an_auditor_gets_403_on_every_transition(aud, everything, name):
    before = stored_values()

    response = post(aud, everything["report"], name, reason="not_illegal", country="NL")

    assert response.status_code == 403
    assert stored_values() == before


def test_an_auditor_cannot_change_or_add_providers(aud, provider):
    before = stored_values()

    change = aud.post(
        f"/admin/hotline/provider/{provider.pk}/change/",
        urlencode({"name": "Renamed", "country": "NL", "abuse_email": "x@y.example"}),
        content_type=FORM,
    )
    add = aud.post(
        "/admin/hotline/provider/add/",
        urlencode({"name": "New", "country": "NL", "abuse_email": "x@y.example"}),
        content_type=FORM,
    )

    assert (change.status_code, add.status_code) == (403, 403)
    assert stored_values() == before
