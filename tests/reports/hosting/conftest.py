"""A real DNS server and a real HTTPS RDAP server on 127.0.0.1 for the hosting lookup, with the
service pointed at them through the sandbox setting (as `make run` is)."""

import pytest

from hotline.models import HostRule, PartnerHotline, Provider, ProviderASN, ProviderNetwork
from sandbox import rdap_fixtures
from sandbox.demo import origin_name
from sandbox.dns_server import DNSServer
from sandbox.rdap_server import RDAPServer
from tests.reports.factories import StaffUserFactory

REGISTRIES = ("rdap.example.net", "rdap.db.ripe.net", "rdap.arin.net")


def origin(address: str, asn: int, prefix: str, country: str = "NL") -> dict:
    """The zone entry of Team Cymru's answer for an address."""
    return {origin_name(address): {"TXT": [f"{asn} | {prefix} | {country} | ripencc | 2020-01-01"]}}


ZONE = {
    "img.known.example": {"A": ["198.51.100.10"]},
    "pics.unknown.example": {"A": ["203.0.113.25"]},
    "www.cdn-site.example": {"CNAME": "edge.cdn.example.net"},
    "edge.cdn.example.net": {"A": ["192.0.2.80"]},
    "intranet.example": {"A": ["10.0.0.5"]},
    "two.example": {"A": ["198.51.100.11", "203.0.113.26"]},
    "de.share.example": {"AAAA": ["2001:db8:500::1"]},
    "gone.example": {"rcode": "NXDOMAIN"},
    "broken.example": {"rcode": "SERVFAIL"},
    **origin("198.51.100.10", 64500, "198.51.100.0/24"),
    **origin("198.51.100.11", 64500, "198.51.100.0/24"),
    **origin("203.0.113.25", 64501, "203.0.113.0/24", "GB"),
    **origin("203.0.113.26", 64501, "203.0.113.0/24", "GB"),
    **origin("192.0.2.80", 64510, "192.0.2.0/24", "US"),
}
NETWORKS = {
    "198.51.100.0/24": {
        "rdap": rdap_fixtures.ripe_network(
            "198.51.100.0/24", "KNOWN-NET", "NL", "abuse@known.example", holder="Known Hosting BV"
        )
    },
    "203.0.113.0/24": {
        "rdap": rdap_fixtures.ripe_network(
            "203.0.113.0/24",
            "UNLISTED-HOSTING",
            "GB",
            "abuse@unlisted-hosting.example",
            holder="Unlisted Hosting Ltd",
        )
    },
    "192.0.2.0/24": {
        "rdap": rdap_fixtures.arin_network(
            "192.0.2.0/24", "EXAMPLE-CDN", "US", "abuse@cdn.example.net", holder="Example CDN"
        )
    },
    "2001:db8:500::/48": {
        "rdap": rdap_fixtures.ipv6_network(
            "2001:db8:500::/48", "SHARE-V6", "DE", "abuse@share.example"
        )
    },
}


@pytest.fixture
def dns_server():
    with DNSServer(dict(ZONE)) as server:
        yield server


@pytest.fixture
def rdap_server(tmp_path):
    with RDAPServer(dict(NETWORKS), ca_dir=tmp_path) as server:
        yield server


@pytest.fixture
def outside(settings, dns_server, rdap_server):
    """The service's outside clients pointed at the two servers."""
    host, port = dns_server.address
    settings.HOTLINE_DNS_RESOLVERS = f"{host}:{port}"
    settings.HOTLINE_SANDBOX = ",".join(
        f"{name}:443=127.0.0.1:{rdap_server.address[1]}" for name in REGISTRIES
    )
    settings.HOTLINE_OUTSIDE_CA_FILE = rdap_server.ca_file
    settings.HOTLINE_DNS_TIMEOUT = 0.5
    settings.HOTLINE_RDAP_TIMEOUT = 2.0
    return dns_server, rdap_server


@pytest.fixture
def directory(db):
    """Known Hosting owns 198.51.100.0/24 and AS64500; Example CDN is AS64510; Forum Hosting
    has a domain; Share is a platform in Germany, which a partner covers."""
    known = Provider.objects.create(
        name="Known Hosting BV", country="NL", abuse_email="abuse@known.example"
    )
    ProviderNetwork(provider=known, cidr="198.51.100.0/24").save()
    ProviderASN.objects.create(provider=known, asn=64500)
    cdn = Provider.objects.create(
        name="Example CDN", country="US", abuse_email="abuse@cdn.example.net"
    )
    HostRule.objects.create(kind=HostRule.Kind.CDN, asn=64510, provider=cdn)
    forum = Provider.objects.create(
        name="Forum Hosting", country="NL", abuse_email="abuse@forum.example"
    )
    forum.domains.create(suffix="forum.example")
    share = Provider.objects.create(
        name="Share GmbH", country="DE", abuse_email="abuse@share.example"
    )
    HostRule.objects.create(kind=HostRule.Kind.PLATFORM, domain="share.example", provider=share)
    PartnerHotline.objects.create(name="German Partner", countries=["DE", "AT"])
    return {"known": known, "cdn": cdn, "forum": forum, "share": share}


@pytest.fixture
def analyst(db):
    return StaffUserFactory(username="ann", role="analyst")


@pytest.fixture
def supervisor(db):
    return StaffUserFactory(username="sue", role="supervisor")
