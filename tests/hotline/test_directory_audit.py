"""Changes to the directory are audit events in the same chain as the reports' events: who
changed where notices go, from the admin or from a directory file, is on the record."""

from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import call_command

from hotline.models import Provider
from reports.audit import audit_seal, audit_verify
from reports.models import Event
from tests.reports.factories import ProviderFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

CHANGE_URL = "/admin/hotline/provider/{}/change/"


def provider_form(provider: Provider, **changes) -> dict:
    """The admin's change form as the page posts it: the provider's fields and both inlines."""
    data = {
        "name": provider.name,
        "country": provider.country,
        "abuse_email": provider.abuse_email,
        "asns": "[]",
        "deadline_hours": provider.deadline_hours or "",
        "active": "on" if provider.active else "",
        "_save": "Save",
    }
    for prefix, column, values in (
        ("domains", "suffix", changes.pop("domains", [])),
        ("networks", "cidr", []),
    ):
        data |= {
            f"{prefix}-TOTAL_FORMS": str(len(values)),
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
        for index, value in enumerate(values):
            data |= {f"{prefix}-{index}-{column}": value, f"{prefix}-{index}-provider": provider.pk}
    if not data["active"]:
        del data["active"]
    return data | changes


def post_form(client, url: str, data: dict):
    # As a browser posts the admin's form (the service refuses multipart bodies).
    return client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")


def directory_events() -> list[Event]:
    return list(Event.objects.filter(report__isnull=True).order_by("id"))


@pytest.fixture
def supervisor_client(client):
    client.force_login(StaffUserFactory(username="sam", role="supervisor"))
    return client


def test_a_provider_changed_in_the_admin_is_on_the_audit_trail_and_the_chain_verifies(
    supervisor_client,
):
    provider = ProviderFactory(name="Example Images BV", abuse_email="abuse@images.example")

    response = post_form(
        supervisor_client,
        CHANGE_URL.format(provider.pk),
        provider_form(provider, abuse_email="desk@images.example", domains=["images.example"]),
    )

    assert response.status_code == 302, response.content[:2000]
    [event] = directory_events()
    assert event.verb == "provider_update"
    assert (event.actor_kind, event.actor_label) == ("user", "sam")
    assert event.data == {
        "provider": provider.pk,
        "changes": {
            "abuse_email": ["abuse@images.example", "desk@images.example"],
            "domains": [[], ["images.example"]],
        },
    }
    audit_seal()
    result = audit_verify()
    assert result.ok, result


def test_saving_a_provider_unchanged_records_nothing(supervisor_client):
    provider = ProviderFactory(name="Example Images BV")
    response = post_form(supervisor_client, CHANGE_URL.format(provider.pk), provider_form(provider))
    assert response.status_code == 302
    assert directory_events() == []


def test_a_directory_file_loaded_is_one_event_and_loading_it_again_none(tmp_path):
    path = tmp_path / "directory.yaml"
    path.write_text(
        "providers:\n  - name: Host\n    country: NL\n    abuse_email: abuse@host.example\n"
        "    domains: [host.example]\n",
        encoding="utf-8",
    )
    call_command("directory", "load", str(path), stdout=StringIO())
    call_command("directory", "load", str(path), stdout=StringIO())

    [event] = directory_events()
    assert event.verb == "directory_load"
    assert (event.actor_kind, event.actor_label) == ("system", f"directory load {path}")
    assert event.data == {"created": ["provider Host"], "updated": []}
    audit_seal()
    assert audit_verify().ok
