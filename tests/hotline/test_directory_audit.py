"""Changes to the directory are audit events in the same chain as the reports' events: who
changed where notices go, from the admin or from a directory file, is on the record."""

from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import call_command

from hotline.models import HostRule, Provider, ProviderASN
from reports.audit import audit_seal, audit_verify
from reports.models import Event
from tests.reports.factories import ProviderFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

CHANGE_URL = "/admin/hotline/provider/{}/change/"


def provider_form(provider: Provider, **changes) -> dict:
    """The admin's change form as the page posts it: the provider's fields and its inlines (new
    rows only: ``domains`` and ``asns`` to add)."""
    data = {
        "name": provider.name,
        "country": provider.country,
        "abuse_email": provider.abuse_email,
        "escalation_email": provider.escalation_email,
        "channel": provider.channel,
        "webhook_url": provider.webhook_url,
        "language": provider.language,
        "deadline_hours": provider.deadline_hours or "",
        "active": "on" if provider.active else "",
        "_save": "Save",
    }
    for prefix, column, values in (
        ("domains", "suffix", changes.pop("domains", [])),
        ("networks", "cidr", []),
        ("asns", "asn", changes.pop("asns", [])),
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
    return client.post(
        url, urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded"
    )


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


def test_an_asn_added_in_the_admin_is_on_the_audit_trail(supervisor_client):
    provider = ProviderFactory(name="Example Images BV")

    response = post_form(
        supervisor_client, CHANGE_URL.format(provider.pk), provider_form(provider, asns=[64500])
    )

    assert response.status_code == 302, response.content[:2000]
    assert list(provider.asns.values_list("asn", flat=True)) == [64500]
    [event] = directory_events()
    assert (event.verb, event.data) == (
        "provider_update",
        {"provider": provider.pk, "changes": {"asns": [[], [64500]]}},
    )


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        (
            {"domains": ["Co.UK"]},
            "co.uk is a public suffix: list the provider&#x27;s own domain, e.g. example.co.uk",
        ),
        ({"asns": [0]}, "An AS number is from 1 to 4294967295."),
        ({"asns": [64500]}, "Provider ASN with this Asn already exists."),
    ],
)
def test_the_provider_admin_refuses_a_public_suffix_and_a_bad_asn(
    supervisor_client, changes, error
):
    provider = ProviderFactory(name="Example Images BV")
    ProviderASN.objects.create(provider=ProviderFactory(name="Other"), asn=64500)

    response = post_form(
        supervisor_client, CHANGE_URL.format(provider.pk), provider_form(provider, **changes)
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not provider.domains.exists() and not provider.asns.exists()
    assert directory_events() == []


# --- host rules -------------------------------------------------------------------------------

RULES_URL = "/admin/hotline/hostrule/"


def rule_form(**fields) -> dict:
    return {"kind": "", "provider": "", "domain": "", "asn": "", "cidr": "", "note": ""} | fields


def test_host_rules_created_changed_and_deleted_in_the_admin_are_audited(supervisor_client):
    cdn = ProviderFactory(name="Example CDN")
    other = ProviderFactory(name="Other CDN")

    created = post_form(
        supervisor_client,
        f"{RULES_URL}add/",
        rule_form(kind="cdn", provider=cdn.pk, cidr="203.0.113.9/24", note="proxy"),
    )
    rule = HostRule.objects.get()
    changed = post_form(
        supervisor_client,
        f"{RULES_URL}{rule.pk}/change/",
        rule_form(kind="cdn", provider=other.pk, cidr="203.0.113.0/24", note="proxy"),
    )
    unchanged = post_form(
        supervisor_client,
        f"{RULES_URL}{rule.pk}/change/",
        rule_form(kind="cdn", provider=other.pk, cidr="203.0.113.0/24", note="proxy"),
    )
    deleted = post_form(supervisor_client, f"{RULES_URL}{rule.pk}/delete/", {"post": "yes"})

    assert [r.status_code for r in (created, changed, unchanged, deleted)] == [302] * 4
    assert not HostRule.objects.exists()
    state = {
        "kind": "cdn",
        "domain": "",
        "asn": None,
        "cidr": "203.0.113.0/24",
        "removal_path": "",
        "note": "proxy",
    }
    assert [(e.verb, e.actor_label, e.data) for e in directory_events()] == [
        (
            "host_rule_create",
            "sam",
            {"rule": rule.pk, "state": state | {"provider": "Example CDN"}},
        ),
        (
            "host_rule_update",
            "sam",
            {"rule": rule.pk, "changes": {"provider": ["Example CDN", "Other CDN"]}},
        ),
        ("host_rule_delete", "sam", {"rule": rule.pk, "state": state | {"provider": "Other CDN"}}),
    ]
    audit_seal()
    assert audit_verify().ok


def test_host_rules_deleted_from_the_list_are_audited_each(supervisor_client):
    cdn = ProviderFactory(name="Example CDN")
    rules = [HostRule.objects.create(kind="cdn", provider=cdn, asn=asn) for asn in (64510, 64511)]

    response = post_form(
        supervisor_client,
        RULES_URL,
        {"action": "delete_selected", "post": "yes", "_selected_action": [r.pk for r in rules]},
    )

    assert response.status_code == 302
    assert not HostRule.objects.exists()
    assert [(e.verb, e.data["state"]["asn"]) for e in directory_events()] == [
        ("host_rule_delete", 64510),
        ("host_rule_delete", 64511),
    ]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"kind": "platform", "domain": "co.uk"},
            "co.uk is a public suffix: list the provider&#x27;s own domain, e.g. example.co.uk",
        ),
        ({"kind": "host", "domain": "8.8.8.8"}, "is an IP address"),
        ({"kind": "cdn", "domain": "cdn.example"}, "A cdn rule matches by exactly one asn or cidr"),
        (
            {"kind": "cdn", "asn": "64510", "cidr": "192.0.2.0/24"},
            "A cdn rule matches by exactly one asn or cidr, not asn and cidr.",
        ),
        ({"kind": "platform", "asn": "64510"}, "A platform rule matches by exactly one domain"),
        ({"kind": "cdn", "cidr": "192.0.2.0/33"}, "192.0.2.0/33 is not a CIDR range"),
    ],
)
def test_the_host_rule_admin_refuses_what_a_rule_cannot_match(supervisor_client, fields, error):
    cdn = ProviderFactory(name="Example CDN")

    response = post_form(
        supervisor_client, f"{RULES_URL}add/", rule_form(provider=cdn.pk, **fields)
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not HostRule.objects.exists()
    assert directory_events() == []


def test_the_host_rule_list_filters_by_kind_and_searches_provider_names(supervisor_client):
    cdn = ProviderFactory(name="Example CDN")
    share = ProviderFactory(name="Share Example GmbH")
    HostRule.objects.create(kind="cdn", provider=cdn, asn=64510)
    HostRule.objects.create(kind="platform", provider=share, domain="share.example.com")

    by_kind = supervisor_client.get(RULES_URL, {"kind__exact": "platform"}).content.decode()
    by_name = supervisor_client.get(RULES_URL, {"q": "Example CDN"}).content.decode()

    assert "share.example.com" in by_kind and "AS64510" not in by_kind
    assert "AS64510" in by_name and "share.example.com" not in by_name
