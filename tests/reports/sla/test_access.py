"""SLA compliance figures: who may see the figures."""

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from hotline.services import partner_api_key_create, provider_api_key_create
from reports.sla.period import Period
from tests.reports.factories import ProviderFactory
from tests.reports.sla.support import (
    ALPHA,
    API,
    DASHBOARD,
    END,
    PERIOD,
    QUERY,
    START,
    audit_key,
    login,
    t,
)

pytestmark = pytest.mark.django_db


# --- who may see the figures ------------------------------------------------------------------


def test_analyst_is_refused(queried):
    client = login("analyst")
    response = client.get(f"{API}?{QUERY}")
    assert response.status_code == 403
    assert "supervisors, auditors" in response.json()["detail"]
    assert client.get(f"{API}?{QUERY}&format=csv").status_code == 403
    assert client.get(f"{DASHBOARD}?start=2026-08-01&end=2026-11-01").status_code == 403


def test_anonymous_is_refused(queried):
    response = APIClient().get(f"{API}?{QUERY}")
    assert response.status_code in (401, 403)
    assert "groups" not in response.json()
    dashboard = Client().get(DASHBOARD)
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith("/admin/login/")


def test_provider_and_partner_keys_are_refused(queried, policy):
    ProviderFactory(name=ALPHA)
    _, provider_key = provider_api_key_create(provider_name=ALPHA, key_name="desk")
    _, partner_key, _ = partner_api_key_create(partner_name="US Partner", key_name="batch")
    for key in (provider_key, partner_key, "not-a-key.at-all"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        response = client.get(f"{API}?{QUERY}")
        assert response.status_code in (401, 403), key
        assert "groups" not in response.json()


def test_an_audit_key_reads_the_api_but_does_not_open_the_dashboard(queried):
    key = audit_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.get(f"{API}?{QUERY}").status_code == 200
    assert Client(HTTP_AUTHORIZATION=f"Api-Key {key}").get(DASHBOARD).status_code == 302


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-11-01&to=2026-08-01", "to"),
        ("from=2026-08-01&to=2026-08-01", "to"),
        ("from=2026-08-01&to=2026-11-01&group_by=colour", "group_by"),
        ("from=2026-13-01&to=2026-11-01", "from"),
        ("from=2026-08-01&to=yesterday", "to"),
    ],
)
def test_bad_parameters_answer_400_naming_the_field(queried, query, field):
    response = login("supervisor").get(f"{API}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    assert list(body["fields"]) == [field]
    assert body["fields"][field][0]


def test_defaults_are_this_month_by_provider():
    with time_machine.travel(t("10-31 12:00"), tick=False):
        body = login("supervisor").get(API).json()
    # From the 1st of this month to tomorrow, judged as of now (earlier than the end).
    assert (body["from"], body["to"], body["as_of"], body["group_by"]) == (
        "2026-10-01T00:00:00+00:00",
        "2026-11-01T00:00:00+00:00",
        "2026-10-31T12:00:00+00:00",
        "provider",
    )
    assert body["groups"] == []


def test_a_period_of_dates_is_whole_utc_days():
    assert Period.from_dates(START, END) == PERIOD
