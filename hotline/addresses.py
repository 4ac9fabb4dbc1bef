"""Which IP addresses name a server on the public internet: the non-public-address rule.

Every block of IANA's IPv4 and IPv6 Special-Purpose Address Registries is refused, whatever the
registry says about global reachability (an AS112 or AMT relay address is not where material
is hosted, and a test or documentation address never is). The tables below are the registries
as written, not Python's ``is_global``, whose answer changes between Python versions.

An IPv6 address that embeds an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4,
Teredo) reaches that IPv4 address, so it is judged by it: refused if the IPv4 address is
refused, accepted if it is public.
"""

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from django.utils.translation import gettext

__all__ = ["non_public_reason"]

Address = IPv4Address | IPv6Address

# (block, IANA's name for it). A more specific block comes before the one containing it, so
# that a refusal names the most precise entry.
# https://www.iana.org/assignments/iana-ipv4-special-registry/
_IPV4_SPECIAL_PURPOSE: list[tuple[IPv4Network, str]] = [
    (IPv4Network(block), name)
    for block, name in [
        ("0.0.0.0/32", "This host on this network"),
        ("0.0.0.0/8", "This network"),
        ("10.0.0.0/8", "Private-Use"),
        ("100.64.0.0/10", "Shared Address Space"),
        ("127.0.0.0/8", "Loopback"),
        ("169.254.0.0/16", "Link Local"),
        ("172.16.0.0/12", "Private-Use"),
        ("192.0.0.0/29", "IPv4 Service Continuity Prefix"),
        ("192.0.0.8/32", "IPv4 dummy address"),
        ("192.0.0.9/32", "Port Control Protocol Anycast"),
        ("192.0.0.10/32", "Traversal Using Relays around NAT Anycast"),
        ("192.0.0.170/32", "NAT64/DNS64 Discovery"),
        ("192.0.0.171/32", "NAT64/DNS64 Discovery"),
        ("192.0.0.0/24", "IETF Protocol Assignments"),
        ("192.0.2.0/24", "Documentation (TEST-NET-1)"),
        ("192.31.196.0/24", "AS112-v4"),
        ("192.52.193.0/24", "AMT"),
        ("192.88.99.2/32", "6a44-relay anycast address"),
        ("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)"),
        ("192.168.0.0/16", "Private-Use"),
        ("192.175.48.0/24", "Direct Delegation AS112 Service"),
        ("198.18.0.0/15", "Benchmarking"),
        ("198.51.100.0/24", "Documentation (TEST-NET-2)"),
        ("203.0.113.0/24", "Documentation (TEST-NET-3)"),
        ("255.255.255.255/32", "Limited Broadcast"),
        ("240.0.0.0/4", "Reserved"),
    ]
]

# https://www.iana.org/assignments/iana-ipv6-special-registry/
_IPV6_SPECIAL_PURPOSE: list[tuple[IPv6Network, str]] = [
    (IPv6Network(block), name)
    for block, name in [
        ("::1/128", "Loopback Address"),
        ("::/128", "Unspecified Address"),
        ("::ffff:0:0/96", "IPv4-mapped Address"),
        ("64:ff9b::/96", "IPv4-IPv6 Translat."),
        # Local use: where the IPv4 address sits depends on a prefix length chosen locally.
        ("64:ff9b:1::/48", "IPv4-IPv6 Translat. (local use)"),
        ("100::/64", "Discard-Only Address Block"),
        ("100:0:0:1::/64", "Dummy IPv6 Prefix"),
        ("2001::/32", "TEREDO"),
        ("2001:1::1/128", "Port Control Protocol Anycast"),
        ("2001:1::2/128", "Traversal Using Relays around NAT Anycast"),
        ("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast"),
        ("2001:2::/48", "Benchmarking"),
        ("2001:3::/32", "AMT"),
        ("2001:4:112::/48", "AS112-v6"),
        ("2001:10::/28", "Deprecated (previously ORCHID)"),
        ("2001:20::/28", "ORCHIDv2"),
        ("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix"),
        ("2001:db8::/32", "Documentation"),
        ("2001::/23", "IETF Protocol Assignments"),
        ("2002::/16", "6to4"),
        ("2620:4f:8000::/48", "Direct Delegation AS112 Service"),
        ("3fff::/20", "Documentation"),
        ("5f00::/16", "Segment Routing (SRv6) SIDs"),
        ("fc00::/7", "Unique-Local"),
        ("fe80::/10", "Link-Local Unicast"),
    ]
]

_PRIVATE_USE = {"Private-Use", "Unique-Local"}
_IPV4_COMPATIBLE = IPv6Network("::/96")  # deprecated (RFC 4291), but an OS may still route it
_NAT64 = IPv6Network("64:ff9b::/96")


def non_public_reason(address: Address, *, documentation_admitted: bool = False) -> str | None:
    """Why ``address`` is not a public web server's address, as a phrase; None if it is one.

    The phrase completes "The address X is ...". This is the one place that decides: with
    ``documentation_admitted`` (the sandbox outside production, hotline.outside) the
    documentation ranges, where demo and test hosts live, count as public.
    """
    if address.is_unspecified:
        return gettext("the unspecified address, which stands for the computer it is typed on")
    if address.is_loopback:
        return gettext("a loopback address, which names the computer it is typed on")
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            form, inside = embedded
            for ipv4 in inside:
                reason = non_public_reason(ipv4, documentation_admitted=documentation_admitted)
                if reason is not None:
                    return gettext("the %(form)s form of %(address)s, %(reason)s") % {
                        "form": form,
                        "address": ipv4,
                        "reason": reason,
                    }
            return None
    if address.is_link_local:
        return gettext(
            "a link-local address, which only reaches machines on the same local network"
        )
    if address.is_multicast:
        return gettext("a multicast address, which does not name one web server")
    registry = _IPV4_SPECIAL_PURPOSE if address.version == 4 else _IPV6_SPECIAL_PURPOSE
    for network, name in registry:
        if address in network:
            if documentation_admitted and name.startswith("Documentation"):
                return None
            if name in _PRIVATE_USE:
                return gettext(
                    "a private address (%(name)s, %(network)s), which is not on the public internet"
                ) % {"name": name, "network": network}
            return gettext(
                'a special-purpose address ("%(name)s", %(network)s, in IANA\'s special-purpose '
                "registry), which is not on the public internet"
            ) % {"name": name, "network": network}
    # Space IANA has not allocated for unicast (for IPv6, most of what is outside 2000::/3).
    if address.is_reserved or not address.is_global:
        return gettext("a reserved address, which is not on the public internet")
    return None


def _embedded_ipv4(address: IPv6Address) -> tuple[str, list[IPv4Address]] | None:
    """The IPv4 addresses an IPv6 address stands for, with the name of the form; or None."""
    low32 = IPv4Address(int(address) & 0xFFFF_FFFF)
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", [address.ipv4_mapped]
    if address in _IPV4_COMPATIBLE:
        return "IPv4-compatible", [low32]
    if address in _NAT64:
        return "NAT64", [low32]
    if address.sixtofour is not None:
        return "6to4", [address.sixtofour]
    if address.teredo is not None:
        # The client's address is the inverse of the last 32 bits; both it and the Teredo
        # server must be public.
        server, client = address.teredo
        return "Teredo", [client, server]
    return None
