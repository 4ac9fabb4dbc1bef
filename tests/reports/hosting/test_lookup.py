"""The hosting lookup against a real DNS server and a real RDAP server on 127.0.0.1."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from hotline.actors import Actor
from hotline.directory import candidate_approve
from hotline.models import ProviderCandidate
from reports import hosting
from reports.intake import partner_batch_submit
from reports.models import Channel, Event, HostingLookup, Report
from tests.reports.hosting.support import looked_up, steps, submit

pytestmark = pytest.mark.django_db


def test_intake_asks_for_a_lookup_that_runs_later_and_finds_the_network_s_provider(
    outside, directory
):
    report = submit("https://img.known.example/a/1.jpg")
    # Nothing is looked up, or even written, in the request: the lookups queue does it.
    assert report.hosting_lookup is None and not report.lookups.exists()

    lookup = looked_up(report)
    assert lookup.state == "done" and report.hosting_lookup == lookup
    assert lookup.provider == directory["known"] and lookup.country == "NL"
    assert "198.51.100.10 is in Known Hosting BV's network" in lookup.reason
    assert steps(lookup) == {
        "dns": "answered",
        "asn": "answered",
        "rdap": "answered",
        "match": "provider",
    }
    (row,) = lookup.addresses
    assert (row["address"], row["asn"], row["network"], row["abuse_email"]) == (
        "198.51.100.10",
        64500,
        "198.51.100.0/24",
        "abuse@known.example",
    )
    event = Event.objects.filter(report=report, verb="hosting_looked_up").get()
    assert event.data["provider"] == "Known Hosting BV"


def test_an_unknown_host_gets_a_candidate_from_rdap_that_a_supervisor_approves(
    outside, directory, supervisor
):
    report = submit("https://pics.unknown.example/p/9")
    lookup = looked_up(report)
    candidate = lookup.candidate
    assert lookup.provider is None
    assert (candidate.name, candidate.country, candidate.abuse_email, candidate.decision) == (
        "Unlisted Hosting Ltd",
        "GB",
        "abuse@unlisted-hosting.example",
        "pending",
    )
    assert candidate.networks == ["203.0.113.0/24"] and candidate.asn == 64501
    assert "a supervisor must approve it" in lookup.reason

    provider = candidate_approve(candidate.pk, actor=Actor.for_user(supervisor))
    hosting.lookup_request(report.pk, actor=Actor.for_user(supervisor))
    again = looked_up(report)
    assert again.provider == provider and again.candidate is None
    assert ProviderCandidate.objects.get().decision == "approved"


def test_behind_a_cdn_the_cdn_s_abuse_channel_is_suggested_and_the_report_says_so(
    outside, directory
):
    lookup = looked_up(submit("https://www.cdn-site.example/v/7"))
    assert lookup.cnames == ["edge.cdn.example.net"]
    assert lookup.behind_cdn and lookup.provider == directory["cdn"]
    assert "behind Example CDN's CDN or reverse proxy (AS64510)" in lookup.reason


def test_an_address_match_wins_over_the_domain_suffix_and_a_platform_over_its_address(
    outside, directory, dns_server
):
    dns_server.set("www.forum.example", A=["198.51.100.10"])
    assert looked_up(submit("https://www.forum.example/t/1")).provider == directory["known"]
    dns_server.set("other.forum.example", A=["203.0.113.40"])  # no directory network
    assert looked_up(submit("https://other.forum.example/t/2")).provider == directory["forum"]
    platform = looked_up(submit("https://de.share.example/a/1"))
    assert platform.provider == directory["share"] and "platform" in platform.reason


def test_hosted_abroad_where_a_partner_covers_the_country_suggests_forwarding(outside, directory):
    lookup = looked_up(submit("https://de.share.example/a/2"))
    assert (lookup.country, lookup.partner.name) == ("DE", "German Partner")


def test_private_answers_are_recorded_as_a_fact_and_never_acted_on(outside, directory):
    lookup = looked_up(submit("https://intranet.example/x"))
    (row,) = lookup.addresses
    assert (row["address"], row["public"]) == ("10.0.0.5", False)
    assert "private address" in row["note"]
    assert lookup.provider is None and lookup.candidate is None and not lookup.resolved
    assert steps(lookup)["address"] == "refused"


def test_every_address_at_different_providers_is_recorded(outside, directory):
    lookup = looked_up(submit("https://two.example/x"))
    providers = {row["address"]: row["provider"] or row["holder"] for row in lookup.addresses}
    assert providers == {
        "198.51.100.11": "Known Hosting BV",
        "203.0.113.26": "Unlisted Hosting Ltd",
    }
    assert lookup.provider == directory["known"]


def test_a_url_that_names_an_address_skips_dns(outside, directory, dns_server):
    # Intake refuses documentation addresses everywhere; the lookup takes the host as stored.
    url = "https://198.51.100.10/x.jpg"
    report = Report.objects.create(
        reference="HL-ADDR-0001",
        submitted_url=url,
        canonical_url=url,
        url_sha256="a" * 64,
        host="198.51.100.10",
        channel=Channel.API,
    )
    lookup = looked_up(report)
    assert steps(lookup)["dns"] == "skipped"
    assert lookup.provider == directory["known"]
    assert not any(name == "198.51.100.10" for name, _ in dns_server.queries)


def test_a_batch_on_one_host_costs_one_lookup_through_the_cache(
    outside, directory, dns_server, partner_key
):
    rdap_server = outside[1]
    partner, _key = partner_key
    partner_batch_submit(
        partner=partner,
        items=[{"url": f"https://img.known.example/b/{n}.jpg"} for n in range(40)],
        actor=Actor.system("test"),
    )
    batch = list(Report.objects.values_list("pk", flat=True))
    assert hosting.intake_lookups_run(batch) == 40  # the batch's one task
    host_queries = [q for q in dns_server.queries if q[0] == "img.known.example"]
    assert len(host_queries) == 2  # A and AAAA, once
    assert len(rdap_server.requests) == 1
    assert set(HostingLookup.objects.values_list("provider__name", flat=True)) == {
        "Known Hosting BV"
    }


def test_the_cache_expires_after_the_ttl_and_look_up_again_skips_it(
    outside, directory, dns_server, settings
):
    settings.HOTLINE_LOOKUP_TTL = "1h"
    report = submit("https://img.known.example/c/1")
    looked_up(report)
    dns_server.queries.clear()
    with time_machine.travel(timezone.now() + timedelta(minutes=30)):
        hosting.lookup_request(report.pk, actor=Actor.system())
        looked_up(report)
    assert dns_server.queries  # on demand: fresh answers
    dns_server.queries.clear()
    second = submit("https://img.known.example/c/2")
    looked_up(second)
    assert dns_server.queries == []  # within the TTL
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        looked_up(submit("https://img.known.example/c/3"))
    assert dns_server.queries


def test_nxdomain_is_an_answer_the_report_stays_workable(outside, directory):
    lookup = looked_up(submit("https://gone.example/x"))
    assert lookup.state == "done" and steps(lookup)["dns"] == "nxdomain"
    assert lookup.provider is None and lookup.reason == "no provider found: set the hosting by hand"


def test_a_servfail_is_retried_with_backoff_and_a_lost_lookup_is_found_again(
    outside, directory, dns_server
):
    report = submit("https://broken.example/x")
    lookup = looked_up(report)
    assert (lookup.state, lookup.attempts, steps(lookup)["dns"]) == ("pending", 1, "servfail")
    assert lookup.next_attempt_at > timezone.now()
    assert hosting.lookups_resume() == 0  # not due yet
    dns_server.set("broken.example", A=["198.51.100.10"])
    with time_machine.travel(lookup.next_attempt_at + timedelta(seconds=1)):
        assert hosting.lookups_resume() == 1  # from the database: no task needed
    lookup.refresh_from_db()
    assert (lookup.state, lookup.attempts, lookup.provider) == ("done", 2, directory["known"])


def test_a_registry_rate_limit_is_recorded_and_the_registry_is_not_asked_again_at_once(
    outside, directory
):
    rdap_server = outside[1]
    rdap_server.set("203.0.113.0/24", {"status": 429, "headers": {"Retry-After": "120"}})
    asked_at = timezone.now()
    lookup = looked_up(submit("https://pics.unknown.example/r/1"))
    assert steps(lookup)["rdap"] == "rate_limited" and lookup.state == "pending"
    # Tried again when the registry allows, not at the first backoff (a minute).
    assert lookup.next_attempt_at >= asked_at + timedelta(seconds=120)
    asked = len(rdap_server.requests)
    looked_up(submit("https://pics.unknown.example/r/2"))
    assert len(rdap_server.requests) == asked


def test_a_report_is_looked_up_once_however_often_its_task_runs(outside, directory):
    report = submit("https://img.known.example/d/1")
    assert hosting.intake_lookups_run([report.pk]) == 1
    assert hosting.intake_lookups_run([report.pk]) == 0
    assert hosting.lookups_run([report.lookups.get().pk]) == 0


def test_a_report_whose_lookup_task_was_lost_is_found_from_the_database(outside, directory):
    report = submit("https://img.known.example/e/1")  # its task never runs
    assert hosting.lookups_resume() == 0  # a new report's task gets its chance first
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert hosting.lookups_resume() == 1
    report.refresh_from_db()
    assert report.hosting_lookup.provider == directory["known"]
    assert hosting.lookups_resume() == 0
