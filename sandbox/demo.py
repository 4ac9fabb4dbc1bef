"""The demo's outside world: DNS answers and registry records for the demo hosts, all in the
documentation ranges (`make run` serves them with ``python -m sandbox serve``).

- images.example.com, files.example.org: in Example Images BV's network (a directory match);
- forum.example.net, example.net: in a network the directory does not know, under Example Forum
  Hosting's domain (a domain-suffix match);
- share.example.com (IPv6): Share Example GmbH's platform in Germany, which a partner covers;
- media.cdn-fronted.example: a CNAME to a CDN (AS64510, Example CDN) in front of the origin;
- files.voorbeeld-hosting.example: Voorbeeld Hosting BV's (a domain match), which takes its
  notices by signed webhook as well as by e-mail;
- photos.unlisted.example: a host nobody knows: RDAP names its network's holder and abuse
  address, which becomes a candidate for a supervisor to approve.
- img.by-address.example (``ADDRESS_DEMO_HOST``): no domain, rule or platform names it; its
  address is in Example Images BV's network, so the suggestion comes by address alone (a URL
  naming the address itself is refused at intake: documentation ranges are not public).

``python -m sandbox move photos.unlisted.example 198.51.100.77`` moves a host (here into Example
Images BV's network), as a host moving between providers does.

The demo hosts' web server (``web_pages()``, sandbox/web_host.py) answers the URLs of the demo
reports (reports/management/commands/demo_data.py) with an image until told otherwise:
``python -m sandbox page https://images.example.com/gallery/9000 404`` is a removal for the
removal check to find. Every other path answers 404.
"""

import ipaddress
from urllib.parse import urlsplit

from sandbox import rdap_fixtures

# Which AS originates each demo range (Team Cymru's answer), and its registry record.
RANGES = {
    "198.51.100.0/24": (64500, "NL", "ripencc"),
    "203.0.113.0/24": (64501, "GB", "ripencc"),
    "192.0.2.0/24": (64510, "US", "arin"),
    "2001:db8:500::/48": (64502, "DE", "ripencc"),
}
HOSTS = {
    "images.example.com": {"A": ["198.51.100.10"]},
    "files.example.org": {"A": ["198.51.100.30"]},
    "forum.example.net": {"A": ["203.0.113.50"]},
    "example.net": {"A": ["203.0.113.51"]},
    "share.example.com": {"AAAA": ["2001:db8:500::1"]},
    "media.cdn-fronted.example": {"CNAME": "edge.cdn.example.net"},
    "edge.cdn.example.net": {"A": ["192.0.2.80"]},
    "photos.unlisted.example": {"A": ["203.0.113.25"]},
    "files.voorbeeld-hosting.example": {"A": ["203.0.113.90"]},
    "img.by-address.example": {"A": ["198.51.100.40"]},
}
ADDRESS_DEMO_HOST = "img.by-address.example"
# Where the demo's webhook provider receives notices (https://198.51.100.200/): HOTLINE_SANDBOX
# routes its ports 80 and 443 to the sandbox's webhook receiver, not to the web host.
WEBHOOK_ADDRESS = "198.51.100.200"
# Only for the removal check's demo: online until `python -m sandbox page URL 404`.
PROBE_DEMO_URL = "https://images.example.com/gallery/9000"
# The URLs the demo reports point at, and the size of the image each serves. The web host keys
# its pages by path whatever the Host, so no two of them share a path.
ONLINE_URLS = {
    "https://images.example.com/gallery/4411": 48_213,
    "http://forum.example.net/t/8820?page=2": 91_877,
    "https://files.example.org/d/Qm9f1": 1_204_532,
    "https://photos.unlisted.example/p/9001": 233_410,
    "https://media.cdn-fronted.example/v/77": 3_502_118,
    "https://share.example.com/a/771": 64_090,
    "https://share.example.com/a/772": 71_315,
    PROBE_DEMO_URL: 52_744,
    # The bulk demo's 20 reports (reports/demo.py's BULK_URLS): online until their notices work.
    **{f"https://images.example.com/album/7/{n}": 40_000 + n for n in range(1, 21)},
}


def rdap_networks() -> dict:
    return {
        "198.51.100.0/24": {
            "rdap": rdap_fixtures.ripe_network(
                "198.51.100.0/24",
                "EXAMPLE-IMAGES-NET",
                "NL",
                "abuse@images.example.com",
                holder="Example Images BV",
            )
        },
        "203.0.113.0/24": {
            "rdap": rdap_fixtures.ripe_network(
                "203.0.113.0/24",
                "UNLISTED-HOSTING",
                "GB",
                "abuse@unlisted-hosting.example",
                holder="Unlisted Hosting Ltd",
            )
        },
        "192.0.2.0/24": {
            "rdap": rdap_fixtures.arin_network(
                "192.0.2.0/24", "EXAMPLE-CDN", "US", "abuse@cdn.example.net", holder="Example CDN"
            )
        },
        "2001:db8:500::/48": {
            "rdap": rdap_fixtures.ipv6_network(
                "2001:db8:500::/48", "SHARE-EXAMPLE-V6", "DE", "abuse@share.example.com"
            )
        },
    }


def origin_name(address: str) -> str:
    """Team Cymru's DNS name for an address's origin AS."""
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return ".".join(reversed(str(ip).split("."))) + ".origin.asn.cymru.com"
    return ".".join(reversed(ip.exploded.replace(":", ""))) + ".origin6.asn.cymru.com"


def origin_record(address: str) -> dict | None:
    ip = ipaddress.ip_address(address)
    for cidr, (asn, country, registry) in RANGES.items():
        if ip in ipaddress.ip_network(cidr):
            return {"TXT": [f"{asn} | {cidr} | {country} | {registry} | 2020-01-01"]}
    return None


def zone() -> dict[str, dict]:
    records = dict(HOSTS)
    for record in HOSTS.values():
        for address in record.get("A", []) + record.get("AAAA", []):
            origin = origin_record(address)
            if origin:
                records[origin_name(address)] = origin
    return records


def web_pages() -> dict[str, dict]:
    """The web host's pages (sandbox/web_host.py's data file format): path -> page."""
    return {
        urlsplit(url).path: {
            "status": 200,
            "headers": {"Content-Type": "image/jpeg"},
            "body_bytes": size,
        }
        for url, size in ONLINE_URLS.items()
    }
