"""Tests for sandbox.dns_server, the DNS stand-in of the tests and the demo, asked with dnspython.

No database.
"""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import pytest

from sandbox.dns_server import DNSServer, zone_file_set

ROOT = Path(__file__).resolve().parents[2]


def ask(server: DNSServer, name: str, rdtype: str = "A", *, tcp: bool = False):
    host, port = server.address
    query = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, host, port=port, timeout=2)


def test_udp_and_tcp_answer_on_one_port():
    with DNSServer({"www.example.test": {"A": ["198.51.100.10"]}}) as server:
        for tcp in (False, True):
            response = ask(server, "www.example.test", tcp=tcp)
            assert [rrset.to_text() for rrset in response.answer] == [
                "www.example.test. 60 IN A 198.51.100.10"
            ]


def test_names_are_case_insensitive_and_a_cname_carries_its_target():
    records = {
        "WWW.Example.Test.": {"CNAME": "Edge.Example.Test"},
        "edge.example.test": {"A": ["198.51.100.10"]},
    }
    with DNSServer(records) as server:
        response = ask(server, "www.EXAMPLE.test")
    assert [rrset.to_text() for rrset in response.answer] == [
        "www.EXAMPLE.test. 60 IN CNAME edge.example.test.",
        "edge.example.test. 60 IN A 198.51.100.10",
    ]


def test_a_cname_to_an_unknown_name_is_nxdomain_with_the_chain():
    with DNSServer({"www.example.test": {"CNAME": "gone.example.test"}}) as server:
        response = ask(server, "www.example.test")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert len(response.answer) == 1


def test_a_cname_loop_is_cut_at_its_first_repeat():
    records = {"a.test": {"CNAME": "b.test"}, "b.test": {"CNAME": "a.test"}}
    with DNSServer(records) as server:
        response = ask(server, "a.test")
    assert [rrset.to_text() for rrset in response.answer] == [
        "a.test. 60 IN CNAME b.test.",
        "b.test. 60 IN CNAME a.test.",
    ]


@pytest.mark.parametrize("rcode", ["SERVFAIL", "NXDOMAIN", "REFUSED"])
def test_a_record_can_answer_with_an_error(rcode):
    with DNSServer({"bad.test": {"rcode": rcode}}) as server:
        assert dns.rcode.to_text(ask(server, "bad.test").rcode()) == rcode


def test_every_query_is_counted():
    with DNSServer({"www.example.test": {"A": ["198.51.100.10"]}}) as server:
        ask(server, "WWW.example.test.", "AAAA")
        ask(server, "unknown.test", "TXT", tcp=True)
        assert server.queries == [("www.example.test", "AAAA"), ("unknown.test", "TXT")]


def test_set_replaces_a_record_while_serving():
    with DNSServer({"www.example.test": {"A": ["198.51.100.10"]}}) as server:
        server.set("www.example.test", AAAA=["2001:db8::10"])
        assert ask(server, "www.example.test").answer == []
        assert ask(server, "www.example.test", "AAAA").answer[0][0].address == "2001:db8::10"


def test_stop_does_not_wait_for_a_delayed_answer():
    with (
        DNSServer({"slow.test": {"A": ["198.51.100.10"], "delay": 20}}) as server,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client,
    ):
        client.sendto(dns.message.make_query("slow.test", "A").to_wire(), server.address)
        deadline = time.monotonic() + 5
        while not server.queries and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.queries == [("slow.test", "A")]
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1
        client.settimeout(0.2)
        with pytest.raises(TimeoutError):
            client.recv(512)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"A": ["2001:db8::1"]}, "A must be a list of IPv4 addresses"),
        ({"A": "198.51.100.1"}, "A must be a list of IPv4 addresses"),
        ({"AAAA": ["198.51.100.1"]}, "AAAA must be a list of IPv6 addresses"),
        ({"CNAME": "edge.test", "A": ["198.51.100.1"]}, "a name with a CNAME has no other"),
        ({"TXT": ["x" * 256]}, "at most 255 bytes"),
        ({"rcode": "NOTAUTH"}, "rcode must be one of"),
        ({"delay": 31}, "delay must be a number of seconds from 0 to 30"),
        ({"MX": ["mail.test"]}, "unknown record fields"),
    ],
)
def test_a_bad_record_is_refused_with_a_reason(record, message):
    with pytest.raises(ValueError, match=message):
        DNSServer({"www.example.test": record})


def test_records_and_a_zone_file_are_not_mixed(tmp_path):
    with pytest.raises(ValueError, match="not both"):
        DNSServer({}, zone_file=tmp_path / "zone.json")


def test_zone_file_set_rewrites_one_entry_and_leaves_the_others(tmp_path):
    zone = tmp_path / "zone.json"
    zone.write_text(json.dumps({"a.test": {"A": ["198.51.100.1"]}, "b.test": {}}))
    zone_file_set(zone, "B.test.", CNAME="a.test")
    assert json.loads(zone.read_text()) == {
        "a.test": {"A": ["198.51.100.1"]},
        "b.test": {"CNAME": "a.test"},
    }
    assert [path.name for path in tmp_path.iterdir()] == ["zone.json"]


def test_a_bad_edit_of_the_zone_file_keeps_the_last_good_zone(tmp_path):
    zone = tmp_path / "zone.json"
    zone_file_set(zone, "www.example.test", A=["198.51.100.10"])
    with DNSServer(zone_file=zone) as server:
        zone.write_text('{"www.example.test": {"A": ["not an address"]}}')
        assert ask(server, "www.example.test").answer[0][0].address == "198.51.100.10"
        with pytest.raises(ValueError, match="A must be a list of IPv4 addresses"):
            server.set("www.example.test", A=["198.51.100.20"])
        zone.write_text('{"www.example.test": {"A": ["198.51.100.30"]}}')
        assert ask(server, "www.example.test").answer[0][0].address == "198.51.100.30"


def test_the_command_serves_a_zone_file_that_another_command_changes(tmp_path):
    zone = tmp_path / "zone.json"
    command = [sys.executable, "-m", "sandbox.dns_server"]
    subprocess.run(
        [*command, "set", str(zone), "www.example.test", "--a", "198.51.100.10"],
        cwd=ROOT,
        check=True,
    )
    serving = subprocess.Popen(
        [*command, "serve", "--zone-file", str(zone), "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = serving.stdout.readline()
        port = int(banner.split()[3].rpartition(":")[2])
        query = dns.message.make_query("www.example.test", "A")
        first = dns.query.udp(query, "127.0.0.1", port=port, timeout=5)
        subprocess.run(
            [
                *command,
                "set",
                str(zone),
                "www.example.test",
                "--a",
                "203.0.113.20",
                "--a",
                "203.0.113.21",
            ],
            cwd=ROOT,
            check=True,
        )
        second = dns.query.udp(query, "127.0.0.1", port=port, timeout=5)
    finally:
        serving.terminate()
        serving.wait(timeout=10)
    assert [rdata.address for rdata in first.answer[0]] == ["198.51.100.10"]
    assert sorted(rdata.address for rdata in second.answer[0]) == ["203.0.113.20", "203.0.113.21"]
