"""The RDAP client against a real HTTPS RDAP server on 127.0.0.1 (sandbox/rdap_server.py).

The client reaches the server by the registries' own names, routed to its port, and checks its
certificate against the sandbox's CA: the same path as production but for the route.
"""

import io
import json
import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from hotline.integrations.rdap import (
    BOOTSTRAP_FILES,
    Bootstrap,
    RDAPError,
    bootstrap_refresh,
    ip_network,
)
from sandbox.rdap_fixtures import (
    apnic_network,
    arin_network,
    ipv6_network,
    redacted_network,
    ripe_network,
    unvalidated_network,
)
from sandbox.rdap_server import DEFAULT_NAMES, RDAPServer

SHIPPED = Path(__file__).resolve().parents[3] / "hotline" / "data" / "rdap"
DOCUMENTATION = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"]
# Inside the documentation ranges: a server whose certificate does not name it, and a pair
# whose first server is down.
WRONG_NAME = "192.0.2.240/28"
FAILOVER = "192.0.2.224/28"


@pytest.fixture
def server():
    with RDAPServer() as running:
        yield running


@pytest.fixture
def bootstrap() -> Bootstrap:
    return Bootstrap.from_directory(
        SHIPPED,
        extra_ip_services=[
            (DOCUMENTATION, ["https://rdap.example.net/"]),
            ([WRONG_NAME], ["https://rdap.wrongname.example/"]),
            ([FAILOVER], ["https://rdap.down.example/", "https://rdap.example.net/"]),
        ],
    )


def lookup(server: RDAPServer, address: str, bootstrap: Bootstrap, **options):
    options.setdefault("route", lambda host, port: server.address)
    options.setdefault("ca_file", server.ca_file)
    return ip_network(address, bootstrap=bootstrap, **options)


def failure(server: RDAPServer, address: str, bootstrap: Bootstrap, **options) -> RDAPError:
    with pytest.raises(RDAPError) as caught:
        lookup(server, address, bootstrap, **options)
    return caught.value


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- what registries answer -------------------------------------------------------------------


def test_a_ripe_network(server, bootstrap):
    server.set(
        "192.0.2.0/25", {"rdap": ripe_network("192.0.2.0/25", "EX-NET", "nl", "abuse@example.net")}
    )
    record = lookup(server, "192.0.2.7", bootstrap)
    assert record.handle == "192.0.2.0 - 192.0.2.127"
    assert record.name == "EX-NET"
    assert record.country == "NL"
    assert (record.start_address, record.end_address) == ("192.0.2.0", "192.0.2.127")
    assert record.cidrs == ("192.0.2.0/25",)
    assert (record.abuse_email, record.abuse_note) == ("abuse@example.net", "")
    # RIPE lists the maintainer as a registrant too: the organisation is the holder.
    assert record.holder == "Example Hosting B.V."
    assert record.source_url == "https://rdap.example.net/ip/192.0.2.7"
    assert server.requests == [("rdap.example.net", "/ip/192.0.2.7")]


def test_an_arin_network_has_its_abuse_poc_inside_the_organisation(server, bootstrap):
    document = arin_network("198.51.100.0/24", "EX-ARIN", "US", "abuse@example.com")
    assert all("abuse" not in entity["roles"] for entity in document["entities"])
    server.set("198.51.100.0/24", {"rdap": document})
    record = lookup(server, "198.51.100.7", bootstrap)
    assert record.abuse_email == "abuse@example.com"
    assert record.holder == "Example Hosting, LLC"
    assert record.handle == "NET-198-51-100-0-1"
    # ARIN puts no country on a network, only in the organisation's postal address.
    assert record.country == ""


def test_an_apnic_network_has_an_irt_as_abuse_contact(server, bootstrap):
    server.set(
        "203.0.113.0/24",
        {"rdap": apnic_network("203.0.113.0/24", "EX-AP", "AU", "irt@example.net")},
    )
    record = lookup(server, "203.0.113.9", bootstrap)
    # The IRT's "was validated on" remark is no failed validation.
    assert (record.abuse_email, record.abuse_note) == ("irt@example.net", "")
    assert (record.country, record.holder) == ("AU", "Example Hosting Pty Ltd")


def test_an_ipv6_network(server, bootstrap):
    server.set("2001:db8:1000::/36", {"rdap": ipv6_network("2001:db8:1000::/36")})
    record = lookup(server, "2001:db8:1000::5", bootstrap)
    assert record.cidrs == ("2001:db8:1000::/36",)
    assert record.start_address == "2001:db8:1000::"
    assert record.end_address == "2001:db8:1fff:ffff:ffff:ffff:ffff:ffff"
    assert (record.country, record.abuse_email) == ("DE", "abuse@example.net")
    assert server.requests == [("rdap.example.net", "/ip/2001:db8:1000::5")]


def test_an_ipv4_mapped_address_is_asked_as_ipv4(server, bootstrap):
    server.set("192.0.2.0/24", {"rdap": ripe_network("192.0.2.0/24", "EX", "NL", "a@example.net")})
    assert lookup(server, "::ffff:192.0.2.7", bootstrap).start_address == "192.0.2.0"
    assert server.requests == [("rdap.example.net", "/ip/192.0.2.7")]


def test_cidrs_come_from_the_range_without_cidr0(server, bootstrap):
    document = ripe_network("192.0.2.0/24", "EX", "NL", "abuse@example.net")
    del document["cidr0_cidrs"]
    document["endAddress"] = "192.0.2.191"
    server.set("192.0.2.0/24", {"rdap": document})
    assert lookup(server, "192.0.2.7", bootstrap).cidrs == ("192.0.2.0/25", "192.0.2.128/26")


# -- abuse contacts that are no use -----------------------------------------------------------


def test_a_redacted_abuse_contact_is_rejected(server, bootstrap):
    server.set("192.0.2.0/24", {"rdap": redacted_network("192.0.2.0/24")})
    record = lookup(server, "192.0.2.7", bootstrap)
    assert record.abuse_email == ""
    assert record.abuse_note == "placeholder rejected: REDACTED FOR PRIVACY"


@pytest.mark.parametrize(
    ("address", "note"),
    [
        ("noreply@example.net", "placeholder rejected: noreply@example.net"),
        ("no-reply@example.net", "placeholder rejected: no-reply@example.net"),
        ("Not Disclosed", "placeholder rejected: Not Disclosed"),
        ("withheld@example.net", "placeholder rejected: withheld@example.net"),
        ("abuse@whoisprivacy.example", "placeholder rejected: abuse@whoisprivacy.example"),
        ("abuse at example.net", "not an e-mail address: abuse at example.net"),
        ("abuse@example", "not an e-mail address: abuse@example"),
    ],
)
def test_placeholders_and_non_addresses_are_rejected(server, bootstrap, address, note):
    server.set("192.0.2.0/24", {"rdap": ripe_network("192.0.2.0/24", "EX", "NL", address)})
    record = lookup(server, "192.0.2.7", bootstrap)
    assert (record.abuse_email, record.abuse_note) == ("", note)


@pytest.mark.parametrize(
    ("registry", "note_start"),
    [
        ("arin", "unvalidated: Unvalidated POC ARIN has attempted to validate"),
        ("ripe", "unvalidated: Abuse contact for '192.0.2.0 - 192.0.2.255' is 'abuse@example.org'"),
    ],
)
def test_an_abuse_contact_the_registry_could_not_validate_is_rejected(
    server, bootstrap, registry, note_start
):
    server.set("192.0.2.0/24", {"rdap": unvalidated_network("192.0.2.0/24", registry=registry)})
    record = lookup(server, "192.0.2.7", bootstrap)
    assert record.abuse_email == ""
    assert record.abuse_note.startswith(note_start), record.abuse_note


def test_no_abuse_entity_says_so(server, bootstrap):
    document = ripe_network("192.0.2.0/24", "EX", "NL", "abuse@example.net")
    document["entities"] = [e for e in document["entities"] if "abuse" not in e["roles"]]
    server.set("192.0.2.0/24", {"rdap": document})
    record = lookup(server, "192.0.2.7", bootstrap)
    # The technical contact's address is not taken for an abuse contact.
    assert (record.abuse_email, record.abuse_note) == ("", "no abuse contact")


# -- redirects --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "location", "final_url"),
    [
        (
            302,
            "https://rdap.arin.net/registry/ip/192.0.2.1",
            "https://rdap.arin.net/registry/ip/192.0.2.1",
        ),
        (301, "https://rdap.db.ripe.net/ip/192.0.2.1", "https://rdap.db.ripe.net/ip/192.0.2.1"),
        (307, "/moved/ip/192.0.2.1", "https://rdap.example.net/moved/ip/192.0.2.1"),
        (308, "https://rdap.apnic.net/ip/192.0.2.1", "https://rdap.apnic.net/ip/192.0.2.1"),
    ],
)
def test_a_redirect_to_a_bootstrap_server_is_followed(
    server, bootstrap, status, location, final_url
):
    server.set("192.0.2.64/26", {"redirect": location, "status": status})
    server.set("192.0.2.0/24", {"rdap": arin_network("192.0.2.0/24", "EX", "US", "a@example.net")})
    record = lookup(server, "192.0.2.77", bootstrap)
    assert record.source_url == final_url
    assert record.abuse_email == "a@example.net"
    host, path = final_url.removeprefix("https://").split("/", 1)
    assert server.requests == [("rdap.example.net", "/ip/192.0.2.77"), (host, f"/{path}")]


@pytest.mark.parametrize(
    "location",
    [
        "https://rdap.elsewhere.example/ip/192.0.2.1",  # its certificate is fine: not its name
        "http://rdap.arin.net/registry/ip/192.0.2.1",
        "https://user@rdap.arin.net/registry/ip/192.0.2.1",
    ],
)
def test_a_redirect_elsewhere_is_refused_without_following_it(server, bootstrap, location):
    server.set("192.0.2.64/26", {"redirect": location})
    server.set("192.0.2.0/24", {"rdap": ripe_network("192.0.2.0/24", "EX", "NL", "a@example.net")})
    assert failure(server, "192.0.2.77", bootstrap).kind == "redirect_refused"
    assert server.requests == [("rdap.example.net", "/ip/192.0.2.77")]


def test_more_than_three_redirects_are_refused(server, bootstrap):
    server.set("192.0.2.0/24", {"redirect": "https://rdap.arin.net/registry/ip/192.0.2.9"})
    assert failure(server, "192.0.2.7", bootstrap).kind == "too_many_redirects"
    assert len(server.requests) == 4  # the lookup and three redirects


def test_an_answer_for_a_network_that_does_not_hold_the_address_is_malformed(server, bootstrap):
    server.set("192.0.2.0/24", {"redirect": "https://rdap.arin.net/registry/ip/198.51.100.7"})
    server.set("198.51.100.0/24", {"rdap": arin_network("198.51.100.0/24", "EX", "US", "a@b.net")})
    error = failure(server, "192.0.2.7", bootstrap)
    assert error.kind == "malformed"
    assert "does not hold 192.0.2.7" in str(error)


# -- failures ---------------------------------------------------------------------------------


def test_an_oversized_body_is_refused(server, bootstrap):
    server.set("192.0.2.0/24", {"oversize": 2_000_000})
    assert failure(server, "192.0.2.7", bootstrap).kind == "too_large"


def test_the_size_cap_is_the_callers(server, bootstrap):
    server.set("192.0.2.0/24", {"rdap": ripe_network("192.0.2.0/24", "EX", "NL", "a@example.net")})
    assert failure(server, "192.0.2.7", bootstrap, max_bytes=500).kind == "too_large"
    assert lookup(server, "192.0.2.7", bootstrap, max_bytes=20_000).name == "EX"


def _ripe_with(**changes) -> dict:
    document = ripe_network("192.0.2.0/24", "EX", "NL", "abuse@example.net")
    document.update(changes)
    return document


def _with_abuse_entity(**changes) -> dict:
    document = _ripe_with()
    abuse = next(e for e in document["entities"] if e["roles"] == ["abuse"])
    abuse.update(changes)
    return document


@pytest.mark.parametrize(
    "entry",
    [
        {"raw": "not json{"},
        {"raw": "[]"},
        {"raw": '"an ip network"'},
        {"raw": "[" * 100_000},
        {"raw": "\xff\xfe"},
        {"rdap": {"objectClassName": "domain", "ldhName": "example.net"}},
        {"rdap": _ripe_with(entities={"abuse": "abuse@example.net"})},
        {"rdap": _ripe_with(entities=[["not", "an", "entity"]])},
        {"rdap": _ripe_with(remarks="a remark")},
        {"rdap": _ripe_with(country=["NL"])},
        {"rdap": _ripe_with(startAddress="192.0.2.x")},
        {"rdap": _ripe_with(cidr0_cidrs=[{"v4prefix": "192.0.2.0", "length": "24"}])},
        {"rdap": _with_abuse_entity(roles="abuse")},
        {"rdap": _with_abuse_entity(vcardArray={"email": "abuse@example.net"})},
        {"rdap": _with_abuse_entity(vcardArray=["vcard", [["email", {}, "text"]]])},
        {"rdap": _with_abuse_entity(vcardArray=["vcard", [["email", {}, "text", ["a@b.net"]]]])},
    ],
)
def test_a_malformed_answer_is_refused_not_crashed_on(server, bootstrap, entry):
    server.set("192.0.2.0/24", entry)
    assert failure(server, "192.0.2.7", bootstrap).kind == "malformed"


def test_no_such_network(server, bootstrap):
    assert failure(server, "192.0.2.7", bootstrap).kind == "not_found"


def test_rate_limited_with_retry_after_in_seconds(server, bootstrap):
    server.set("192.0.2.0/24", {"status": 429, "headers": {"Retry-After": "30"}})
    error = failure(server, "192.0.2.7", bootstrap)
    assert (error.kind, error.retry_after) == ("rate_limited", 30.0)


def test_rate_limited_with_retry_after_as_a_date(server, bootstrap):
    server.set(
        "192.0.2.0/24", {"status": 429, "headers": {"Retry-After": "Tue, 01 Dec 2026 12:02:00 GMT"}}
    )
    with time_machine.travel(datetime(2026, 12, 1, 12, 0, tzinfo=UTC), tick=False):
        error = failure(server, "192.0.2.7", bootstrap)
    assert (error.kind, error.retry_after) == ("rate_limited", 120.0)


def test_rate_limited_without_retry_after(server, bootstrap):
    server.set("192.0.2.0/24", {"status": 429})
    error = failure(server, "192.0.2.7", bootstrap)
    assert (error.kind, error.retry_after) == ("rate_limited", None)


@pytest.mark.parametrize("status", [500, 503, 403])
def test_a_server_error(server, bootstrap, status):
    server.set("192.0.2.0/24", {"status": status})
    error = failure(server, "192.0.2.7", bootstrap)
    assert (error.kind, error.retry_after) == ("server_error", None)


def test_a_503_may_say_when_to_come_back(server, bootstrap):
    server.set("192.0.2.0/24", {"status": 503, "headers": {"Retry-After": "120"}})
    error = failure(server, "192.0.2.7", bootstrap)
    assert (error.kind, error.retry_after) == ("server_error", 120.0)


def test_a_slow_server_times_out_and_stops_at_once():
    slow = RDAPServer({"192.0.2.0/24": {"delay": 30.0}}).start()
    bootstrap = Bootstrap.from_directory(
        SHIPPED, extra_ip_services=[(DOCUMENTATION, ["https://rdap.example.net/"])]
    )
    started = time.monotonic()
    assert failure(slow, "192.0.2.7", bootstrap, timeout=0.5).kind == "timeout"
    assert time.monotonic() - started < 2
    started = time.monotonic()
    slow.stop()
    assert time.monotonic() - started < 2


def test_the_timeout_bounds_the_whole_answer_not_each_read(server, bootstrap):
    # One byte every 0.1 s: no single read waits long, the body would take minutes.
    server.set("192.0.2.0/24", {"trickle": 0.1})
    started = time.monotonic()
    assert failure(server, "192.0.2.7", bootstrap, timeout=1.0).kind == "timeout"
    assert time.monotonic() - started < 2.5


def test_a_refused_route_sends_nothing(server, bootstrap):
    def refuse(host, port):
        raise PermissionError(f"{host} resolves to a non-public address")

    error = failure(server, "192.0.2.7", bootstrap, route=refuse)
    assert error.kind == "refused"
    assert "non-public" in str(error)
    assert server.requests == []


def test_a_server_that_cannot_be_reached(server, bootstrap):
    port = closed_port()
    error = failure(server, "192.0.2.7", bootstrap, route=lambda host, _: ("127.0.0.1", port))
    assert error.kind == "connect"


def test_the_next_server_is_asked_when_the_first_cannot_be_reached(server, bootstrap):
    down = closed_port()

    def route(host, port):
        return ("127.0.0.1", down) if host == "rdap.down.example" else server.address

    server.set(FAILOVER, {"rdap": ripe_network(FAILOVER, "EX", "NL", "abuse@example.net")})
    record = lookup(server, "192.0.2.230", bootstrap, route=route)
    assert record.source_url == "https://rdap.example.net/ip/192.0.2.230"


def test_a_certificate_for_another_name_is_refused(server, bootstrap):
    server.set(WRONG_NAME, {"rdap": ripe_network(WRONG_NAME, "EX", "NL", "abuse@example.net")})
    assert failure(server, "192.0.2.241", bootstrap).kind == "tls"
    assert server.requests == []


def test_a_certificate_from_an_unknown_ca_is_refused(server, bootstrap):
    server.set("192.0.2.0/24", {"rdap": ripe_network("192.0.2.0/24", "EX", "NL", "a@example.net")})
    assert failure(server, "192.0.2.7", bootstrap, ca_file=None).kind == "tls"


def test_an_address_no_registry_answers_for(server, bootstrap):
    assert failure(server, "127.0.0.1", bootstrap).kind == "no_server"
    http_only = Bootstrap.from_directory(
        SHIPPED, extra_ip_services=[(DOCUMENTATION, ["http://rdap.example.net/"])]
    )
    assert failure(server, "192.0.2.7", http_only).kind == "no_server"
    assert server.requests == []


def test_not_an_address_is_the_callers_mistake(server, bootstrap):
    with pytest.raises(ValueError):
        lookup(server, "example.net", bootstrap)


# -- the bootstrap ----------------------------------------------------------------------------


def test_the_shipped_bootstrap_picks_the_longest_prefix(bootstrap):
    shipped = Bootstrap.from_directory(SHIPPED)
    assert shipped.publication == "2026-06-08T00:00:00Z"
    assert shipped.servers_for_ip("193.0.0.1") == ["https://rdap.db.ripe.net/"]
    assert shipped.servers_for_ip("192.0.2.1") == ["https://rdap.arin.net/registry/"]
    assert shipped.servers_for_ip("41.0.0.1") == ["https://rdap.afrinic.net/rdap/"]  # not http
    assert shipped.servers_for_ip("2a00::1") == ["https://rdap.db.ripe.net/"]
    assert shipped.servers_for_ip("127.0.0.1") == []
    # A documentation /24 inside ARIN's 192/8 goes to the sandbox; its neighbour stays ARIN's.
    assert bootstrap.servers_for_ip("192.0.2.1") == ["https://rdap.example.net/"]
    assert bootstrap.servers_for_ip("192.0.3.1") == ["https://rdap.arin.net/registry/"]


def test_the_bootstrap_names_the_redirect_allowlist(bootstrap):
    hosts = bootstrap.server_hosts()
    rirs = {"rdap.arin.net", "rdap.db.ripe.net", "rdap.apnic.net", "rdap.lacnic.net"}
    assert rirs | {"rdap.afrinic.net", "rdap.example.net"} <= hosts
    assert "rdap.cctld.kg" in hosts  # a TLD's server from dns.json
    assert "rdap.elsewhere.example" not in hosts


def test_a_lookup_with_the_shipped_bootstrap_asks_the_registry_by_name():
    network = ripe_network("193.0.0.0/21", "EXAMPLE-NCC", "NL", "abuse@example.net")
    with RDAPServer({"193.0.0.0/21": {"rdap": network}}) as ripe:
        record = lookup(ripe, "193.0.0.1", Bootstrap.from_directory(SHIPPED))
        assert ripe.requests == [("rdap.db.ripe.net", "/ip/193.0.0.1")]
    assert record.source_url == "https://rdap.db.ripe.net/ip/193.0.0.1"


def test_a_broken_bootstrap_file_is_refused(tmp_path):
    for name in BOOTSTRAP_FILES:
        (tmp_path / name).write_bytes((SHIPPED / name).read_bytes())
    (tmp_path / "ipv4.json").write_text('{"version": "1.0", "services": []}')
    with pytest.raises(ValueError, match=r"ipv4\.json"):
        Bootstrap.from_directory(tmp_path)


# -- refreshing the bootstrap -----------------------------------------------------------------


def _republished(name: str) -> bytes:
    document = json.loads((SHIPPED / name).read_bytes())
    document["publication"] = "2026-12-01T00:00:00Z"
    return json.dumps(document, indent=2).encode()


def _iana(**replaced: bytes) -> RDAPServer:
    """A stand-in for data.iana.org/rdap/ serving the shipped files, ipv4.json republished."""
    files = {name: (SHIPPED / name).read_bytes() for name in BOOTSTRAP_FILES}
    files["ipv4.json"] = _republished("ipv4.json")
    files.update({name.replace("_", "."): content for name, content in replaced.items()})
    return RDAPServer(
        names=[*DEFAULT_NAMES, "data.iana.org"],
        files={f"/rdap/{name}": content for name, content in files.items() if content},
    )


def _installed(tmp_path: Path) -> dict[str, bytes]:
    for name in BOOTSTRAP_FILES:
        if not (tmp_path / name).exists():
            (tmp_path / name).write_bytes((SHIPPED / name).read_bytes())
    return {name: (tmp_path / name).read_bytes() for name in BOOTSTRAP_FILES}


def test_refresh_writes_the_files_that_changed(tmp_path):
    before = _installed(tmp_path)
    with _iana() as iana:
        options = {"route": lambda host, port: iana.address, "ca_file": iana.ca_file}
        assert bootstrap_refresh(tmp_path, **options) == ["ipv4.json"]
        assert bootstrap_refresh(tmp_path, **options) == []
        assert {host for host, _ in iana.requests} == {"data.iana.org"}
        assert sorted(path for _, path in iana.requests) == sorted(
            f"/rdap/{name}" for name in BOOTSTRAP_FILES * 2
        )
    after = _installed(tmp_path)
    assert after["ipv4.json"] == _republished("ipv4.json")
    assert {name: content for name, content in after.items() if name != "ipv4.json"} == {
        name: content for name, content in before.items() if name != "ipv4.json"
    }
    assert Bootstrap.from_directory(tmp_path).publication == "2026-12-01T00:00:00Z"
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".")]


ANY_URL = "https://rdap.example.net/"


def _document(name: str, **changes) -> bytes:
    document = json.loads((SHIPPED / name).read_bytes())
    document.update(changes)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("replaced", "kind"),
    [
        ({"asn_json": b"<html>maintenance</html>"}, "malformed"),
        ({"asn_json": _document("asn.json", version="2.0")}, "malformed"),
        ({"ipv6_json": _document("ipv6.json", services={})}, "malformed"),
        ({"ipv6_json": _document("ipv6.json", services=[])}, "malformed"),
        ({"asn_json": _document("asn.json", publication="yesterday")}, "malformed"),
        (
            {"ipv6_json": _document("ipv6.json", services=[[["2001:db8::/300"], [ANY_URL]]])},
            "malformed",
        ),
        ({"asn_json": _document("asn.json", services=[[["20-10"], [ANY_URL]]])}, "malformed"),
        ({"dns_json": _document("dns.json", services=[[["net"], [42]]])}, "malformed"),
        ({"asn_json": b""}, "not_found"),
    ],
)
def test_refresh_writes_nothing_if_any_file_is_invalid(tmp_path, replaced, kind):
    before = _installed(tmp_path)
    with _iana(**replaced) as iana, pytest.raises(RDAPError) as caught:
        bootstrap_refresh(tmp_path, route=lambda host, port: iana.address, ca_file=iana.ca_file)
    assert caught.value.kind == kind
    assert _installed(tmp_path) == before


def test_refresh_is_https_only(tmp_path):
    with pytest.raises(ValueError):
        bootstrap_refresh(tmp_path, base_url="http://data.iana.org/rdap/")


def test_the_refresh_command(tmp_path, settings):
    before = _installed(tmp_path)
    with _iana() as iana:
        settings.HOTLINE_SANDBOX = f"data.iana.org:443=127.0.0.1:{iana.address[1]}"
        settings.HOTLINE_OUTSIDE_CA_FILE = iana.ca_file
        settings.HOTLINE_RDAP_BOOTSTRAP_DIR = tmp_path
        out = io.StringIO()
        call_command("rdap_bootstrap_refresh", stdout=out)
        assert out.getvalue().splitlines() == [
            f"Updated {tmp_path / 'ipv4.json'}",
            "Bootstrap published 2026-12-01T00:00:00Z",
        ]
        elsewhere = tmp_path / "elsewhere"
        out = io.StringIO()
        call_command("rdap_bootstrap_refresh", "--directory", str(elsewhere), stdout=out)
        assert sorted(path.name for path in elsewhere.iterdir()) == sorted(BOOTSTRAP_FILES)
        iana.files["/rdap/asn.json"] = b"{}"
        with pytest.raises(CommandError, match="malformed"):
            call_command("rdap_bootstrap_refresh")
    assert _installed(tmp_path)["dns.json"] == before["dns.json"]


# -- the sandbox server itself ----------------------------------------------------------------


def test_the_sandbox_rereads_its_data_file(tmp_path, bootstrap):
    data_file = tmp_path / "networks.json"

    def publish(name: str, mtime: int) -> None:
        network = ripe_network("192.0.2.0/24", name, "NL", "abuse@example.net")
        data_file.write_text(json.dumps({"192.0.2.0/24": {"rdap": network}}))
        os.utime(data_file, (mtime, mtime))

    publish("FIRST", 1_700_000_000)
    with RDAPServer(data_file=data_file) as sandbox:
        assert lookup(sandbox, "192.0.2.7", bootstrap).name == "FIRST"
        publish("SECOND", 1_700_000_060)
        assert lookup(sandbox, "192.0.2.7", bootstrap).name == "SECOND"
