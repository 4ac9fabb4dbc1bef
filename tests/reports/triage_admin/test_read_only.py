"""The triage admin: nobody deletes; auditors only read."""

from urllib.parse import urlencode

import pytest

from hotline.actors import Actor
from reports import workflow
from reports.models import Event
from tests.reports.factories import AgencyFactory, stored_values
from tests.reports.triage_admin.support import FORM, TRIAGE, S, post, set_status

pytestmark = pytest.mark.django_db


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
