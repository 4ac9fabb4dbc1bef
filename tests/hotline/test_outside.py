"""Where outside clients may connect: only the loopback outside production (HOTLINE_SANDBOX),
and never to a loopback, private or documentation address in production."""

import os
import subprocess
import sys

import pytest

from hotline.outside import SandboxInvalid, outside_route, sandbox_parse

SANDBOX = (
    "rdap.db.ripe.net:443=127.0.0.1:18443, 198.51.100.0/24:443=127.0.0.1:18444,"
    "[2001:db8::/32]=127.0.0.1:18445"
)


def test_the_sandbox_maps_names_and_documentation_ranges_to_the_loopback(settings):
    settings.HOTLINE_SANDBOX = SANDBOX
    assert outside_route("rdap.db.ripe.net", 443) == ("127.0.0.1", 18443)
    assert outside_route("RDAP.db.ripe.net.", 443) == ("127.0.0.1", 18443)
    assert outside_route("198.51.100.7", 443) == ("127.0.0.1", 18444)
    assert outside_route("2001:db8::1", 80) == ("127.0.0.1", 18445)  # any port
    assert outside_route("127.0.0.1", 2525) == ("127.0.0.1", 2525)


@pytest.mark.parametrize(
    ("host", "port"),
    [
        ("rdap.db.ripe.net", 80),  # mapped for 443 only
        ("rdap.arin.net", 443),  # a real registry, not mapped
        ("198.51.100.7", 80),
        ("203.0.113.9", 443),
        ("93.184.215.14", 443),
        ("10.0.0.1", 443),
    ],
)
def test_everything_else_is_refused_outside_production(settings, host, port):
    settings.HOTLINE_SANDBOX = SANDBOX
    with pytest.raises(PermissionError, match="outside the sandbox"):
        outside_route(host, port)


def test_an_empty_sandbox_still_reaches_only_the_loopback(settings):
    settings.HOTLINE_SANDBOX = ""
    with pytest.raises(PermissionError):
        outside_route("rdap.db.ripe.net", 443)


def test_production_reaches_real_hosts_and_refuses_non_public_addresses(settings):
    settings.HOTLINE_SANDBOX = None
    assert outside_route("rdap.db.ripe.net", 443) == ("rdap.db.ripe.net", 443)
    assert outside_route("93.184.215.14", 443) == ("93.184.215.14", 443)
    for host in ("127.0.0.1", "10.1.2.3", "198.51.100.7", "2001:db8::1", "169.254.169.254"):
        with pytest.raises(PermissionError, match="not contacted"):
            outside_route(host, 443)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rdap.example.net", "expected source=127.0.0.1:port"),
        ("rdap.example.net=127.0.0.1", "needs a port"),
        ("rdap.example.net=10.0.0.1:443", "the target must be 127.0.0.1"),
        ("8.8.8.0/24=127.0.0.1:53", "only documentation ranges"),
        ("rdap.example.net=127.0.0.1:99999", "is not a port"),
    ],
)
def test_a_bad_sandbox_entry_says_what_is_wrong(text, problem):
    with pytest.raises(SandboxInvalid, match=problem):
        sandbox_parse(text)


def _start(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {
    "HOTLINE_ENV": "production",
    "SECRET_KEY": "x" * 60,
    "ALLOWED_HOSTS": "hotline.example.org",
    "DATABASE_URL": "postgres://h@127.0.0.1/h",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "HOTLINE_AUDIT_SIGNING_KEY": "unused-here",
    "HOTLINE_SECRETS_KEY": "unused-here",
}


def test_production_refuses_to_start_with_the_sandbox_setting():
    started = _start({**PRODUCTION, "HOTLINE_SANDBOX": "rdap.example.net=127.0.0.1:8443"})
    assert started.returncode != 0
    assert "HOTLINE_SANDBOX is for development and tests" in started.stderr
    assert _start(PRODUCTION).returncode == 0


def test_outside_production_mail_goes_only_to_the_loopback():
    started = _start({"EMAIL_URL": "smtp://mail.example.org:25"})
    assert started.returncode != 0
    assert "outside production, mail goes only to a server on 127.0.0.1" in started.stderr
    assert _start({"EMAIL_URL": "smtp://127.0.0.1:1025"}).returncode == 0
