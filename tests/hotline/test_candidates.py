"""Provider candidates: proposed by the hosting lookup from registry data, approved (a new
provider, or the ranges added to one) or rejected by a supervisor, each decision audited."""

import datetime
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotline.actors import Actor
from hotline.directory import candidate_approve, candidate_propose, candidate_reject
from hotline.errors import DomainError
from hotline.models import Provider, ProviderASN, ProviderCandidate, ProviderNetwork
from hotline.selectors import asn_match, network_match
from reports.audit import audit_seal, audit_verify
from reports.models import Event, HostingLookup, Report
from tests.reports.factories import ProviderFactory, ReportFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

LOOKED_UP = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
REGISTRY = {
    "network_handle": "NET-203-0-113-0-1",
    "name": "Example Hosting LLC",
    "country": "us",
    "abuse_email": "abuse@hosting.example",
    "abuse_note": "Abuse desk, 24/7",
    "networks": ["203.0.113.0/24", "2001:db8:77::/48"],
    "asn": 64520,
    "source_url": "https://rdap.example/ip/203.0.113.7",
    "looked_up_at": LOOKED_UP,
}


def propose(**changes) -> ProviderCandidate:
    return candidate_propose(**REGISTRY | changes)


def events(*verbs) -> list[Event]:
    rows = Event.objects.filter(report__isnull=True).order_by("id")
    return list(rows.filter(verb__in=verbs) if verbs else rows)


@pytest.fixture
def sam():
    return StaffUserFactory(username="sam", role="supervisor")


@pytest.fixture
def supervisor(sam):
    return Actor.for_user(sam)


# --- propose ----------------------------------------------------------------------------------


def test_a_proposed_candidate_is_pending_with_the_registry_data_and_audited():
    candidate = propose()

    assert candidate.decision == "pending"
    assert (candidate.name, candidate.country, candidate.abuse_email) == (
        "Example Hosting LLC",
        "US",
        "abuse@hosting.example",
    )
    assert candidate.networks == ["2001:db8:77::/48", "203.0.113.0/24"]
    assert (candidate.asn, candidate.looked_up_at) == (64520, LOOKED_UP)
    [event] = events()
    assert (event.verb, event.actor_kind, event.data["network_handle"]) == (
        "candidate_propose",
        "system",
        "NET-203-0-113-0-1",
    )


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        ({"name": "Evil\u202eCorp\nLtd\t "}, {"name": "Evil Corp Ltd"}),
        ({"name": " \n\t"}, {"name": "NET-203-0-113-0-1"}),  # nothing visible: the handle
        ({"name": "x" * 300}, {"name": "x" * 200}),
        ({"country": "Netherlands"}, {"country": ""}),
        ({"country": "XX"}, {"country": ""}),
        ({"abuse_email": "abuse at hosting"}, {"abuse_email": ""}),
        (
            {"networks": ["203.0.113.9/24", "not a range", "203.0.113.0/24"]},
            {"networks": ["203.0.113.0/24"]},
        ),
        ({"asn": 0}, {"asn": None}),
        ({"asn": 2**40}, {"asn": None}),
    ],
)
def test_registry_text_is_cleaned_or_left_blank(registry, expected):
    candidate = propose(**registry)

    assert {key: getattr(candidate, key) for key in expected} == expected


def test_a_pending_candidate_gets_the_fresh_registry_data():
    first = propose()
    later = LOOKED_UP + datetime.timedelta(hours=12)

    again = propose(abuse_email="noc@hosting.example", looked_up_at=later)
    unchanged = propose(abuse_email="noc@hosting.example", looked_up_at=later)

    assert again.pk == unchanged.pk == first.pk
    first.refresh_from_db()
    assert (first.abuse_email, first.looked_up_at) == ("noc@hosting.example", later)
    assert [(e.verb, e.data.get("changes")) for e in events()] == [
        ("candidate_propose", None),
        ("candidate_update", {"abuse_email": ["abuse@hosting.example", "noc@hosting.example"]}),
    ]


@pytest.mark.parametrize("decide", ["approve", "reject"])
def test_a_decided_candidate_is_returned_unchanged(supervisor, decide):
    candidate = propose()
    if decide == "approve":
        candidate_approve(candidate.pk, actor=supervisor)
    else:
        candidate_reject(candidate.pk, actor=supervisor, reason="not a hosting provider")
    candidate.refresh_from_db()
    count = len(events())

    again = propose(name="Renamed", abuse_email="other@hosting.example")

    assert (again.pk, again.name, again.abuse_email, again.decision) == (
        candidate.pk,
        "Example Hosting LLC",
        "abuse@hosting.example",
        candidate.decision,
    )
    assert len(events()) == count


# --- approve ----------------------------------------------------------------------------------


def test_approving_makes_a_provider_with_the_networks_and_asn(supervisor):
    candidate = propose()

    provider = candidate_approve(candidate.pk, actor=supervisor)

    assert (provider.name, provider.country, provider.abuse_email, provider.active) == (
        "Example Hosting LLC",
        "US",
        "abuse@hosting.example",
        True,
    )
    assert network_match(["203.0.113.7", "2001:db8:77::1"]) == {
        "203.0.113.7": provider,
        "2001:db8:77::1": provider,
    }
    assert asn_match([64520]) == {64520: provider}
    candidate.refresh_from_db()
    assert (candidate.decision, candidate.provider, candidate.decided_by_label) == (
        "approved",
        provider,
        "sam",
    )
    assert candidate.decided_at is not None
    created, approved = events("provider_create", "candidate_approve")
    assert created.data["changes"]["networks"] == [None, ["2001:db8:77::/48", "203.0.113.0/24"]]
    assert created.data["changes"]["asns"] == [None, [64520]]
    assert approved.data == {
        "candidate": candidate.pk,
        "network_handle": "NET-203-0-113-0-1",
        "provider": provider.pk,
        "attached": False,
        "networks": ["2001:db8:77::/48", "203.0.113.0/24"],
        "asn": 64520,
    }
    assert approved.actor_label == "sam"
    audit_seal()
    assert audit_verify().ok


def test_the_supervisor_can_correct_name_country_and_abuse_address(supervisor):
    candidate = propose(country="", abuse_email="")

    provider = candidate_approve(
        candidate.pk,
        actor=supervisor,
        name="Example Hosting",
        country="nl",
        abuse_email="abuse@example-hosting.example",
    )

    assert (provider.name, provider.country, provider.abuse_email) == (
        "Example Hosting",
        "NL",
        "abuse@example-hosting.example",
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"abuse_email": "abuse-at-example"}, "abuse_email 'abuse-at-example' is not an e-mail"),
        ({"abuse_email": ""}, "abuse_email is required"),
        ({"country": "Netherlands"}, "country 'Netherlands' is not an ISO 3166-1 country code"),
        ({"name": " "}, "name is required"),
        ({"name": "Taken Host"}, "A provider named 'Taken Host' already exists"),
    ],
)
def test_an_approval_with_invalid_data_is_refused_and_writes_nothing(supervisor, kwargs, message):
    ProviderFactory(name="Taken Host")
    candidate = propose()
    before = len(events())

    with pytest.raises(DomainError, match=message):
        candidate_approve(candidate.pk, actor=supervisor, **kwargs)

    assert Provider.objects.count() == 1
    assert not ProviderNetwork.objects.exists()
    candidate.refresh_from_db()
    assert candidate.decision == "pending"
    assert len(events()) == before


@pytest.mark.parametrize(
    ("held", "message"),
    [
        ("network", "203.0.113.0/24 already belongs to provider 'Other Host'"),
        ("asn", "AS64520 already belongs to provider 'Other Host'"),
    ],
)
def test_a_range_held_by_another_provider_refuses_the_approval(supervisor, held, message):
    other = ProviderFactory(name="Other Host")
    if held == "network":
        ProviderNetwork.objects.create(provider=other, cidr="203.0.113.0/24")
    else:
        ProviderASN.objects.create(provider=other, asn=64520)
    candidate = propose()

    with pytest.raises(DomainError, match=message) as refused:
        candidate_approve(candidate.pk, actor=supervisor)

    assert "Attach it to that provider" in refused.value.message
    assert list(Provider.objects.values_list("name", flat=True)) == ["Other Host"]
    candidate.refresh_from_db()
    assert candidate.decision == "pending"


def test_attaching_adds_the_networks_and_asn_to_an_existing_provider(supervisor):
    other = ProviderFactory(name="Other Host")
    ProviderNetwork.objects.create(provider=other, cidr="203.0.113.0/24")  # already its own
    candidate = propose()

    provider = candidate_approve(candidate.pk, actor=supervisor, provider_id=other.pk, name="x")

    assert provider == other
    assert sorted(other.networks.values_list("cidr", flat=True)) == [
        "2001:db8:77::/48",
        "203.0.113.0/24",
    ]
    assert list(other.asns.values_list("asn", flat=True)) == [64520]
    assert Provider.objects.count() == 1
    update, approve = events("provider_update", "candidate_approve")
    assert update.data["changes"] == {
        "asns": [[], [64520]],
        "networks": [["203.0.113.0/24"], ["2001:db8:77::/48", "203.0.113.0/24"]],
    }
    assert (approve.data["provider"], approve.data["attached"]) == (other.pk, True)


def test_attaching_to_a_provider_that_does_not_exist_is_refused(supervisor):
    candidate = propose()

    with pytest.raises(DomainError, match="There is no provider 999"):
        candidate_approve(candidate.pk, actor=supervisor, provider_id=999)


def test_a_decided_candidate_cannot_be_decided_again(supervisor):
    candidate = propose()
    candidate_approve(candidate.pk, actor=supervisor)

    with pytest.raises(DomainError, match="already approved by sam: it is not pending"):
        candidate_approve(candidate.pk, actor=supervisor)
    with pytest.raises(DomainError, match="not pending"):
        candidate_reject(candidate.pk, actor=supervisor, reason="changed my mind")
    with pytest.raises(DomainError, match="There is no provider candidate 999"):
        candidate_reject(999, actor=supervisor, reason="x")


# --- reject -----------------------------------------------------------------------------------


def test_rejecting_records_the_reason(supervisor):
    candidate = propose()

    candidate_reject(candidate.pk, actor=supervisor, reason="  a transit network,\n not a host ")

    candidate.refresh_from_db()
    assert (candidate.decision, candidate.decided_by_label, candidate.provider) == (
        "rejected",
        "sam",
        None,
    )
    [event] = events("candidate_reject")
    assert event.data == {
        "candidate": candidate.pk,
        "network_handle": "NET-203-0-113-0-1",
        "reason": "a transit network, not a host",
    }
    assert not Provider.objects.exists()


def test_a_rejection_needs_a_reason(supervisor):
    candidate = propose()

    with pytest.raises(DomainError, match="Say why"):
        candidate_reject(candidate.pk, actor=supervisor, reason=" \n")

    candidate.refresh_from_db()
    assert candidate.decision == "pending"


# --- the admin --------------------------------------------------------------------------------

LIST_URL = "/admin/hotline/providercandidate/"


def page_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def post_form(client, url: str, data: dict):
    return client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")


def waiting_on(candidate, count: int) -> None:
    for _ in range(count):
        report = ReportFactory()
        lookup = HostingLookup.objects.create(report=report, purpose="intake", candidate=candidate)
        Report.objects.filter(pk=report.pk).update(hosting_lookup=lookup)


def test_the_list_shows_pending_candidates_first_with_the_reports_waiting(client, sam):
    decided = propose(network_handle="NET-OLD", name="Decided Host", looked_up_at=LOOKED_UP)
    candidate_reject(decided.pk, actor=Actor.for_user(sam), reason="not a host")
    pending = propose(looked_up_at=LOOKED_UP - datetime.timedelta(days=1))
    waiting_on(pending, 2)
    superseded = ReportFactory()  # its newest lookup no longer names the candidate
    HostingLookup.objects.create(
        report=superseded, purpose="intake", candidate=pending, state="done"
    )
    newer = HostingLookup.objects.create(report=superseded, purpose="on_demand")
    Report.objects.filter(pk=superseded.pk).update(hosting_lookup=newer)
    client.force_login(StaffUserFactory(username="ann", role="analyst"))

    with CaptureQueriesContext(connection) as queries:
        text = page_of(client, LIST_URL)

    assert text.index("Example Hosting LLC") < text.index("Decided Host")
    assert '<td class="field-reports_waiting">2</td>' in text
    assert "2001:db8:77::/48, 203.0.113.0/24" in text
    assert "abuse@hosting.example" in text
    assert len(queries) < 15
    waiting_on(propose(network_handle="NET-3", name="Third"), 1)
    with CaptureQueriesContext(connection) as more:
        page_of(client, LIST_URL)
    assert len(more) == len(queries)  # no query per row


def test_an_analyst_sees_the_candidate_but_cannot_approve_it(client):
    candidate = propose()
    client.force_login(StaffUserFactory(username="ann", role="analyst"))

    text = page_of(client, f"{LIST_URL}{candidate.pk}/change/")
    approve = post_form(client, f"{LIST_URL}{candidate.pk}/decide/approve/", {"approve-name": "X"})
    reject = post_form(client, f"{LIST_URL}{candidate.pk}/decide/reject/", {"reject-reason": "no"})

    assert "Example Hosting LLC" in text
    assert "approve-name" not in text and "reject-reason" not in text
    assert (approve.status_code, reject.status_code) == (403, 403)
    candidate.refresh_from_db()
    assert candidate.decision == "pending"
    assert not Provider.objects.exists()


def test_a_supervisor_approves_from_the_change_page(client, sam):
    candidate = propose(country="")
    client.force_login(sam)
    text = page_of(client, f"{LIST_URL}{candidate.pk}/change/")
    assert 'name="approve-name"' in text and 'name="reject-reason"' in text

    refused = client.post(
        f"{LIST_URL}{candidate.pk}/decide/approve/",
        urlencode(
            {
                "approve-name": "Example Hosting",
                "approve-country": "",
                "approve-abuse_email": "abuse@hosting.example",
            }
        ),
        content_type="application/x-www-form-urlencoded",
        follow=True,
    )
    assert "country &#x27;&#x27; is not an ISO 3166-1 country code" in refused.content.decode()
    approved = client.post(
        f"{LIST_URL}{candidate.pk}/decide/approve/",
        urlencode(
            {
                "approve-name": "Example Hosting",
                "approve-country": "US",
                "approve-abuse_email": "abuse@hosting.example",
            }
        ),
        content_type="application/x-www-form-urlencoded",
        follow=True,
    )

    assert "Example Hosting LLC: approved as provider Example Hosting." in approved.content.decode()
    provider = Provider.objects.get()
    assert (provider.name, provider.country) == ("Example Hosting", "US")
    assert "approve-name" not in page_of(client, f"{LIST_URL}{candidate.pk}/change/")


def test_a_supervisor_attaches_or_rejects_from_the_change_page(client, sam):
    other = ProviderFactory(name="Other Host")
    attached, rejected = propose(), propose(network_handle="NET-2", name="Transit")
    client.force_login(sam)

    post_form(client, f"{LIST_URL}{attached.pk}/decide/approve/", {"approve-provider": other.pk})
    post_form(client, f"{LIST_URL}{rejected.pk}/decide/reject/", {"reject-reason": "transit only"})

    attached.refresh_from_db()
    rejected.refresh_from_db()
    assert (attached.decision, attached.provider) == ("approved", other)
    assert rejected.decision == "rejected"
    assert sorted(other.networks.values_list("cidr", flat=True)) == [
        "2001:db8:77::/48",
        "203.0.113.0/24",
    ]
