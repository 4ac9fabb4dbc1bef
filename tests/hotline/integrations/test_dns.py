"""Tests for hotline.integrations.dns against a real DNS server on 127.0.0.1 (sandbox.dns_server).

No database: the client holds no state and talks to nothing but the resolvers it is given.
"""

import sys
import time

import dns.resolver
import pytest

from hotline.integrations.dns import (
    DNSLookupError,
    Origin,
    Resolution,
    origin_asn,
    resolve,
    resolvers_parse,
)
from sandbox.dns_server import DNSServer, zone_file_set

RECORDS = {
    "www.example.test": {"A": ["198.51.100.10", "198.51.100.11"], "AAAA": ["2001:db8::10"]},
    "v6only.example.test": {"AAAA": ["2001:db8::6"]},
    "shop.example.test": {"CNAME": "Edge.CDN.test."},
    "edge.cdn.test": {"CNAME": "node7.cdn.test"},
    "node7.cdn.test": {"A": ["203.0.113.7"], "AAAA": ["2001:db8::7"]},
    "loop-a.example.test": {"CNAME": "loop-b.example.test"},
    "loop-b.example.test": {"CNAME": "loop-a.example.test"},
    "dangling.example.test": {"CNAME": "gone.example.test"},
    "servfail.example.test": {"rcode": "SERVFAIL"},
    "refused.example.test": {"rcode": "REFUSED"},
    "slow.example.test": {"A": ["198.51.100.99"], "delay": 2.0},
    "noaddress.example.test": {"TXT": ["v=spf1 -all"]},
    "intranet": {"A": ["198.51.100.53"]},
    # Team Cymru's answers: 198.51.100.10, 203.0.113.7 and 2001:db8::10.
    "10.100.51.198.origin.asn.cymru.com": {
        "TXT": ["64500 | 198.51.100.0/24 | NL | ripencc | 2020-01-01"]
    },
    "7.113.0.203.origin.asn.cymru.com": {
        "TXT": ["64510 64511 | 203.0.113.0/24 | DE | ripencc | 2019-05-01"]
    },
    "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.origin6.asn.cymru.com": {
        "TXT": ["64496 | 2001:db8::/32 | US | arin | 2010-10-10"]
    },
    "20.100.51.198.origin.asn.cymru.com": {
        "TXT": [
            "64500 | 198.51.100.0/24 | NL | ripencc | 2020-01-01",
            "64502 | 198.51.100.16/28 | BE | ripencc | 2022-02-02",
        ]
    },
    "30.100.51.198.origin.asn.cymru.com": {"TXT": ["no route here"]},
    "40.100.51.198.origin.asn.cymru.com": {"A": ["127.0.0.2"]},
    "50.100.51.198.origin.asn.cymru.com": {"rcode": "SERVFAIL"},
}


@pytest.fixture(scope="module")
def server():
    with DNSServer(RECORDS) as running:
        yield running


@pytest.fixture
def resolvers(server):
    server.queries.clear()
    return [server.address]


def test_a_answers_come_before_aaaa_answers(resolvers):
    assert resolve("www.example.test", resolvers=resolvers) == Resolution(
        host="www.example.test",
        cnames=(),
        addresses=("198.51.100.10", "198.51.100.11", "2001:db8::10"),
    )


def test_the_host_is_asked_in_lower_case_without_the_trailing_dot(server, resolvers):
    resolution = resolve("WWW.Example.Test.", resolvers=resolvers)
    assert resolution.host == "www.example.test"
    assert server.queries == [("www.example.test", "A"), ("www.example.test", "AAAA")]


def test_a_host_with_only_an_aaaa_record_resolves(resolvers):
    assert resolve("v6only.example.test", resolvers=resolvers).addresses == ("2001:db8::6",)


def test_the_cname_chain_is_followed_and_recorded_in_order(server, resolvers):
    assert resolve("shop.example.test", resolvers=resolvers) == Resolution(
        host="shop.example.test",
        cnames=("edge.cdn.test", "node7.cdn.test"),
        addresses=("203.0.113.7", "2001:db8::7"),
    )
    # The resolver answers with the whole chain: one query per address type, not per hop.
    assert server.queries == [("shop.example.test", "A"), ("shop.example.test", "AAAA")]


def test_a_cname_chain_longer_than_allowed_is_refused(resolvers):
    assert len(resolve("shop.example.test", resolvers=resolvers, max_cnames=2).cnames) == 2
    with pytest.raises(DNSLookupError, match="longer than 1 names") as caught:
        resolve("shop.example.test", resolvers=resolvers, max_cnames=1)
    assert caught.value.kind == "cname_loop"


def test_a_cname_loop_is_detected(resolvers):
    with pytest.raises(DNSLookupError) as caught:
        resolve("loop-a.example.test", resolvers=resolvers)
    assert caught.value.kind == "cname_loop"
    assert "loop-a.example.test -> loop-b.example.test -> loop-a.example.test" in str(caught.value)


@pytest.mark.parametrize(
    ("host", "kind", "message"),
    [
        ("unknown.example.test", "nxdomain", "unknown.example.test: no such name"),
        ("dangling.example.test", "nxdomain", "CNAME target gone.example.test does not exist"),
        ("servfail.example.test", "servfail", "SERVFAIL"),
        ("refused.example.test", "refused", "refused"),
        ("noaddress.example.test", "no_answer", "no A or AAAA record"),
    ],
)
def test_failures_have_their_kind(resolvers, host, kind, message):
    with pytest.raises(DNSLookupError, match=message) as caught:
        resolve(host, resolvers=resolvers)
    assert caught.value.kind == kind


def test_a_resolver_slower_than_the_timeout_is_a_timeout(resolvers):
    started = time.monotonic()
    with pytest.raises(DNSLookupError) as caught:
        resolve("slow.example.test", resolvers=resolvers, timeout=0.3)
    assert caught.value.kind == "timeout"
    # The server would answer after 2 s; the lookup gave up near its own limit.
    assert time.monotonic() - started < 1.5


def test_the_next_resolver_is_asked_when_one_refuses(server, resolvers):
    # Both servers are on 127.0.0.1: each is reached on its own port.
    with DNSServer({"refused.example.test": {"A": ["192.0.2.80"]}}) as other:
        resolution = resolve("refused.example.test", resolvers=[*resolvers, other.address])
        assert resolution.addresses == ("192.0.2.80",)
        assert ("refused.example.test", "A") in server.queries
        assert ("refused.example.test", "A") in other.queries


@pytest.fixture(scope="module")
def files_opened():
    """Paths opened while the list is watching (``watching[0]``), seen by an audit hook: the
    interpreter reports every open(), so nothing is replaced to observe it."""
    opened: list[str] = []
    watching = [False]

    def hook(event, args):
        if event == "open" and watching[0]:
            opened.append(str(args[0]))

    sys.addaudithook(hook)  # hooks cannot be removed: this one is off outside the test
    return opened, watching


def test_the_system_resolver_configuration_is_never_read(
    server, resolvers, files_opened, monkeypatch
):
    opened, watching = files_opened
    # dnspython's module-level default resolver, were it used, would read /etc/resolv.conf.
    monkeypatch.setattr(dns.resolver, "default_resolver", None)
    watching[0] = True
    try:
        addresses = resolve("intranet", resolvers=resolvers).addresses
        origin_asn("198.51.100.10", resolvers=resolvers)
    finally:
        watching[0] = False
    assert addresses == ("198.51.100.53",)
    assert [path for path in opened if "resolv.conf" in path] == []
    assert dns.resolver.default_resolver is None
    # A single-label name is asked as given: no search domain appended.
    assert server.queries[:2] == [("intranet", "A"), ("intranet", "AAAA")]


def test_an_ip_address_is_its_own_answer_without_a_query(server, resolvers):
    assert resolve("2001:db8::1", resolvers=resolvers) == Resolution(
        host="2001:db8::1", cnames=(), addresses=("2001:db8::1",)
    )
    assert resolve("198.51.100.7", resolvers=resolvers).addresses == ("198.51.100.7",)
    assert server.queries == []


def test_no_resolvers_is_refused():
    with pytest.raises(ValueError, match="no DNS resolvers configured"):
        resolve("www.example.test", resolvers=[])
    with pytest.raises(ValueError, match="no DNS resolvers configured"):
        origin_asn("198.51.100.10", resolvers=[])


def test_a_host_that_is_no_dns_name_is_refused(resolvers):
    with pytest.raises(ValueError, match="is not a host name"):
        resolve("a" * 64 + ".example.test", resolvers=resolvers)


def test_a_moved_host_is_seen_at_once(server, resolvers):
    server.set("moving.example.test", A=["198.51.100.1"])
    assert resolve("moving.example.test", resolvers=resolvers).addresses == ("198.51.100.1",)
    server.set("moving.example.test", CNAME="node7.cdn.test")
    assert resolve("moving.example.test", resolvers=resolvers).cnames == ("node7.cdn.test",)


def test_the_zone_file_is_read_again_after_zone_file_set(tmp_path):
    zone = tmp_path / "zone.json"
    zone_file_set(zone, "demo.example.test", A=["198.51.100.10"])
    with DNSServer(zone_file=zone) as server:
        before = resolve("demo.example.test", resolvers=[server.address])
        zone_file_set(zone, "demo.example.test", A=["203.0.113.20"], AAAA=["2001:db8::20"])
        after = resolve("demo.example.test", resolvers=[server.address])
    assert before.addresses == ("198.51.100.10",)
    assert after.addresses == ("203.0.113.20", "2001:db8::20")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8053, [2001:db8::1]:53", [("127.0.0.1", 8053), ("2001:db8::1", 53)]),
        ("192.0.2.53", [("192.0.2.53", 53)]),
        ("[2001:DB8::1]", [("2001:db8::1", 53)]),
        ("2001:db8::1", [("2001:db8::1", 53)]),
        (" 127.0.0.1:53 ,, 127.0.0.2:5353, ", [("127.0.0.1", 53), ("127.0.0.2", 5353)]),
        ("", []),
    ],
)
def test_resolvers_are_parsed(text, expected):
    assert resolvers_parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dns.example.net:53", "'dns.example.net' is not an IP address"),
        ("localhost", "'localhost' is not an IP address"),
        ("127.0.0.1:0", "port must be a number from 1 to 65535"),
        ("127.0.0.1:65536", "port must be a number from 1 to 65535"),
        ("127.0.0.1:dns", "port must be a number from 1 to 65535"),
        ("127.0.0.1:53, 127.0.0.1:-1", "'127.0.0.1:-1'"),
        ("[2001:db8::1", r"write an IPv6 address as \[2001:db8::1\]:53"),
        ("[2001:db8::1]53", r"write an IPv6 address as \[2001:db8::1\]:53"),
    ],
)
def test_bad_resolvers_are_refused_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        resolvers_parse(text)


def test_origin_of_an_ipv4_address(server, resolvers):
    assert origin_asn("198.51.100.10", resolvers=resolvers) == Origin(
        asn=64500, prefix="198.51.100.0/24", country="NL", registry="ripencc"
    )
    assert server.queries == [("10.100.51.198.origin.asn.cymru.com", "TXT")]


def test_origin_of_an_ipv6_address(resolvers):
    assert origin_asn("2001:db8::10", resolvers=resolvers) == Origin(
        asn=64496, prefix="2001:db8::/32", country="US", registry="arin"
    )


def test_the_first_of_several_origin_asns_is_taken(resolvers):
    assert origin_asn("203.0.113.7", resolvers=resolvers).asn == 64510


def test_the_most_specific_of_several_routes_is_taken(resolvers):
    assert origin_asn("198.51.100.20", resolvers=resolvers).prefix == "198.51.100.16/28"


def test_another_zone_can_be_asked(server, resolvers):
    server.set("10.100.51.198.asn.example.test", TXT=["64499 | 198.51.100.0/24 | FR | ripencc"])
    assert origin_asn("198.51.100.10", resolvers=resolvers, zone4="asn.example.test").asn == 64499


@pytest.mark.parametrize("address", ["198.51.100.77", "198.51.100.40"])
def test_an_address_without_a_route_has_no_origin(resolvers, address):
    # .77: no such name; .40: the name exists without TXT.
    assert origin_asn(address, resolvers=resolvers) is None


def test_an_unreadable_origin_answer_is_a_bad_answer(resolvers):
    with pytest.raises(DNSLookupError, match="unreadable IP-to-ASN answer") as caught:
        origin_asn("198.51.100.30", resolvers=resolvers)
    assert caught.value.kind == "bad_answer"


def test_a_failing_origin_lookup_raises(resolvers):
    with pytest.raises(DNSLookupError) as caught:
        origin_asn("198.51.100.50", resolvers=resolvers)
    assert caught.value.kind == "servfail"


def test_an_unknown_error_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown DNS error kind"):
        DNSLookupError("gone", "x")
