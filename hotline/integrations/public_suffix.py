"""The Public Suffix List (publicsuffix.org), refreshed by command: downloaded over HTTPS with
the RDAP client's guarantees, checked to be the published list (its ICANN section, parsable,
naming the suffixes every copy has), and written only if it changed."""

from pathlib import Path

from publicsuffixlist import PublicSuffixList

from hotline.integrations.rdap import Route, file_replace, https_get

LIST_URL = "https://publicsuffix.org/list/public_suffix_list.dat"
MAX_BYTES = 2_000_000
ICANN_BEGIN = b"===BEGIN ICANN DOMAINS==="
ICANN_END = b"===END ICANN DOMAINS==="


class ListInvalid(ValueError):
    pass


def list_check(content: bytes) -> None:
    """Raises ListInvalid unless ``content`` is a usable Public Suffix List."""
    if ICANN_BEGIN not in content or ICANN_END not in content:
        raise ListInvalid("it has no ICANN section: not the Public Suffix List")
    suffixes = PublicSuffixList(
        content.decode("utf-8", errors="strict").splitlines(), only_icann=True
    )
    # Suffixes only an explicit entry makes public (an unknown top-level label counts as one).
    for suffix in ("co.uk", "com.au"):
        if not suffixes.is_public(suffix):
            raise ListInvalid(f"it does not list {suffix}: not the Public Suffix List")


def list_refresh(path: Path, *, route: Route, ca_file: str | None, url: str = LIST_URL) -> bool:
    """Download, check and install the list at ``path``; True if it changed. Raises
    rdap.RDAPError for a failed download, ListInvalid for a file that is not the list (then
    nothing is written)."""
    content = https_get(url, route=route, ca_file=ca_file, max_bytes=MAX_BYTES, accept="text/plain")
    try:
        list_check(content)
    except UnicodeDecodeError:
        raise ListInvalid("it is not UTF-8 text") from None
    return file_replace(path, content)
