"""Read queries on the directory: which provider or host rule matches a host, address or AS.

Only active providers match. A domain matches by whole labels, down to the host's registrable
domain (hotline/domains.py); a range by the most specific (longest) prefix that holds the address.
"""

from collections.abc import Iterable, Sequence

from hotline.domains import host_suffixes
from hotline.models import (
    HostRule,
    Provider,
    ProviderASN,
    ProviderDomain,
    ProviderNetwork,
    address_key,
)


def network_match(addresses: Sequence[str]) -> dict[str, Provider]:
    """Each address a directory range holds -> the provider of the longest such range; addresses
    no range holds are left out. One query per address."""
    networks = ProviderNetwork.objects.filter(provider__active=True).select_related("provider")
    matches = {}
    for address in addresses:
        key = address_key(address)
        network = (
            networks.filter(first_address__lte=key, last_address__gte=key)
            .order_by("-prefix_length")
            .first()
        )
        if network is not None:
            matches[address] = network.provider
    return matches


def asn_match(asns: Iterable[int]) -> dict[int, Provider]:
    """Each AS an active provider operates -> that provider."""
    rows = ProviderASN.objects.filter(asn__in=list(asns), provider__active=True)
    return {row.asn: row.provider for row in rows.select_related("provider")}


def domain_match(host: str) -> ProviderDomain | None:
    """The active provider's domain that is the longest suffix of the host."""
    rows = ProviderDomain.objects.filter(suffix__in=host_suffixes(host), provider__active=True)
    return max(rows.select_related("provider"), key=lambda row: len(row.suffix), default=None)


def host_rule_for_host(host: str) -> HostRule | None:
    """The platform or host rule whose domain is the longest suffix of the host."""
    rules = HostRule.objects.filter(
        kind__in=[HostRule.Kind.PLATFORM, HostRule.Kind.HOST],
        domain__in=host_suffixes(host),
        provider__active=True,
    )
    return max(rules.select_related("provider"), key=lambda rule: len(rule.domain), default=None)


def host_rules_for_host(host: str) -> list[HostRule]:
    """Every rule by domain that applies to the host (its own and its parents'), with their
    providers: what the report page lists for a supervisor to edit."""
    rules = HostRule.objects.filter(domain__in=host_suffixes(host)).select_related("provider")
    return list(rules.order_by("-domain", "kind"))


def cdn_rule_for(address: str, asn: int | None) -> HostRule | None:
    """The CDN rule for an address: the most specific range that holds it, else the rule for the
    AS that originates it."""
    rules = HostRule.objects.filter(kind=HostRule.Kind.CDN, provider__active=True).select_related(
        "provider"
    )
    key = address_key(address)
    # Ranges that hold one address are nested: the innermost starts last.
    by_range = (
        rules.exclude(cidr="")
        .filter(first_address__lte=key, last_address__gte=key)
        .order_by("-first_address", "last_address")
        .first()
    )
    if by_range is not None or asn is None:
        return by_range
    return rules.filter(asn=asn).first()
