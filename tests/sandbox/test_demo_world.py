"""The demo's outside world agrees with itself and with the demo reports: every demo report's
URL is on a demo host, the zone sends every demo host into a documentation range that the
default HOTLINE_SANDBOX routes to the web host, the registry data holds every address, and the
web host answers the URLs, until ``python -m sandbox page`` says otherwise.

The servers are the real ones (sandbox/dns_server.py, sandbox/web_host.py, and
``python -m sandbox serve`` itself), started from the demo's data files on ephemeral ports; the
checks go through the service's own DNS client, sandbox routing and status-only probe.
"""

import ipaddress
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from hotline.addresses import non_public_reason
from hotline.integrations.dns import DNSLookupError, resolve
from hotline.integrations.probe import ProbeError, probe
from hotline.integrations.webhooks import webhook_post
from hotline.outside import outside_route
from reports.demo import BULK_URLS, CHECKED_URL
from reports.management.commands.demo_data import PARTNER_URLS, PUBLIC_URLS
from sandbox import demo, web_host
from sandbox.__main__ import demo_files
from sandbox.dns_server import DNSServer
from sandbox.web_host import WebHost

ROOT = Path(settings.BASE_DIR)
REPORTED_URLS = {urlunsplit(urlsplit(url)._replace(fragment="")) for url in PUBLIC_URLS}
REPORTED_URLS |= {urlunsplit(urlsplit(url)._replace(fragment="")) for url in PARTNER_URLS}
REPORTED_URLS.add(CHECKED_URL)
REPORTED_URLS |= set(BULK_URLS)


def sandbox_command(directory: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", "--dir", str(directory), *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def web_sandbox(http_port: int, https_port: int) -> str:
    """The default HOTLINE_SANDBOX with the web host's ports moved to these."""
    return settings.SANDBOX_DEFAULT.replace(
        f"=127.0.0.1:{settings.SANDBOX_WEB_PORT}", f"=127.0.0.1:{http_port}"
    ).replace(f"=127.0.0.1:{settings.SANDBOX_WEB_HTTPS_PORT}", f"=127.0.0.1:{https_port}")


def demo_probe(url: str, dns: tuple[str, int], ca_file: str):
    """The status-only check as the service wires it: its resolver, its address rule, its
    sandbox route."""

    def resolver(host: str) -> list[str]:
        try:
            return list(resolve(host, resolvers=[dns], timeout=2.0).addresses)
        except DNSLookupError as error:
            kind = "nxdomain" if error.kind == "nxdomain" else "dns"
            raise ProbeError(kind, str(error)) from None

    def address_check(address: str) -> str | None:
        return non_public_reason(ipaddress.ip_address(address), documentation_admitted=True)

    return probe(
        url,
        resolve=resolver,
        address_check=address_check,
        route=outside_route,
        ca_file=ca_file,
        connect_timeout=2.0,
        header_timeout=2.0,
    )


# --- the data -------------------------------------------------------------------------------


def test_the_web_pages_are_the_demo_reports_urls_each_with_a_path_of_its_own():
    assert set(demo.ONLINE_URLS) == REPORTED_URLS
    assert demo.PROBE_DEMO_URL == CHECKED_URL  # the demo's running notice
    pages = demo.web_pages()
    assert len(pages) == len(demo.ONLINE_URLS)  # served by path whatever the host
    for url in REPORTED_URLS:
        assert urlsplit(url).hostname in demo.HOSTS, url
        page = pages[urlsplit(url).path]
        assert page["status"] == 200, url
        assert page["headers"]["Content-Type"].startswith("image/"), url
        assert page["body_bytes"] > 0, url
        web_host.page_check(page)


def test_every_demo_host_resolves_into_a_range_routed_to_the_web_host_and_registered(settings):
    settings.HOTLINE_SANDBOX = settings.SANDBOX_DEFAULT
    web_ports = {80: settings.SANDBOX_WEB_PORT, 443: settings.SANDBOX_WEB_HTTPS_PORT}
    networks = [ipaddress.ip_network(cidr) for cidr in demo.rdap_networks()]
    with DNSServer(demo.zone()) as dns:
        for host in demo.HOSTS:
            addresses = resolve(host, resolvers=[dns.address], timeout=2.0).addresses
            assert addresses, host
            for address in addresses:
                ip = ipaddress.ip_address(address)
                assert non_public_reason(ip, documentation_admitted=True) is None, address
                for port, web_port in web_ports.items():
                    assert outside_route(address, port) == ("127.0.0.1", web_port), address
                assert any(ip in network for network in networks), f"{address}: no RDAP network"
                assert demo.origin_name(address) in demo.zone(), f"{address}: no origin AS"


# --- the servers ----------------------------------------------------------------------------


@pytest.fixture
def demo_world(tmp_path, settings):
    """DNS and the web host from the demo's data files in tmp_path, the service routed there."""
    zone, _, pages = demo_files(tmp_path)
    with (
        DNSServer(zone_file=zone) as dns,
        WebHost(
            tls=True,
            names=(*web_host.DEFAULT_NAMES, *demo.HOSTS),
            ca_dir=tmp_path,
            data_file=pages,
        ) as web,
    ):
        settings.HOTLINE_SANDBOX = web_sandbox(web.http_address[1], web.https_address[1])
        yield dns, web


def test_the_demo_probe_url_answers_until_the_page_command_removes_it(tmp_path, demo_world):
    dns, web = demo_world
    url = demo.PROBE_DEMO_URL

    online = demo_probe(url, dns.address, web.ca_file)
    assert (online.status, online.tls_error, online.address) == (200, "", "198.51.100.10")
    assert online.headers["content-type"] == "image/jpeg"
    assert online.headers["content-length"] == str(demo.ONLINE_URLS[url])
    assert web.requests[-1] == ("HEAD", "/gallery/9000", "images.example.com")

    result = sandbox_command(tmp_path, "page", url, "404")
    assert result.returncode == 0, result.stderr
    assert demo_probe(url, dns.address, web.ca_file).status == 404
    # The other demo URLs are still online.
    other = demo_probe("https://images.example.com/gallery/4411", dns.address, web.ca_file)
    assert other.status == 200

    removal_page = "https://images.example.com/removed"
    result = sandbox_command(tmp_path, "page", url, "301", "--redirect", removal_page)
    assert result.returncode == 0, result.stderr
    redirected = demo_probe(url, dns.address, web.ca_file)
    assert (redirected.hops[0].status, redirected.redirected_to) == (301, removal_page)
    assert redirected.status == 404  # nothing is served there

    assert sandbox_command(tmp_path, "page", url, "200").returncode == 0
    back = demo_probe(url, dns.address, web.ca_file)
    assert (back.status, back.headers["content-type"]) == (200, "image/jpeg")


def test_every_demo_report_url_answers_200_over_its_scheme(demo_world):
    dns, web = demo_world
    for url in sorted(REPORTED_URLS):
        result = demo_probe(url, dns.address, web.ca_file)
        assert (result.status, result.tls_error, result.redirected_to) == (200, "", ""), url
    assert {scheme for scheme in (urlsplit(url).scheme for url in REPORTED_URLS)} == {
        "http",
        "https",
    }


def test_the_page_command_refuses_what_no_host_could_answer(tmp_path):
    url = demo.PROBE_DEMO_URL
    assert sandbox_command(tmp_path, "page", "ftp://images.example.com/x", "404").returncode
    assert sandbox_command(tmp_path, "page", url, "200", "--redirect", url).returncode
    assert sandbox_command(tmp_path, "page", url, "1000").returncode
    # A first page command writes the demo's pages too: the others stay online.
    assert sandbox_command(tmp_path, "page", url, "410").returncode == 0
    pages = web_host.data_file_read(tmp_path / "web-pages.json")
    assert pages == {**demo.web_pages(), "/gallery/9000": {"status": 410}}


# --- python -m sandbox serve ----------------------------------------------------------------


# Every server on a free port, as the tests' own servers are.
EPHEMERAL_PORTS = [
    f"--{server}-port=0"
    for server in ("dns", "rdap", "web", "web-https", "webhook", "webhook-https")
]


def served_ports(process: subprocess.Popen) -> dict[str, int]:
    """The ports ``serve`` printed, in its order: DNS, RDAP, the web host's HTTP and HTTPS, the
    webhook receiver's HTTP and HTTPS."""
    printed = "".join(process.stdout.readline() for _ in range(4))
    ports = [int(port) for port in re.findall(r"127\.0\.0\.1:([0-9]+)", printed)]
    names = ("dns", "rdap", "http", "https", "webhook", "webhook_https")
    return dict(zip(names, ports, strict=True))


def tls_handshake(port: int, name: str, ca_file: Path) -> None:
    context = ssl.create_default_context(cafile=str(ca_file))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as connection,
        context.wrap_socket(connection, server_hostname=name),
    ):
        pass


def test_serve_starts_every_stand_in_under_one_ca_before_it_says_ready(tmp_path, settings):
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "sandbox", "--dir", str(tmp_path), "serve"),
            *EPHEMERAL_PORTS,
            f"--webhook-log={tmp_path / 'webhooks.jsonl'}",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        ports = served_ports(process)
        deadline = time.monotonic() + 30
        while not (tmp_path / "ready").exists():
            assert process.poll() is None and time.monotonic() < deadline, "serve never got ready"
            time.sleep(0.05)
        assert {path.name for path in tmp_path.iterdir()} >= {
            "dns-zone.json",
            "rdap-networks.json",
            "web-pages.json",
            "ca.pem",
            "webhook-secrets",
        }
        ca_file = tmp_path / "ca.pem"
        # The one CA file the service trusts checks the registries' and the demo hosts' names.
        tls_handshake(ports["rdap"], "rdap.db.ripe.net", ca_file)
        tls_handshake(ports["https"], "share.example.com", ca_file)
        tls_handshake(ports["webhook_https"], demo.WEBHOOK_ADDRESS, ca_file)
        settings.HOTLINE_SANDBOX = web_sandbox(ports["http"], ports["https"]).replace(
            f"=127.0.0.1:{settings.SANDBOX_WEBHOOK_HTTPS_PORT}",
            f"=127.0.0.1:{ports['webhook_https']}",
        )
        dns = ("127.0.0.1", ports["dns"])
        result = demo_probe(demo.PROBE_DEMO_URL, dns, str(ca_file))
        assert (result.status, result.tls_error) == (200, "")
        assert demo_probe("http://forum.example.net/t/8820?page=2", dns, str(ca_file)).status == 200
        # The demo provider's webhook address reaches the receiver, which verifies the signature
        # with the secret it generated.
        secret = (tmp_path / "webhook-secrets").read_text().strip()
        status = webhook_post(
            f"https://{demo.WEBHOOK_ADDRESS}/hotline",
            b'{"type":"demo"}',
            secret=secret,
            message_id="msg_demo",
            timestamp=int(time.time()),
            resolve=lambda host: [],
            address_check=lambda address: non_public_reason(
                ipaddress.ip_address(address), documentation_admitted=True
            ),
            route=outside_route,
            ca_file=str(ca_file),
        )
        assert status == 204
        [line] = (tmp_path / "webhooks.jsonl").read_text().splitlines()
        assert json.loads(line) | {"received_at": ""} == {
            "id": "msg_demo",
            "timestamp": json.loads(line)["timestamp"],
            "verified": True,
            "reason": "",
            "body": {"type": "demo"},
            "path": "/hotline",
            "received_at": "",
            "answered": 204,
        }
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert process.returncode == 0
    assert not (tmp_path / "ready").exists()
