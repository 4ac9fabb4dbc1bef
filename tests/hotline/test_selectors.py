"""The directory's read queries: which active provider or host rule matches a host (by domain,
down to its registrable domain), an address (by the longest prefix) or an AS."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotline.models import HostRule, Provider, ProviderASN, ProviderDomain, ProviderNetwork
from hotline.selectors import (
    asn_match,
    cdn_rule_for,
    domain_match,
    host_rule_for_host,
    network_match,
)

pytestmark = pytest.mark.django_db


def provider(name, *, domains=(), networks=(), asns=(), active=True):
    row = Provider.objects.create(
        name=name, country="DE", abuse_email=f"abuse@{name.lower()}.example", active=active
    )
    for suffix in domains:
        ProviderDomain.objects.create(provider=row, suffix=suffix)
    for cidr in networks:
        ProviderNetwork.objects.create(provider=row, cidr=cidr)
    for asn in asns:
        ProviderASN.objects.create(provider=row, asn=asn)
    return row


@pytest.fixture
def hosts():
    return {
        "Broad": provider(
            "Broad", domains=["example.com"], networks=["8.8.0.0/16", "2a00:1450::/32"], asns=[1]
        ),
        "Narrow": provider(
            "Narrow",
            domains=["a.example.com", "example.co.uk"],
            networks=["8.8.8.0/24", "2a00:1450:4001::/48"],
            asns=[2],
        ),
        "Narrowest": provider(
            "Narrowest",
            domains=["x.a.example.com"],
            networks=["8.8.8.8/32"],
            asns=[3],
            active=False,
        ),
        "Elsewhere": provider("Elsewhere", domains=["example.org"], networks=["1.1.1.0/24"]),
    }


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com", "Broad"),
        ("www.example.com", "Broad"),
        ("WWW.Example.COM.", "Broad"),
        ("a.example.com", "Narrow"),
        ("deep.sub.a.example.com", "Narrow"),
        ("b.example.com", "Broad"),
        ("x.a.example.com", "Narrow"),  # the inactive, longer match is ignored
        ("notexample.com", None),  # a suffix match is whole labels only
        ("example.com.evil.example", None),
        ("com", None),
        ("shop.example.co.uk", "Narrow"),
        ("www.example.org", "Elsewhere"),
        ("8.8.8.8", None),  # an IP literal has no domain
    ],
)
def test_domain_match_is_the_longest_suffix_of_an_active_provider(hosts, host, expected):
    match = domain_match(host)

    assert (match.provider.name if match else None) == expected


def test_domain_match_never_goes_above_the_registrable_domain(hosts):
    # A row for a public suffix (from before the directory refused them) matches nothing.
    ProviderDomain.objects.create(provider=hosts["Broad"], suffix="co.uk")

    assert domain_match("www.other.co.uk") is None
    assert domain_match("www.example.co.uk").provider.name == "Narrow"


ADDRESSES = {
    "8.8.4.4": "Broad",
    "8.8.8.7": "Narrow",
    "8.8.8.8": "Narrow",  # the inactive /32 is ignored
    "1.1.1.1": "Elsewhere",
    "9.9.9.9": None,
    "2a00:1450:4002::1": "Broad",
    "2a00:1450:4001::1": "Narrow",
    "2a00:1450:4001:ffff:ffff:ffff:ffff:ffff": "Narrow",
    "2a01::1": None,
    "::ffff:8.8.8.7": "Narrow",  # an IPv4-mapped address is that IPv4 address
}


def test_network_match_takes_the_longest_prefix_of_an_active_provider(hosts):
    with CaptureQueriesContext(connection) as queries:
        matches = network_match(list(ADDRESSES))

    assert {address: p.name for address, p in matches.items()} == {
        address: name for address, name in ADDRESSES.items() if name
    }
    assert len(queries) == len(ADDRESSES)  # one per address; the provider comes with it


def test_asn_match_is_one_query_for_active_providers(hosts):
    with CaptureQueriesContext(connection) as queries:
        matches = asn_match([1, 2, 3, 4])

    assert {asn: p.name for asn, p in matches.items()} == {1: "Broad", 2: "Narrow"}
    assert len(queries) == 1


def test_no_directory_matches_nothing():
    assert domain_match("images.example.com") is None
    assert network_match(["8.8.8.8"]) == {}
    assert asn_match([64500]) == {}
    assert host_rule_for_host("images.example.com") is None
    assert cdn_rule_for("8.8.8.8", 64500) is None


@pytest.fixture
def rules(hosts):
    made = {
        "platform": HostRule.objects.create(
            kind="platform", provider=hosts["Broad"], domain="share.example.com"
        ),
        "host": HostRule.objects.create(
            kind="host", provider=hosts["Narrow"], domain="eu.share.example.com"
        ),
        "inactive": HostRule.objects.create(
            kind="host", provider=hosts["Narrowest"], domain="x.eu.share.example.com"
        ),
        "cdn wide": HostRule.objects.create(kind="cdn", provider=hosts["Broad"], cidr="9.9.0.0/16"),
        "cdn narrow": HostRule.objects.create(
            kind="cdn", provider=hosts["Narrow"], cidr="9.9.9.0/24"
        ),
        "cdn v6": HostRule.objects.create(
            kind="cdn", provider=hosts["Narrow"], cidr="2001:db8:cd::/48"
        ),
        "cdn inactive": HostRule.objects.create(
            kind="cdn", provider=hosts["Narrowest"], cidr="9.9.9.9/32"
        ),
        "cdn asn": HostRule.objects.create(kind="cdn", provider=hosts["Elsewhere"], asn=64510),
        "cdn asn inactive": HostRule.objects.create(
            kind="cdn", provider=hosts["Narrowest"], asn=64511
        ),
    }
    return made


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("share.example.com", "platform"),
        ("files.share.example.com", "platform"),
        ("eu.share.example.com", "host"),
        ("a.eu.share.example.com", "host"),
        ("x.eu.share.example.com", "host"),  # the inactive provider's rule is ignored
        ("example.com", None),
        ("notshare.example.com", None),
    ],
)
def test_host_rule_for_host_is_the_longest_domain(rules, host, expected):
    assert host_rule_for_host(host) == (rules[expected] if expected else None)


def test_host_rule_for_host_ignores_cdn_rules(rules):
    assert host_rule_for_host("9.9.9.9") is None


@pytest.mark.parametrize(
    ("address", "asn", "expected"),
    [
        ("9.9.1.1", None, "cdn wide"),
        ("9.9.9.1", None, "cdn narrow"),
        ("9.9.9.9", None, "cdn narrow"),  # the inactive /32 is ignored
        ("9.9.9.1", 64510, "cdn narrow"),  # a range holding the address comes first
        ("203.0.113.5", 64510, "cdn asn"),
        ("203.0.113.5", 64511, None),  # an inactive provider's AS
        ("203.0.113.5", None, None),
        ("2001:db8:cd:1::5", None, "cdn v6"),
        ("2001:db8:ce::5", 64510, "cdn asn"),
    ],
)
def test_cdn_rule_for_takes_the_longest_range_then_the_asn(rules, address, asn, expected):
    assert cdn_rule_for(address, asn) == (rules[expected] if expected else None)
