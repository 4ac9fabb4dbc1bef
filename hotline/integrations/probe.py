"""Is a URL still answering? A status-only HTTP(S) check that never fetches the material.

A check reads the status line and headers and nothing else: ``HEAD`` first, ``GET`` only when a
server refuses HEAD (405, 501), and then the socket is closed the moment the headers end. What
came in the same read as the end of the headers is dropped unparsed; no body is ever read, no
cookie kept or sent, nothing stored.

Where it connects is the caller's to decide, and checked on every hop:

- Each host is resolved once by ``resolve`` (an IP literal is its own address); every address is
  put to ``address_check``; only an allowed one is contacted, the first that connects, by the
  address itself through ``route`` (never a second resolution). The name stays in SNI, the
  certificate check and the Host header.
- Redirects (301, 302, 303, 307, 308) are followed by hand, at most ``max_redirects``, each
  target checked the same way. A Location with another scheme ends the chain there.
- A certificate that fails verification is noted (``tls_error``) and the hop is asked once more
  without verification, so that its status can still be read.
- With ``proxy`` ("host:port"), every connection is an HTTP CONNECT tunnel through it, to the
  checked address (where ``route`` sends it), never the name: the proxy resolves nothing.
"""

import re
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from hotline.integrations import tls, wire

__all__ = [
    "KINDS",
    "AddressCheck",
    "Hop",
    "ProbeError",
    "ProbeResult",
    "Resolve",
    "Route",
    "probe",
]

Route = Callable[[str, int], tuple[str, int]]
"""(address, port) -> where to connect; raises PermissionError for a refused target."""
Resolve = Callable[[str], list[str]]
"""host -> its addresses; raises ProbeError("nxdomain" or "dns") itself."""
AddressCheck = Callable[[str], str | None]
"""address -> why it may not be contacted, None if it may."""

KINDS = frozenset(
    {
        "nxdomain",
        "dns",
        "refused",
        "connect",
        "timeout",
        "tls",
        "too_many_redirects",
        "header_too_large",
        "bad_response",
        "proxy",
    }
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Answers that say "not HEAD": the same URL is asked again with GET.
HEAD_REFUSED = frozenset({405, 501})
KEPT_HEADERS = ("content-type", "content-length", "etag", "last-modified", "location")
_READ_SIZE = 4096
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class ProbeError(Exception):
    """A check that got no final answer; ``kind`` is one of KINDS, ``hops`` the requests that
    were answered before it failed."""

    def __init__(self, kind: str, message: str, hops: tuple = ()):
        if kind not in KINDS:
            raise ValueError(f"unknown probe error kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hops = tuple(hops)


@dataclass(frozen=True)
class Hop:
    url: str
    address: str  # the checked address the answer came from
    method: str
    status: int
    location: str  # "" if none


@dataclass(frozen=True)
class ProbeResult:
    hops: tuple[Hop, ...]  # every request made, in order
    status: int  # the final answer's
    address: str  # where the final answer came from
    headers: dict[str, str]  # the final answer's KEPT_HEADERS, lower-case names
    redirected_to: str  # the final URL if it is not the URL asked, else ""
    other_host: bool  # a redirect went to another host
    tls_error: str  # a certificate problem seen on the way, else ""
    elapsed_ms: int


def _proxy_address(proxy: str) -> tuple[str, int]:
    host, separator, port = proxy.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not (separator and host and port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"proxy {proxy!r}: give it as host:port")
    return host, int(port)


def _endpoint(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _remaining(deadline: float, what: str) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ProbeError("timeout", f"{what}: no time left")
    return remaining


def _text(value: str) -> str:
    # Header bytes are read as Latin-1 (every byte a character); UTF-8 is what senders mean.
    return value.encode("latin-1").decode("utf-8", "replace").strip()


def _parse_head(head: bytes, what: str) -> tuple[int, dict[str, str]]:
    """The status and the kept headers of a header block; ProbeError "bad_response" if its
    status line is not HTTP/1.x. The status decides: a line that is no header is passed over,
    as browsers do, and the first of a repeated header counts."""
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    match = wire.STATUS_LINE.fullmatch(lines[0].rstrip())
    if match is None:
        raise ProbeError("bad_response", f"{what}: not an HTTP status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    kept = None  # the header the line before went to, if it is kept
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):  # an obsolete folded continuation of the line before
            if kept:
                headers[kept] = f"{headers[kept]} {_text(line)}"
            continue
        field, separator, value = line.partition(":")
        name = field.lower() if separator and _TOKEN.fullmatch(field) else None
        kept = name if name in KEPT_HEADERS and name not in headers else None
        if kept:
            headers[kept] = _text(value)
    return int(match[1]), headers


class _Probe:
    """One call of ``probe``: its options, and what it saw so far."""

    def __init__(
        self,
        *,
        resolve: Resolve,
        address_check: AddressCheck,
        route: Route,
        ca_file: str | None,
        connect_timeout: float,
        header_timeout: float,
        max_header_bytes: int,
        max_redirects: int,
        user_agent: str,
        proxy: str | None,
    ):
        if not (user_agent.isascii() and user_agent.isprintable()):
            raise ValueError(f"the user agent is one line of printable ASCII: {user_agent!r}")
        self.resolve = resolve
        self.address_check = address_check
        self.route = route
        self.connect_timeout = connect_timeout
        self.header_timeout = header_timeout
        self.max_header_bytes = max_header_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.proxy = _proxy_address(proxy) if proxy else None
        self.verified = tls.verifying_context(ca_file, "probe")
        self.unverified = tls.unverified_context()
        self.hops: list[Hop] = []
        self.tls_error = ""
        self._allowed: dict[str, list[str]] = {}

    def run(self, url: str) -> ProbeResult:
        started = time.monotonic()
        asked = target = wire.target(url)
        other_host = False
        redirects = 0
        try:
            while True:
                address, status, headers = self._ask(target)
                location = headers.get("location", "")
                if status not in REDIRECT_STATUSES or not location:
                    break
                next_url = urljoin(target.url, location)
                if urlsplit(next_url).scheme not in wire.DEFAULT_PORTS:
                    break  # no web address to follow: this answer is the last
                if redirects == self.max_redirects:
                    raise ProbeError(
                        "too_many_redirects", f"{asked.url}: more than {redirects} redirects"
                    )
                try:
                    target = wire.target(next_url)
                except ValueError as exc:
                    raise ProbeError("bad_response", f"{target.url}: redirect to {exc}") from None
                other_host = other_host or target.host != asked.host
                redirects += 1
        except ProbeError as error:
            error.hops = tuple(self.hops)
            raise
        return ProbeResult(
            hops=tuple(self.hops),
            status=status,
            address=address,
            headers=headers,
            redirected_to=target.url if target.url != asked.url else "",
            other_host=other_host,
            tls_error=self.tls_error,
            elapsed_ms=int((time.monotonic() - started) * 1000),
        )

    def _ask(self, target: wire.Target) -> tuple[str, int, dict[str, str]]:
        """HEAD, then GET if HEAD is refused: (address, status, kept headers)."""
        addresses = self._allowed_addresses(target.host)
        for method in ("HEAD", "GET"):
            address, connection = self._connect(target, addresses)
            status, headers = self._request(connection, target, method)
            self.hops.append(Hop(target.url, address, method, status, headers.get("location", "")))
            if status not in HEAD_REFUSED:
                break
            addresses = [address]  # the GET goes where the HEAD was answered
        return address, status, headers

    def _allowed_addresses(self, host: str) -> list[str]:
        """The addresses of ``host`` that may be contacted, in order: resolved once per call."""
        if host in self._allowed:
            return self._allowed[host]
        literal = wire.ip_literal(host)
        addresses = [literal] if literal else list(self.resolve(host))
        if not addresses:
            raise ProbeError("dns", f"{host}: no addresses")
        reasons = {address: self.address_check(address) for address in addresses}
        allowed = [address for address in addresses if reasons[address] is None]
        if not allowed:
            refusals = "; ".join(f"{address} is {reason}" for address, reason in reasons.items())
            raise ProbeError("refused", f"{host}: not contacted: {refusals}")
        self._allowed[host] = allowed
        return allowed

    def _connect(self, target: wire.Target, addresses: list[str]) -> tuple[str, socket.socket]:
        """A connection to the first of ``addresses`` that takes one (TLS done for https)."""
        failure = None
        for address in addresses:
            try:
                return address, self._connect_to(target, address)
            except ProbeError as error:
                if error.kind not in {"refused", "connect", "timeout"}:
                    raise
                failure = error
        raise failure

    def _connect_to(self, target: wire.Target, address: str) -> socket.socket:
        what = f"{target.url} ({address})"
        try:
            connect_host, connect_port = self.route(address, target.port)
        except PermissionError as exc:
            raise ProbeError("refused", f"{what}: not contacted: {exc}") from None
        if wire.ip_literal(connect_host) is None:
            # A name would be resolved again, past the address check.
            raise ProbeError("refused", f"{what}: the route gave a name, {connect_host!r}")
        deadline = time.monotonic() + self.connect_timeout
        connection = self._open(connect_host, connect_port, deadline, what)
        if target.scheme == "http":
            return connection
        try:
            return self._handshake(connection, target.host, self.verified, deadline, what)
        except ssl.SSLCertVerificationError as exc:
            if not self.tls_error:
                self.tls_error = f"{target.host}: {exc.verify_message or exc}"
        # Once more, unverified, only so that the status can be read.
        deadline = time.monotonic() + self.connect_timeout
        connection = self._open(connect_host, connect_port, deadline, what)
        return self._handshake(connection, target.host, self.unverified, deadline, what)

    def _open(self, host: str, port: int, deadline: float, what: str) -> socket.socket:
        """A TCP connection to (host, port), directly or through the proxy's tunnel."""
        if self.proxy is None:
            return self._tcp(host, port, deadline, what)
        proxy = _endpoint(*self.proxy)
        try:
            proxy_host, proxy_port = self.route(*self.proxy)
            connection = self._tcp(proxy_host, proxy_port, deadline, f"proxy {proxy}")
        except (PermissionError, ProbeError) as exc:
            raise ProbeError("proxy", f"{what}: proxy {proxy} not reached: {exc}") from None
        tunnel = _endpoint(host, port)
        request = f"CONNECT {tunnel} HTTP/1.1\r\nHost: {tunnel}\r\nUser-Agent: {self.user_agent}"
        try:
            connection.settimeout(_remaining(deadline, f"proxy {proxy}"))
            connection.sendall(f"{request}\r\n\r\n".encode("latin-1"))
            head, rest = self._read_head(connection, deadline, f"proxy {proxy}")
            status, _ = _parse_head(head, f"proxy {proxy}")
        except (ProbeError, OSError) as exc:
            wire.close(connection)
            raise ProbeError("proxy", f"{what}: proxy {proxy} failed: {exc}") from None
        if status // 100 != 2 or rest:
            wire.close(connection)
            raise ProbeError("proxy", f"{what}: proxy {proxy} answered {status} to CONNECT")
        return connection

    def _tcp(self, host: str, port: int, deadline: float, what: str) -> socket.socket:
        try:
            return socket.create_connection((host, port), timeout=_remaining(deadline, what))
        except TimeoutError:
            raise ProbeError("timeout", f"{what}: no connection in time") from None
        except OSError as exc:
            raise ProbeError("connect", f"{what}: cannot connect: {exc}") from None

    def _handshake(
        self,
        connection: socket.socket,
        host: str,
        context: ssl.SSLContext,
        deadline: float,
        what: str,
    ) -> ssl.SSLSocket:
        try:
            # The handshake is part of connecting, within the connect timeout.
            connection.settimeout(_remaining(deadline, what))
            return context.wrap_socket(connection, server_hostname=host)
        except (ssl.SSLCertVerificationError, ProbeError):
            wire.close(connection)
            raise
        except TimeoutError:
            wire.close(connection)
            raise ProbeError("timeout", f"{what}: no TLS handshake in time") from None
        except (ssl.SSLError, OSError) as exc:
            wire.close(connection)
            raise ProbeError("tls", f"{what}: no TLS: {exc}") from None

    def _request(
        self, connection: socket.socket, target: wire.Target, method: str
    ) -> tuple[int, dict[str, str]]:
        """Send one request and read its answer's headers; the connection is closed after."""
        what = f"{method} {target.url}"
        request = (
            f"{method} {target.request_target} HTTP/1.1\r\n"
            f"Host: {target.host_header}\r\n"
            f"User-Agent: {self.user_agent}\r\n"
            "Accept: */*\r\n"
            "Connection: close\r\n\r\n"
        )
        deadline = time.monotonic() + self.header_timeout
        try:
            connection.settimeout(_remaining(deadline, what))
            connection.sendall(request.encode("ascii"))
            head, rest = self._read_head(connection, deadline, what)
            status, headers = _parse_head(head, what)
            # Interim answers (103 Early Hints) come before the one that counts.
            while 100 <= status < 200 and status != 101:
                head, rest = self._read_head(connection, deadline, what, rest)
                status, headers = _parse_head(head, what)
        except TimeoutError:
            raise ProbeError("timeout", f"{what}: no request sent in time") from None
        except OSError as exc:
            raise ProbeError("connect", f"{what}: connection failed: {exc}") from None
        finally:
            wire.close(connection)
        return status, headers

    def _read_head(
        self, connection: socket.socket, deadline: float, what: str, buffer: bytes = b""
    ) -> tuple[bytes, bytes]:
        """The next header block, and what arrived after it in the same reads (never parsed)."""
        while True:
            end = wire.head_end(buffer)
            if (len(buffer) if end is None else end) > self.max_header_bytes:
                raise ProbeError(
                    "header_too_large", f"{what}: headers longer than {self.max_header_bytes} bytes"
                )
            if end is not None:
                return buffer[:end], buffer[end:]
            if not b"HTTP/".startswith(buffer[:5]):
                raise ProbeError("bad_response", f"{what}: not HTTP: {buffer[:40]!r}")
            connection.settimeout(_remaining(deadline, what))
            try:
                chunk = connection.recv(_READ_SIZE)
            except TimeoutError:
                raise ProbeError("timeout", f"{what}: no complete headers in time") from None
            except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
                chunk = b""  # closed, with or without TLS's goodbye
            except ssl.SSLError as exc:
                raise ProbeError("tls", f"{what}: TLS failed: {exc}") from None
            if not chunk:
                raise ProbeError("bad_response", f"{what}: closed before the headers ended")
            buffer += chunk


def probe(
    url: str,
    *,
    resolve: Resolve,
    address_check: AddressCheck,
    route: Route = lambda address, port: (address, port),
    ca_file: str | None = None,
    connect_timeout: float = 5.0,
    header_timeout: float = 10.0,
    max_header_bytes: int = 16384,
    max_redirects: int = 5,
    user_agent: str = "hotline-probe",
    proxy: str | None = None,
) -> ProbeResult:
    """Ask ``url`` for its status, following redirects; the material is never read.

    ``connect_timeout`` bounds each connection (proxy tunnel and TLS handshake included),
    ``header_timeout`` each answer's headers. Raises ProbeError for a check that got no final
    answer, ValueError for a URL that is not http(s) with a host or a malformed option."""
    return _Probe(
        resolve=resolve,
        address_check=address_check,
        route=route,
        ca_file=ca_file,
        connect_timeout=connect_timeout,
        header_timeout=header_timeout,
        max_header_bytes=max_header_bytes,
        max_redirects=max_redirects,
        user_agent=user_agent,
        proxy=proxy,
    ).run(url)
