"""A real web host and DNS server on 127.0.0.1: the service checks its reports' URLs there,
routed through the sandbox setting (as in `make run`)."""

import pytest

from sandbox.dns_server import DNSServer
from sandbox.web_host import WebHost
from tests.reports.factories import ProviderFactory, StaffUserFactory

HOST = "files.check.example"
ADDRESS = "198.51.100.50"
PATH = "/f/1.jpg"
URL = f"http://{HOST}{PATH}"
IMAGE = {"status": 200, "headers": {"Content-Type": "image/jpeg", "Content-Length": "5000"}}


@pytest.fixture
def web_host():
    with WebHost({PATH: dict(IMAGE)}) as host:
        yield host


@pytest.fixture
def checks_on(settings, web_host):
    """Probes on, the report's host resolving to a documentation address mapped to the host."""
    with DNSServer({HOST: {"A": [ADDRESS]}}) as dns:
        settings.HOTLINE_PROBES_ENABLED = True
        settings.HOTLINE_DNS_RESOLVERS = f"127.0.0.1:{dns.address[1]}"
        settings.HOTLINE_SANDBOX = f"198.51.100.0/24:80=127.0.0.1:{web_host.http_address[1]}"
        settings.HOTLINE_PROBE_HOST_INTERVAL_SECONDS = 0
        settings.HOTLINE_PROBE_CONNECT_TIMEOUT = 1.0
        settings.HOTLINE_PROBE_HEADER_TIMEOUT = 1.0
        yield web_host


@pytest.fixture
def analyst(db):
    return StaffUserFactory(username="ann", role="analyst")


@pytest.fixture
def supervisor(db):
    return StaffUserFactory(username="sue", role="supervisor")


@pytest.fixture
def provider(db):
    return ProviderFactory(name="Check Hosting", country="NL")
