"""Read queries on the directory."""

import ipaddress

from hotline.models import Provider, ProviderDomain, ProviderNetwork, address_key


def _host_suffixes(host: str) -> list[str]:
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def provider_suggest(host: str) -> Provider | None:
    """The active provider whose domain suffix (longest) or, for IP literals, range matches."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        matches = ProviderDomain.objects.filter(
            suffix__in=_host_suffixes(host), provider__active=True
        ).select_related("provider")
        best = max(matches, key=lambda domain: len(domain.suffix), default=None)
        return best.provider if best else None
    key = address_key(address)
    best = (
        ProviderNetwork.objects.filter(
            first_address__lte=key, last_address__gte=key, provider__active=True
        )
        .select_related("provider")
        .order_by("-prefix_length")
        .first()
    )
    return best.provider if best else None
