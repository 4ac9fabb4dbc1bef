"""Domain names and the Public Suffix List: where a registrable domain starts.

Only the list's ICANN section counts: a private entry such as ``github.io`` is a domain its
operator runs (and answers for), so ``foo.github.io`` belongs to ``github.io``. The list is the
package's pinned copy, or the file HOTLINE_PUBLIC_SUFFIX_FILE names if it exists (in the
published format, with its ICANN section markers); it is read once and never downloaded.
"""

import ipaddress
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from publicsuffixlist import PublicSuffixList


@cache
def _suffix_list() -> PublicSuffixList:
    path = Path(settings.HOTLINE_PUBLIC_SUFFIX_FILE)
    if path.is_file():
        with path.open("rb") as source:
            return PublicSuffixList(source, only_icann=True)
    return PublicSuffixList(only_icann=True)


@receiver(setting_changed)
def _suffix_list_forget(*, setting, **_signal):
    if setting == "HOTLINE_PUBLIC_SUFFIX_FILE":
        _suffix_list.cache_clear()


def _name(host: str) -> str | None:
    """The host as a domain name (lower case, no root dot), or None for an IP literal."""
    host = host.strip().lower().removesuffix(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host
    return None


def registrable_domain(host: str) -> str | None:
    """The domain a registrant holds: ``a.b.example.co.uk`` -> ``example.co.uk``. None for IP
    literals, public suffixes themselves and single labels."""
    name = _name(host)
    return _suffix_list().privatesuffix(name) if name else None


def host_suffixes(host: str) -> list[str]:
    """The host and its parents down to its registrable domain, longest first
    (``a.b.example.co.uk``, ``b.example.co.uk``, ``example.co.uk``): never a public suffix. A host
    with no registrable domain (an IP literal, a single label, a suffix itself) is ``[host]``."""
    name = _name(host)
    registrable = registrable_domain(host)
    if name is None or registrable is None:
        return [name or host]
    labels = name.split(".")
    keep = len(labels) - registrable.count(".")
    return [".".join(labels[start:]) for start in range(keep)]


def is_public_suffix(name: str) -> bool:
    """Whether names are registered under ``name`` (``com``, ``co.uk``; an unlisted single label
    too, as the list's default rule says) rather than it being one registrant's domain."""
    domain = _name(name)
    return bool(domain) and _suffix_list().is_public(domain)
