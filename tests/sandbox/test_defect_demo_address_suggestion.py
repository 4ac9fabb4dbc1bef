"""In `make run` the suggestion by address can be tried: a demo host that no provider's domain,
rule or platform names, answered by the demo's DNS with an address in a provider's network of
the demo directory. (An address URL itself, http://198.51.100.40/..., is refused at intake:
documentation ranges are not on the public internet.)

The demo's own servers (its zone and registry data) and directory file, through the service's
intake and hosting lookup."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from hotline.actors import Actor
from reports import hosting
from reports.intake import report_submit, submission_clean
from reports.models import Channel
from sandbox import demo
from sandbox.dns_server import DNSServer
from sandbox.rdap_server import RDAPServer

pytestmark = pytest.mark.django_db

DEMO_DIRECTORY = Path(settings.BASE_DIR) / "hotline" / "fixtures" / "demo-directory.yaml"


@pytest.fixture
def demo_outside(settings, tmp_path):
    with (
        DNSServer(demo.zone()) as dns,
        RDAPServer(demo.rdap_networks(), ca_dir=tmp_path) as rdap,
    ):
        host, port = dns.address
        settings.HOTLINE_DNS_RESOLVERS = f"{host}:{port}"
        settings.HOTLINE_SANDBOX = ",".join(
            f"{name}:443=127.0.0.1:{rdap.address[1]}" for name in settings.SANDBOX_RDAP_NAMES
        )
        settings.HOTLINE_OUTSIDE_CA_FILE = rdap.ca_file
        settings.HOTLINE_DNS_TIMEOUT = 0.5
        settings.HOTLINE_RDAP_TIMEOUT = 2.0
        yield


def test_the_demo_address_host_is_suggested_its_provider_by_address_alone(demo_outside):
    call_command("directory", "load", str(DEMO_DIRECTORY), stdout=StringIO())
    report = report_submit(
        submission=submission_clean(url=f"https://{demo.ADDRESS_DEMO_HOST}/photo/1.jpg"),
        channel=Channel.WEB,
        actor=Actor.public(),
    ).report

    hosting.intake_lookups_run([report.pk])

    report.refresh_from_db()
    lookup = report.hosting_lookup
    assert lookup.provider.name == "Example Images BV"
    assert "198.51.100.40 is in Example Images BV's network" in lookup.reason
    assert lookup.country == "NL"
