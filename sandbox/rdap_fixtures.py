"""RDAP ip network objects laid out as each regional registry lays them out, for the sandbox.

Use documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) and
names under example.net / example.org. What each builder reproduces of its registry:

- RIPE: the range as the handle, ``country``, the organisation and the maintainer both as
  registrants, the abuse role entity at the top level with an e-mail typed "abuse", and, when
  the abuse-mailbox failed RIPE's validation, a remark on the network that says so.
- ARIN: a NET- handle, no country on the network (it is in the organisation's address), and the
  abuse POC nested inside the organisation's entity, with an "Unvalidated POC" remark when ARIN
  got no answer from it.
- APNIC: an IRT entity with the abuse role, whose remark tells when its mailbox was validated.
"""

import ipaddress

__all__ = [
    "apnic_network",
    "arin_network",
    "ipv6_network",
    "redacted_network",
    "ripe_network",
    "unvalidated_network",
]

_EVENTS = [
    {"eventAction": "registration", "eventDate": "2019-03-14T09:21:07Z"},
    {"eventAction": "last changed", "eventDate": "2026-05-02T11:48:28Z"},
]


def _vcard(name: str, kind: str, *properties: list) -> list:
    return ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", name],
                      ["kind", {}, "text", kind], *properties]]  # fmt: skip


def _address_label(*lines: str) -> list:
    return ["adr", {"label": "\n".join(lines)}, "text", ["", "", "", "", "", "", ""]]


def _range(cidr: str) -> dict:
    network = ipaddress.ip_network(cidr)
    prefix = "v4prefix" if network.version == 4 else "v6prefix"
    return {
        "startAddress": str(network[0]),
        "endAddress": str(network[-1]),
        "ipVersion": f"v{network.version}",
        "cidr0_cidrs": [{prefix: str(network.network_address), "length": network.prefixlen}],
    }


def _handle_part(name: str) -> str:
    return "".join(character for character in name.upper() if character.isalnum())[:8] or "X"


def ripe_network(
    cidr: str,
    name: str,
    country: str,
    abuse_email: str,
    *,
    holder: str = "Example Hosting B.V.",
    abuse_validated: bool = True,
) -> dict:
    network = ipaddress.ip_network(cidr)
    handle = f"{network[0]} - {network[-1]}"
    parent = network.supernet(new_prefix=max(network.prefixlen - 8, 0))
    org = f"ORG-{_handle_part(holder)}1-RIPE"
    remarks = [{"description": [f"{holder} customer network"]}]
    if not abuse_validated:
        remarks.insert(
            0,
            {
                "description": [
                    f"Abuse contact for '{handle}' is '{abuse_email}'\n"
                    f"Abuse-mailbox validation failed. Please refer to {org} for further "
                    "information.\n"
                ]
            },
        )
    return {
        "objectClassName": "ip network",
        "handle": handle,
        **_range(cidr),
        "name": name,
        "type": "ASSIGNED PA",
        "country": country,
        "parentHandle": f"{parent[0]} - {parent[-1]}",
        "status": ["active"],
        "remarks": remarks,
        "entities": [
            {
                "objectClassName": "entity",
                "handle": org,
                "roles": ["registrant"],
                "vcardArray": _vcard(
                    holder, "org", _address_label("Keizersgracht 1", "Amsterdam", "NETHERLANDS")
                ),
                "links": [
                    {
                        "value": f"https://rdap.db.ripe.net/ip/{network[0]}",
                        "rel": "self",
                        "href": f"https://rdap.db.ripe.net/entity/{org}",
                    }
                ],
            },
            {
                "objectClassName": "entity",
                "handle": "EXAMPLE-MNT",
                "roles": ["registrant"],
                "vcardArray": _vcard("EXAMPLE-MNT", "individual"),
            },
            {
                "objectClassName": "entity",
                "handle": "EXNOC1-RIPE",
                "roles": ["administrative", "technical"],
                "vcardArray": _vcard(
                    "Example NOC", "group", ["email", {}, "text", "noc@example.net"]
                ),
            },
            {
                "objectClassName": "entity",
                "handle": "EXAB1-RIPE",
                "roles": ["abuse"],
                "vcardArray": _vcard(
                    "Abuse contact",
                    "group",
                    ["tel", {"type": "voice"}, "text", "+31 20 000 0000"],
                    ["email", {"type": "abuse"}, "text", abuse_email],
                ),
            },
        ],
        "links": [
            {
                "value": f"https://rdap.db.ripe.net/ip/{network[0]}",
                "rel": "self",
                "href": f"https://rdap.db.ripe.net/ip/{cidr}",
            }
        ],
        "events": _EVENTS,
        "rdapConformance": ["cidr0", "rdap_level_0", "nro_rdap_profile_0", "redacted"],
        "notices": [
            {"title": "Filtered", "description": ["This output has been filtered."]},
            {"title": "Source", "description": ["Objects returned came from source", "RIPE"]},
        ],
        "port43": "whois.ripe.net",
    }


def arin_network(
    cidr: str,
    name: str,
    country: str,
    abuse_email: str,
    *,
    holder: str = "Example Hosting, LLC",
    abuse_validated: bool = True,
) -> dict:
    network = ipaddress.ip_network(cidr)
    dashed = str(network[0]).replace(".", "-").replace(":", "-")
    org = _handle_part(holder)
    abuse_remarks = [
        {"title": "Registration Comments", "description": ["Abuse reports by e-mail only."]}
    ]
    if not abuse_validated:
        abuse_remarks.append(
            {
                "title": "Unvalidated POC",
                "description": [
                    "ARIN has attempted to validate the data for this POC, but has received no "
                    "response from the POC since 2025-10-24"
                ],
            }
        )
    street = _address_label("100 Example Street", "Reston", "VA", "20190", country)
    return {
        "rdapConformance": ["nro_rdap_profile_0", "rdap_level_0", "cidr0", "arin_originas0"],
        "notices": [
            {
                "title": "Terms of Service",
                "description": ["By using the ARIN RDAP/Whois service, you are agreeing to ..."],
            }
        ],
        "handle": f"NET-{dashed}-1",
        **_range(cidr),
        "name": name,
        "type": "DIRECT ALLOCATION",
        "parentHandle": "NET-198-0-0-0-0",
        "events": _EVENTS,
        "entities": [
            {
                "handle": org,
                "vcardArray": _vcard(holder, "org", street),
                "roles": ["registrant"],
                "entities": [
                    {
                        "handle": f"ABUSE-{org}-ARIN",
                        "vcardArray": _vcard(
                            "Abuse",
                            "group",
                            street,
                            ["org", {}, "text", "Abuse"],
                            ["email", {}, "text", abuse_email],
                            ["tel", {"type": ["work", "voice"]}, "uri", "tel:+1-703-000-0000"],
                        ),
                        "roles": ["abuse"],
                        "remarks": abuse_remarks,
                        "port43": "whois.arin.net",
                        "objectClassName": "entity",
                    },
                    {
                        "handle": f"NOC-{org}-ARIN",
                        "vcardArray": _vcard(
                            "Network Operations", "group", ["email", {}, "text", "noc@example.net"]
                        ),
                        "roles": ["technical", "administrative"],
                        "objectClassName": "entity",
                    },
                ],
                "port43": "whois.arin.net",
                "objectClassName": "entity",
            }
        ],
        "port43": "whois.arin.net",
        "status": ["active"],
        "objectClassName": "ip network",
        "arin_originas0_originautnums": [],
    }


def apnic_network(
    cidr: str,
    name: str,
    country: str,
    abuse_email: str,
    *,
    holder: str = "Example Hosting Pty Ltd",
) -> dict:
    network = ipaddress.ip_network(cidr)
    irt = f"IRT-{_handle_part(holder)}-{country}"
    return {
        "handle": f"{network[0]} - {network[-1]}",
        **_range(cidr),
        "name": name,
        "type": "ASSIGNED PORTABLE",
        "country": country,
        "parentHandle": "203.0.0.0 - 203.0.255.255",
        "status": ["active"],
        "remarks": [{"title": "description", "description": [f"{holder} data centre"]}],
        "entities": [
            {
                "handle": irt,
                "vcardArray": _vcard(
                    irt,
                    "group",
                    _address_label("1 Example Road", "Brisbane"),
                    ["email", {}, "text", abuse_email],
                    ["email", {"pref": "1"}, "text", abuse_email],
                ),
                "roles": ["abuse"],
                "remarks": [
                    {
                        "title": "remarks",
                        "description": [f"{abuse_email} was validated on 2026-05-01"],
                    }
                ],
                "objectClassName": "entity",
            },
            {
                "handle": f"ORG-{_handle_part(holder)}1-AP",
                "vcardArray": _vcard(holder, "org", _address_label("1 Example Road", "Brisbane")),
                "roles": ["registrant"],
                "objectClassName": "entity",
            },
            {
                "handle": "EN1-AP",
                "vcardArray": _vcard(
                    "Example NOC", "individual", ["email", {}, "text", "noc@example.net"]
                ),
                "roles": ["administrative", "technical"],
                "objectClassName": "entity",
            },
        ],
        "events": _EVENTS,
        "objectClassName": "ip network",
        "rdapConformance": ["history_version_0", "nro_rdap_profile_0", "cidr0", "rdap_level_0"],
        "notices": [
            {"title": "Source", "description": ["Objects returned came from source", "APNIC"]}
        ],
        "port43": "whois.apnic.net",
    }


def ipv6_network(
    cidr: str = "2001:db8:1000::/36",
    name: str = "EXAMPLE-V6",
    country: str = "DE",
    abuse_email: str = "abuse@example.net",
    *,
    holder: str = "Example Hosting GmbH",
) -> dict:
    """An inet6num, as RIPE gives one."""
    document = ripe_network(cidr, name, country, abuse_email, holder=holder)
    document["type"] = "ALLOCATED-BY-LIR"
    return document


def redacted_network(
    cidr: str,
    name: str = "EXAMPLE-PRIVATE",
    country: str = "NL",
    abuse_email: str = "REDACTED FOR PRIVACY",
    *,
    holder: str = "Example Private Hosting",
) -> dict:
    """A network whose abuse contact is redacted (RFC 9537's way of saying so included)."""
    document = ripe_network(cidr, name, country, abuse_email, holder=holder)
    document["redacted"] = [
        {
            "name": {"type": "Abuse Email"},
            "prePath": "$.entities[?(@.roles[0]=='abuse')].vcardArray[1][?(@[0]=='email')][3]",
            "method": "replacementValue",
            "reason": {"description": "Server policy"},
        }
    ]
    return document


def unvalidated_network(
    cidr: str,
    name: str = "EXAMPLE-UNVALIDATED",
    country: str = "US",
    abuse_email: str = "abuse@example.org",
    *,
    registry: str = "arin",
    holder: str = "Example Silent Hosting",
) -> dict:
    """A network whose abuse contact failed its registry's check: ARIN's "Unvalidated POC", or
    RIPE's failed abuse-mailbox validation (``registry="ripe"``)."""
    builders = {"arin": arin_network, "ripe": ripe_network}
    return builders[registry](
        cidr, name, country, abuse_email, holder=holder, abuse_validated=False
    )
