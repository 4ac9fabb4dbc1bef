"""Notices by signed webhook, as Standard Webhooks (https://www.standardwebhooks.com/) defines
them: the symmetric ``v1`` scheme.

- A secret is ``whsec_`` and the base64 of 24 to 64 random bytes; the HMAC key is those bytes.
- A delivery is ``POST`` with the JSON body and ``webhook-id``, ``webhook-timestamp`` (integer
  seconds) and ``webhook-signature: v1,<base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))>``.
  The id stays the same across retries of one message (the receiver's idempotency key); the
  timestamp is the attempt's.
- Only a 2xx answer delivers. Redirects are never followed.

``webhook_post`` connects the way the status-only probe does (probe.py): the host is resolved
once by ``resolve``, every address put to ``address_check``, and only an allowed one contacted,
by the address itself through ``route``; the name stays in SNI, the certificate check and the
Host header. Of the answer, only the status line and headers are read (at most
``max_header_bytes``), then the connection is closed: no response body is read or kept.

Every failure is a ``DeliveryFailed`` (delivery.py): permanent when a retry cannot help (a 4xx
but 408 and 429, an address that may not be contacted, a URL that is not one), with
``outcome_unknown`` when the whole request was sent but no answer came (the receiver may have
it), otherwise retryable.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
import socket
import ssl
import time
from collections.abc import Callable, Mapping

from hotline.integrations import tls, wire
from hotline.integrations.delivery import DeliveryFailed

__all__ = [
    "AddressCheck",
    "Resolve",
    "Route",
    "WebhookUnverified",
    "webhook_post",
    "webhook_secret_generate",
    "webhook_sign",
    "webhook_verify",
]

Route = Callable[[str, int], tuple[str, int]]
"""(address, port) -> where to connect; raises PermissionError for a refused target."""
Resolve = Callable[[str], list[str]]
"""host -> its addresses; raises DeliveryFailed itself when it has none or cannot say."""
AddressCheck = Callable[[str], str | None]
"""address -> why it may not be contacted, None if it may."""

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's marker, no secret)
SECRET_BYTES = 32
SECRET_BYTES_RANGE = range(24, 65)
SIGNATURE_VERSION = "v1"
# Retrying cannot help with a 4xx, but for these two: the receiver timed out, or is limiting.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})
MAX_MESSAGE_ID = 256
_READ_SIZE = 4096


class WebhookUnverified(Exception):
    """A delivery whose signature, headers or timestamp do not hold (the receiver's side)."""


def webhook_secret_generate() -> str:
    """A new secret for one endpoint: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret; ValueError if it is not one."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret starts with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret is whsec_ and base64") from None
    if len(key) not in SECRET_BYTES_RANGE:
        raise ValueError(f"a webhook secret holds 24 to 64 bytes, not {len(key)}")
    return key


def _message_id_check(message_id: str) -> None:
    # A dot would make "{id}.{timestamp}.{body}" ambiguous; a space or line break would
    # break the header.
    if not (
        0 < len(message_id) <= MAX_MESSAGE_ID
        and message_id.isascii()
        and message_id.isprintable()
        and " " not in message_id
        and "." not in message_id
    ):
        raise ValueError(f"a webhook id is 1 to {MAX_MESSAGE_ID} printable ASCII, no dot or space")


def webhook_sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value of one delivery: ``v1,<base64 HMAC-SHA256>``."""
    _message_id_check(message_id)
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise ValueError(f"a webhook timestamp is integer seconds: {timestamp!r}")
    digest = _digest(_key(secret), message_id, timestamp, body)
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def _digest(key: bytes, message_id: str, timestamp: int, body: bytes) -> bytes:
    signed = f"{message_id}.{timestamp}.".encode("ascii") + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def webhook_verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = 300,
    now: float | None = None,
) -> None:
    """Check a delivery as its receiver would: WebhookUnverified unless one of the ``v1``
    signatures (space-separated) is the body's, and the timestamp within ``tolerance`` seconds
    of ``now`` (default: the clock). Header names in any case."""
    named = {name.lower(): value for name, value in headers.items()}
    message_id = named.get("webhook-id", "")
    timestamp_text = named.get("webhook-timestamp", "")
    signatures = named.get("webhook-signature", "")
    if not (message_id and timestamp_text and signatures):
        raise WebhookUnverified("webhook-id, webhook-timestamp and webhook-signature are required")
    if not (timestamp_text.isascii() and timestamp_text.isdigit()):
        raise WebhookUnverified(f"webhook-timestamp is not integer seconds: {timestamp_text!r}")
    timestamp = int(timestamp_text)
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise WebhookUnverified(f"webhook-timestamp is more than {tolerance} s from now")
    key = _key(secret)  # ValueError: the receiver's own secret is malformed
    try:
        _message_id_check(message_id)
    except ValueError as exc:  # an id no sender may use
        raise WebhookUnverified(str(exc)) from None
    expected = _digest(key, message_id, timestamp, body)
    for signature in signatures.split(" "):
        version, _, value = signature.partition(",")
        if version != SIGNATURE_VERSION:
            continue  # another scheme (v1a), or not a signature
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(given, expected):
            return
    raise WebhookUnverified("no v1 signature matches")


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    return remaining


class _Delivery:
    """One call of ``webhook_post``."""

    def __init__(self, target: wire.Target, *, resolve, address_check, route, context, timeout):
        self.target = target
        self.resolve = resolve
        self.address_check = address_check
        self.route = route
        self.context = context
        self.timeout = timeout

    def connect(self) -> socket.socket:
        """A connection (TLS done for https) to the first allowed address that takes one."""
        failures, refusals = [], []
        for address in self._allowed_addresses():
            what = f"{self.target.url} ({address})"
            try:
                connect_host, connect_port = self.route(address, self.target.port)
            except PermissionError as exc:
                refusals.append(f"{what}: not contacted: {exc}")
                continue
            if wire.ip_literal(connect_host) is None:
                # A name would be resolved again, past the address check.
                refusals.append(f"{what}: not contacted: the route gave a name, {connect_host!r}")
                continue
            try:
                return self._open(connect_host, connect_port)
            except TimeoutError:
                failures.append(f"{what}: no connection in time")
            except ssl.SSLError as exc:
                failures.append(f"{what}: no TLS: {getattr(exc, 'verify_message', '') or exc}")
            except OSError as exc:
                failures.append(f"{what}: cannot connect: {exc}")
        # Only refusals: no address may ever be contacted, and retrying cannot change that.
        raise DeliveryFailed("; ".join(failures + refusals), permanent=not failures)

    def _allowed_addresses(self) -> list[str]:
        host = self.target.host
        literal = wire.ip_literal(host)
        addresses = [literal] if literal else list(self.resolve(host))
        if not addresses:
            raise DeliveryFailed(f"{host}: no addresses")
        reasons = {address: self.address_check(address) for address in addresses}
        allowed = [address for address in addresses if reasons[address] is None]
        if not allowed:
            refusals = "; ".join(f"{address} is {reason}" for address, reason in reasons.items())
            # The address rule does not change: trying again cannot help.
            raise DeliveryFailed(f"{host}: not contacted: {refusals}", permanent=True)
        return allowed

    def _open(self, host: str, port: int) -> socket.socket:
        # Connecting and the TLS handshake together within one timeout.
        deadline = time.monotonic() + self.timeout
        connection = socket.create_connection((host, port), timeout=self.timeout)
        if self.context is None:
            return connection
        try:
            connection.settimeout(_remaining(deadline))
            return self.context.wrap_socket(connection, server_hostname=self.target.host)
        except BaseException:
            wire.close(connection)
            raise

    def exchange(self, connection: socket.socket, request: bytes, max_header_bytes: int) -> int:
        """Send ``request`` and read the answer's status; the connection is closed after."""
        what = f"POST {self.target.url}"
        deadline = time.monotonic() + self.timeout
        try:
            try:
                connection.settimeout(_remaining(deadline))
                connection.sendall(request)
            except OSError as exc:  # TimeoutError too: the request did not all go
                raise DeliveryFailed(f"{what}: the request was not sent: {exc}") from None
            try:
                return self._status(connection, deadline, max_header_bytes, what)
            except TimeoutError:
                raise DeliveryFailed(
                    f"{what}: sent, but no answer within {self.timeout} s", outcome_unknown=True
                ) from None
            except OSError as exc:
                raise DeliveryFailed(
                    f"{what}: sent, but the connection failed before the answer: {exc}",
                    outcome_unknown=True,
                ) from None
        finally:
            wire.close(connection)

    def _status(
        self, connection: socket.socket, deadline: float, max_header_bytes: int, what: str
    ) -> int:
        """The final answer's status (interim 1xx answers passed over)."""
        buffer = b""
        while True:
            end = wire.head_end(buffer)
            if (len(buffer) if end is None else end) > max_header_bytes:
                raise DeliveryFailed(
                    f"{what}: answer headers longer than {max_header_bytes} bytes",
                    outcome_unknown=True,
                )
            if end is not None:
                head, buffer = buffer[:end], buffer[end:]
                status_line = head.split(b"\n", 1)[0].decode("latin-1").rstrip()
                match = wire.STATUS_LINE.fullmatch(status_line)
                if match is None:
                    raise DeliveryFailed(
                        f"{what}: not an HTTP status line: {status_line[:80]!r}",
                        outcome_unknown=True,
                    )
                status = int(match[1])
                if 100 <= status < 200 and status != 101:
                    continue  # 100 Continue, 103 Early Hints: the answer follows
                return status
            if not b"HTTP/".startswith(buffer[:5]):
                raise DeliveryFailed(f"{what}: not HTTP: {buffer[:40]!r}", outcome_unknown=True)
            connection.settimeout(_remaining(deadline))
            try:
                chunk = connection.recv(_READ_SIZE)
            except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
                chunk = b""
            if not chunk:
                raise DeliveryFailed(
                    f"{what}: sent, but closed before an answer", outcome_unknown=True
                )
            buffer += chunk


def _status_check(url: str, status: int) -> int:
    if 200 <= status < 300:
        return status
    if 300 <= status < 400:
        # Never followed: the provider's URL has moved, and the hotline's record must say where.
        raise DeliveryFailed(f"{url}: answered {status}, a redirect (not followed)")
    if 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS:
        raise DeliveryFailed(f"{url}: answered {status}", permanent=True)
    if 400 <= status < 600:
        raise DeliveryFailed(f"{url}: answered {status}")
    raise DeliveryFailed(f"{url}: answered {status}, not a final HTTP status", outcome_unknown=True)


def webhook_post(
    url: str,
    body: bytes,
    *,
    secret: str,
    message_id: str,
    timestamp: int,
    resolve: Resolve,
    address_check: AddressCheck,
    route: Route,
    ca_file: str | None = None,
    timeout: float = 10.0,
    allow_http: bool = False,
    max_header_bytes: int = 16384,
    user_agent: str = "hotline-webhook",
) -> int:
    """Deliver ``body`` (JSON) to ``url``, signed with ``secret``; the 2xx status it answered.

    ``timeout`` bounds connecting (TLS included) and, again, sending and the answer's headers.
    ``allow_http``: plain http is refused unless the caller allows it (never in production).
    Raises DeliveryFailed for every failure (module docstring), ValueError for a malformed
    secret, id, timestamp or user agent (the caller's mistake, not the receiver's)."""
    signature = webhook_sign(secret, message_id, timestamp, body)
    if not (user_agent.isascii() and user_agent.isprintable()):
        raise ValueError(f"the user agent is one line of printable ASCII: {user_agent!r}")
    try:
        target = wire.target(url)
    except ValueError as exc:
        raise DeliveryFailed(f"not a webhook URL: {exc}", permanent=True) from None
    if target.scheme == "http" and not allow_http:
        raise DeliveryFailed(f"{url}: webhooks go over https only", permanent=True)
    try:
        context = tls.verifying_context(ca_file, "webhooks") if target.scheme == "https" else None
    except OSError as exc:  # the CA bundle is missing: a configuration to fix, then retry
        raise DeliveryFailed(f"{url}: no CA bundle to check the certificate: {exc}") from None
    request = (
        f"POST {target.request_target} HTTP/1.1\r\n"
        f"Host: {target.host_header}\r\n"
        f"User-Agent: {user_agent}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"webhook-id: {message_id}\r\n"
        f"webhook-timestamp: {timestamp}\r\n"
        f"webhook-signature: {signature}\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii") + body
    delivery = _Delivery(
        target,
        resolve=resolve,
        address_check=address_check,
        route=route,
        context=context,
        timeout=timeout,
    )
    connection = delivery.connect()
    return _status_check(url, delivery.exchange(connection, request, max_header_bytes))
