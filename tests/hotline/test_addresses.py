"""The non-public-address rule: IANA's special-purpose registries, and IPv4 inside IPv6."""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.url import URLRefused, canonicalize

# IANA's IPv4 and IPv6 Special-Purpose Address Registries, every entry, as published.
IPV4_REGISTRY = [
    "0.0.0.0/8",
    "0.0.0.0/32",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.0.0/29",
    "192.0.0.8/32",
    "192.0.0.9/32",
    "192.0.0.10/32",
    "192.0.0.170/32",
    "192.0.0.171/32",
    "192.0.2.0/24",
    "192.31.196.0/24",
    "192.52.193.0/24",
    "192.88.99.0/24",
    "192.88.99.2/32",
    "192.168.0.0/16",
    "192.175.48.0/24",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "240.0.0.0/4",
    "255.255.255.255/32",
]
# The forms that embed an IPv4 address (judged by it) are tested below, not here.
IPV6_REGISTRY = [
    "::1/128",
    "::/128",
    "64:ff9b:1::/48",
    "100::/64",
    "100:0:0:1::/64",
    "2001:1::1/128",
    "2001:1::2/128",
    "2001:1::3/128",
    "2001:2::/48",
    "2001:3::/32",
    "2001:4:112::/48",
    "2001:10::/28",
    "2001:20::/28",
    "2001:30::/28",
    "2001:db8::/32",
    "2620:4f:8000::/48",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
]
BLOCKS = [ipaddress.ip_network(block) for block in IPV4_REGISTRY + IPV6_REGISTRY]

PUBLIC_IPV4 = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "192.0.1.1", "192.0.3.1", "198.20.0.1"]


def url_of(address) -> str:
    address = ipaddress.ip_address(address)
    return f"http://[{address}]/" if address.version == 6 else f"http://{address}/"


def refused(address) -> bool:
    try:
        canonicalize(url_of(address))
    except URLRefused:
        return True
    return False


def six_to_four(ipv4) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address((0x2002 << 112) | (int(ipaddress.IPv4Address(ipv4)) << 80) | 1)


def nat64(ipv4) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address(
        int(ipaddress.IPv6Address("64:ff9b::")) | int(ipaddress.IPv4Address(ipv4))
    )


def teredo(client, server="8.8.4.4") -> ipaddress.IPv6Address:
    server_bits = int(ipaddress.IPv4Address(server)) << 64
    client_bits = ~int(ipaddress.IPv4Address(client)) & 0xFFFF_FFFF
    return ipaddress.IPv6Address((0x2001_0000 << 96) | server_bits | client_bits)


def mapped(ipv4) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address(f"::ffff:{ipv4}")


def compatible(ipv4) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address(int(ipaddress.IPv4Address(ipv4)))


EMBEDDINGS = [mapped, compatible, nat64, six_to_four, teredo]


def test_the_embeddings_are_the_ones_python_recognises():
    assert six_to_four("10.0.0.1").sixtofour == ipaddress.IPv4Address("10.0.0.1")
    assert teredo("10.0.0.1").teredo == tuple(map(ipaddress.IPv4Address, ["8.8.4.4", "10.0.0.1"]))
    assert mapped("10.0.0.1").ipv4_mapped == ipaddress.IPv4Address("10.0.0.1")


@pytest.mark.parametrize("block", BLOCKS, ids=str)
def test_every_special_purpose_block_is_refused_from_first_to_last(block):
    assert refused(block[0]) and refused(block[-1])


@given(st.sampled_from(BLOCKS), st.integers(min_value=0))
def test_any_address_in_a_special_purpose_block_is_refused(block, offset):
    assert refused(block[offset % block.num_addresses])


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("192.0.0.8", '"IPv4 dummy address", 192.0.0.8/32'),
        ("192.0.0.9", "Port Control Protocol Anycast"),
        ("192.31.196.1", "AS112-v4"),
        ("192.88.99.2", "6a44"),
        ("100.64.0.1", "Shared Address Space"),
        ("255.255.255.255", "Limited Broadcast"),
        ("3fff::1", '"Documentation", 3fff::/20'),
        ("64:ff9b:1::808:808", "local use"),
        ("2002:a00:1::1", "the 6to4 form of 10.0.0.1, a private address"),
        ("2002:c0a8:101::1", "the 6to4 form of 192.168.1.1, a private address"),
        ("2002:7f00:1::1", "the 6to4 form of 127.0.0.1, a loopback address"),
        ("2002:c000:8::1", "the 6to4 form of 192.0.0.8"),
        ("64:ff9b::a00:1", "the NAT64 form of 10.0.0.1"),
        ("::ffff:127.0.0.1", "the IPv4-mapped form of 127.0.0.1, a loopback address"),
        ("::a9fe:a9fe", "the IPv4-compatible form of 169.254.169.254, a link-local address"),
        (str(teredo("192.168.0.5")), "the Teredo form of 192.168.0.5, a private address"),
        (str(teredo("8.8.8.8", server="10.0.0.1")), "the Teredo form of 10.0.0.1"),
    ],
)
def test_the_refusal_names_the_address_it_reaches_and_why(address, words):
    with pytest.raises(URLRefused) as refusal:
        canonicalize(url_of(address))

    assert refusal.value.code == "host"
    assert words in refusal.value.messages[0]


@pytest.mark.parametrize("ipv4", PUBLIC_IPV4)
@pytest.mark.parametrize("embed", [str, *EMBEDDINGS], ids=lambda f: f.__name__)
def test_a_public_ipv4_address_is_accepted_in_every_form(ipv4, embed):
    assert not refused(embed(ipv4))


@given(st.integers(min_value=0, max_value=2**32 - 1), st.sampled_from(EMBEDDINGS))
def test_an_embedding_is_judged_by_the_ipv4_address_inside(number, embed):
    ipv4 = ipaddress.IPv4Address(number)
    assert refused(embed(ipv4)) == refused(ipv4)


EMBEDDING_PREFIXES = [
    ipaddress.ip_network(block) for block in ["::/96", "::ffff:0:0/96", "64:ff9b::/96", "2002::/16"]
] + [ipaddress.ip_network("2001::/32")]


@given(st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)))
def test_nothing_python_calls_non_global_gets_through(address):
    embeds = address.version == 6 and any(address in prefix for prefix in EMBEDDING_PREFIXES)
    if not address.is_global and not embeds:
        assert refused(address)


def test_ordinary_public_ipv6_addresses_are_accepted():
    for address in ["2606:4700:4700::1111", "2a00:1450:4001:82b::200e", "2001:4860::8888"]:
        assert not refused(address)
