"""The Public Suffix List refreshed by command, from a real HTTPS server on 127.0.0.1 standing in
for publicsuffix.org."""

import io
from pathlib import Path

import publicsuffixlist
import pytest
from django.core.management import CommandError, call_command

from hotline import domains
from sandbox.rdap_server import DEFAULT_NAMES, RDAPServer

PINNED = Path(publicsuffixlist.PSLFILE).read_bytes()
PATH = "/list/public_suffix_list.dat"


def serving(content: bytes) -> RDAPServer:
    return RDAPServer(names=[*DEFAULT_NAMES, "publicsuffix.org"], files={PATH: content})


@pytest.fixture
def installed(tmp_path, settings):
    settings.HOTLINE_PUBLIC_SUFFIX_FILE = str(tmp_path / "public_suffix_list.dat")
    return Path(settings.HOTLINE_PUBLIC_SUFFIX_FILE)


def refresh(server, settings) -> str:
    settings.HOTLINE_SANDBOX = f"publicsuffix.org:443=127.0.0.1:{server.address[1]}"
    settings.HOTLINE_OUTSIDE_CA_FILE = server.ca_file
    out = io.StringIO()
    call_command("public_suffix_list_refresh", stdout=out)
    return out.getvalue()


def test_the_list_is_downloaded_checked_and_used(installed, settings):
    newer = PINNED.replace(
        b"===END ICANN DOMAINS===", b"example-new-suffix\n// ===END ICANN DOMAINS==="
    )
    with serving(newer) as server:
        assert "Updated" in refresh(server, settings)
        assert installed.read_bytes() == newer
        assert "Already up to date" in refresh(server, settings)
    domains._suffix_list.cache_clear()  # the processes read it again when they restart
    assert domains.is_public_suffix("example-new-suffix")
    assert domains.registrable_domain("a.b.example.co.uk") == "example.co.uk"


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"<html>not found</html>", "no ICANN section"),
        (b"// ===BEGIN ICANN DOMAINS===\nnet\n// ===END ICANN DOMAINS===\n", "does not list co.uk"),
    ],
)
def test_a_file_that_is_not_the_list_is_refused_and_nothing_is_written(
    installed, settings, content, why
):
    with serving(content) as server, pytest.raises(CommandError, match=why):
        refresh(server, settings)
    assert not installed.exists()


def test_outside_the_sandbox_the_real_site_is_never_asked(installed, settings):
    settings.HOTLINE_SANDBOX = ""
    with pytest.raises(CommandError, match="not refreshed"):
        call_command("public_suffix_list_refresh", stdout=io.StringIO())
    assert not installed.exists()
