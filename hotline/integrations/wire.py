"""HTTP/1.1 on a connection the client opened itself, to an address it checked: the parts the
status-only probe (probe.py) and the webhook client (webhooks.py) share.

Both connect by hand rather than through an HTTP library, so that the address connected to is
the one checked (no second resolution), and so that no more than the status line and headers of
an answer is ever read.
"""

import contextlib
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

__all__ = ["DEFAULT_PORTS", "STATUS_LINE", "Target", "close", "head_end", "ip_literal", "target"]

DEFAULT_PORTS = {"http": 80, "https": 443}
STATUS_LINE = re.compile(r"HTTP/1\.[0-9] ([0-9]{3})(?: .*)?")
# Everything printable in ASCII but the space passes into a request line as it is.
_REQUEST_TARGET_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # lower-case, IDNA (punycode), IPv6 without brackets
    port: int
    request_target: str  # path and query, as sent
    host_header: str


def target(url: str) -> Target:
    """The parts of an http(s) URL a request needs; ValueError if it has none."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(f"{url!r}: only http and https URLs are reached")
    host = parts.hostname or ""
    if not host:
        raise ValueError(f"{url!r}: no host")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except (UnicodeError, ValueError) as exc:
        raise ValueError(f"{url!r}: {exc}") from None
    name = f"[{host}]" if ":" in host else host
    path = parts.path or "/"
    request_target = quote(path + (f"?{parts.query}" if parts.query else ""), _REQUEST_TARGET_SAFE)
    return Target(
        url=url,
        scheme=parts.scheme,
        host=host,
        port=port,
        request_target=request_target,
        host_header=name if port == DEFAULT_PORTS[parts.scheme] else f"{name}:{port}",
    )


def ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def close(connection: socket.socket) -> None:
    """Close at once: no TLS close_notify exchange, nothing more read."""
    with contextlib.suppress(OSError):  # the peer may be gone already
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()


def head_end(buffer: bytes) -> int | None:
    """Where the header block in ``buffer`` ends (after its blank line), None if not yet."""
    ends = [
        index + len(blank)
        for blank in (b"\r\n\r\n", b"\n\n")
        if (index := buffer.find(blank)) != -1
    ]
    return min(ends) if ends else None
