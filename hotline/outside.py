"""Where the clients of outside systems may connect: the one rule for DNS, RDAP, probes, SMTP,
webhooks and partners.

Outside production everything outside reaches only the loopback: ``HOTLINE_SANDBOX`` maps the
names and documentation ranges the demo and the tests use to ports on 127.0.0.1, and any other
target is refused, so no default of the service ever reaches a real resolver, registry or host.
Production refuses to start with ``HOTLINE_SANDBOX`` set, and refuses loopback, private and
documentation targets (the non-public-address rule).
"""

import ipaddress
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from hotline.addresses import non_public_reason

# Documentation blocks (RFC 5737, RFC 3849): demo and test hosts; no registry holds them, so in
# the sandbox this RDAP server answers for them (HOTLINE_SANDBOX routes it to the loopback).
DOCUMENTATION_RANGES = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
SANDBOX_RDAP_BASE = "https://rdap.example.net/"


class SandboxInvalid(ValueError):
    pass


@dataclass(frozen=True)
class _Entry:
    name: str | None  # a host name, or
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None  # a documentation range
    port: int | None  # None: any port
    target: tuple[str, int]


def sandboxed() -> bool:
    return settings.HOTLINE_SANDBOX is not None


def documentation_admitted() -> bool:
    """Demo and test hosts live in the documentation ranges: public enough, in the sandbox."""
    return sandboxed()


def outside_ca_file() -> str | None:
    return settings.HOTLINE_OUTSIDE_CA_FILE or None


def outside_route(host: str, port: int) -> tuple[str, int]:
    """The address to connect to for ``host:port``; ``PermissionError`` if it may not be reached.

    The caller keeps ``host`` for TLS (SNI, certificate) and the Host header.
    """
    host = host.strip("[]").lower().rstrip(".")
    address = _address(host)
    if not sandboxed():
        reason = non_public_reason(address) if address is not None else None
        if reason is not None:
            raise PermissionError(f"{host} is {reason}: not contacted.")
        return host, port
    for entry in _entries(settings.HOTLINE_SANDBOX):
        if entry.port not in (None, port):
            continue
        if entry.name == host or (
            address is not None and entry.network and address in entry.network
        ):
            return entry.target
    if address is not None and address.is_loopback:
        return host, port
    raise PermissionError(
        f"{host}:{port} is outside the sandbox: outside production, outside systems are reached "
        "only on 127.0.0.1 (HOTLINE_SANDBOX maps names and documentation ranges to it)."
    )


def _address(host: str):
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


@cache
def _entries(text: str) -> tuple[_Entry, ...]:
    return tuple(sandbox_parse(text))


def sandbox_parse(text: str) -> list[_Entry]:
    """``name[:port]=127.0.0.1:port`` or ``cidr[:port]=127.0.0.1:port`` entries, comma-separated
    (an IPv6 range in brackets: ``[2001:db8::/32]:443=127.0.0.1:18443``)."""
    entries = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        source, sep, target = item.partition("=")
        if not sep:
            raise SandboxInvalid(f"HOTLINE_SANDBOX entry {item!r}: expected source=127.0.0.1:port")
        target_host, target_port = _host_port(target.strip(), item, port_required=True)
        if target_host not in ("127.0.0.1", "::1"):
            raise SandboxInvalid(f"HOTLINE_SANDBOX entry {item!r}: the target must be 127.0.0.1")
        name, port = _host_port(source.strip(), item, port_required=False)
        network = None
        if "/" in name:
            try:
                network = ipaddress.ip_network(name, strict=False)
            except ValueError:
                raise SandboxInvalid(
                    f"HOTLINE_SANDBOX entry {item!r}: {name} is no range"
                ) from None
            if not any(
                network.subnet_of(ipaddress.ip_network(d))
                for d in DOCUMENTATION_RANGES
                if ipaddress.ip_network(d).version == network.version
            ):
                raise SandboxInvalid(
                    f"HOTLINE_SANDBOX entry {item!r}: only documentation ranges "
                    f"({', '.join(DOCUMENTATION_RANGES)}) may be mapped"
                )
            name = None
        entries.append(
            _Entry(name=name, network=network, port=port, target=(target_host, target_port))
        )
    return entries


def _host_port(text: str, item: str, *, port_required: bool) -> tuple[str, int | None]:
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    if not port_text:
        if port_required:
            raise SandboxInvalid(f"HOTLINE_SANDBOX entry {item!r}: {text} needs a port")
        return host.lower(), None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SandboxInvalid(f"HOTLINE_SANDBOX entry {item!r}: {port_text!r} is not a port")
    return host.lower(), int(port_text)
