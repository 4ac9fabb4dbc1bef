"""A real webhook receiver on 127.0.0.1 (HTTP, and HTTPS with a trustme CA), for the tests and
the local demo: what a provider that takes notices by webhook runs.

It checks every delivery as Standard Webhooks (https://www.standardwebhooks.com/) tells a
receiver to, written here from the published algorithm rather than taken from the service:
``webhook-signature`` holds space-separated ``v1,<base64>`` signatures, one of which must be
``HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")`` where ``key`` is the base64 after
``whsec_`` of one of the receiver's secrets, and ``webhook-timestamp`` must be within the
tolerance of the clock. Each delivery is recorded (id, timestamp, verified or not and why,
the JSON body) in ``deliveries`` and, with ``log_file``, appended to it as one JSON line.

A verified delivery is answered 204, another 401 (unless ``accept_unverified``). It can be told
to answer otherwise for the next requests::

    receiver.fail(2, status=503)          # the next two requests are answered 503
    receiver.fail(1, status=307)          # a redirect (Location: /moved)
    receiver.stall(1, seconds=5)          # the next request waits 5 s before its answer
    receiver.fail(1, status=200, body_bytes=50_000_000)   # a large answer, counted as sent

With ``secrets_file`` (one secret a line), the secrets are read again whenever the file changes.

    python -m sandbox.webhook_receiver serve --port 8090 --secret whsec_... \\
        --log-file var/webhooks.jsonl
"""

import argparse
import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import signal
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme

from sandbox.stand_in import DEFAULT_NAMES, HOST, StandIn

__all__ = ["DEFAULT_NAMES", "Delivery", "WebhookReceiver", "secret_generate", "signature_check"]

CA_FILE_NAME = "webhook-ca.pem"
TOLERANCE = 300
MAX_BODY_BYTES = 1_000_000
MAX_STALL = 60.0  # long enough for any timeout test; a forgotten stall cannot hang a run
_CHUNK = 64 * 1024
_CLIENT_TIMEOUT = 10.0


def secret_generate() -> str:
    """A secret as Standard Webhooks writes one: whsec_ and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(os.urandom(32)).decode("ascii")


def _key(secret: str) -> bytes | None:
    if not secret.startswith("whsec_"):
        return None
    try:
        return base64.b64decode(secret[len("whsec_") :], validate=True) or None
    except (binascii.Error, ValueError):
        return None


def signature_check(
    secrets: Sequence[str],
    message_id: str,
    timestamp: str,
    signatures: str,
    body: bytes,
    *,
    tolerance: float = TOLERANCE,
    now: float | None = None,
) -> str:
    """Why a delivery does not verify against any of ``secrets``; "" if it does."""
    if not (message_id and timestamp and signatures):
        return "webhook-id, webhook-timestamp or webhook-signature missing"
    if not (timestamp.isascii() and timestamp.isdigit()):
        return f"webhook-timestamp is not integer seconds: {timestamp!r}"
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        return f"webhook-timestamp {timestamp} is more than {tolerance:g} s from now"
    # Header values arrive as Latin-1 text: encoded back, they are the bytes that were signed.
    signed = f"{message_id}.{timestamp}.".encode("latin-1", "replace") + body
    given = []
    for entry in signatures.split(" "):
        version, _, value = entry.partition(",")
        if version == "v1":
            with contextlib.suppress(binascii.Error, ValueError):
                given.append(base64.b64decode(value, validate=True))
    keys = [key for key in map(_key, secrets) if key]
    if not keys:
        return "the receiver has no whsec_ secret"
    for key in keys:
        expected = hmac.new(key, signed, hashlib.sha256).digest()
        if any(hmac.compare_digest(expected, signature) for signature in given):
            return ""
    return "no v1 signature matches"


@dataclass
class Delivery:
    """One POST received, and what it was answered."""

    id: str  # webhook-id, "" if none
    timestamp: str  # webhook-timestamp, as sent
    verified: bool
    reason: str  # why not verified, "" if verified
    body: object  # the parsed JSON, None if the body is not JSON
    path: str
    host: str  # the Host header
    headers: dict[str, str]
    received_at: str  # UTC, ISO 8601
    answered: int = 0  # the status sent back; 0 until then (or if none was: stopped)
    answer_body_bytes_sent: int = 0
    ended: str = ""  # "complete", "closed by the client", "stopped"
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def record(self) -> dict:
        """What the log file keeps of it."""
        kept = ("id", "timestamp", "verified", "reason", "body", "path", "received_at", "answered")
        return {name: getattr(self, name) for name in kept}


@dataclass
class _Answer:
    status: int
    stall: float = 0.0
    body_bytes: int = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address, receiver: "WebhookReceiver", tls: ssl.SSLContext | None):
        self.receiver = receiver
        self.tls = tls
        super().__init__(address, _Handler)

    def finish_request(self, request, client_address):
        request.settimeout(_CLIENT_TIMEOUT)
        if self.tls is not None:
            try:  # in the request's own thread: a slow handshake holds no one else up
                request = self.tls.wrap_socket(request, server_side=True)
            except OSError:
                return
        with contextlib.suppress(OSError), request:
            self.RequestHandlerClass(request, client_address, self)


class _Handler(BaseHTTPRequestHandler):
    server_version = "sandbox-webhooks"
    protocol_version = "HTTP/1.1"
    timeout = _CLIENT_TIMEOUT

    def log_message(self, format, *args):  # tests read .deliveries instead
        pass

    def do_POST(self):
        receiver: WebhookReceiver = self.server.receiver
        self.close_connection = True
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            self._send(411)
            return
        if int(length) > receiver.max_body_bytes:
            self._send(413)
            return
        body = self.rfile.read(int(length))
        delivery = receiver._receive(self, body)
        answer = receiver._next_answer(delivery)
        try:
            if receiver._stopping.wait(answer.stall):
                delivery.ended = "stopped"
                receiver._log(delivery)
                return
            delivery.answered = answer.status
            receiver._log(delivery)  # before the answer: a client that has it finds the line
            self._send(answer.status, answer.body_bytes, delivery)
            delivery.ended = "complete"
        except OSError:
            delivery.ended = "closed by the client"
            raise
        finally:
            delivery.done.set()

    def _send(self, status: int, body_bytes: int = 0, delivery: Delivery | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(body_bytes))
        self.send_header("Connection", "close")
        if 300 <= status < 400:
            self.send_header("Location", "/moved")
        self.end_headers()
        left = body_bytes
        while left:
            chunk = min(_CHUNK, left)
            self.wfile.write(b"r" * chunk)
            if delivery is not None:
                delivery.answer_body_bytes_sent += chunk
            left -= chunk


class WebhookReceiver(StandIn):
    """HTTP (and with ``tls``, HTTPS) on 127.0.0.1; a context manager, port 0 picks a free port.

    With ``tls``, ``ca_file`` is the PEM of the CA that signed the certificate (for ``names``):
    ``ca``, or one of its own; written to ``ca_dir`` or to a temporary directory."""

    server_class = _Server
    thread_name = "webhooks"
    ca_file_name = CA_FILE_NAME

    def __init__(
        self,
        secrets: Sequence[str] = (),
        *,
        port: int = 0,
        tls: bool = False,
        https_port: int = 0,
        names: Sequence[str] = DEFAULT_NAMES,
        ca: trustme.CA | None = None,
        ca_dir: Path | None = None,
        secrets_file: Path | None = None,
        log_file: Path | None = None,
        tolerance: float = TOLERANCE,
        accept_unverified: bool = False,
        max_body_bytes: int = MAX_BODY_BYTES,
    ):
        self._lock = threading.Lock()
        self.secrets = list(secrets)
        self._secrets_file = Path(secrets_file) if secrets_file else None
        self._secrets_version: tuple[int, int, int] | None = None
        self._file_secrets: list[str] = []
        self.log_file = Path(log_file) if log_file else None
        self.tolerance = tolerance
        self.accept_unverified = accept_unverified
        self.max_body_bytes = max_body_bytes
        self.deliveries: list[Delivery] = []
        self._answers: list[_Answer] = []
        super().__init__(
            port=port, https_port=https_port, tls=tls, names=names, ca=ca, ca_dir=ca_dir
        )

    def fail(self, count: int, status: int = 503, *, body_bytes: int = 0) -> None:
        """Answer the next ``count`` requests ``status`` (a 3xx with ``Location: /moved``),
        with ``body_bytes`` of body, whatever their signature."""
        if not 100 <= status <= 599 or count < 0 or body_bytes < 0:
            raise ValueError("a status from 100 to 599, a count and a size of 0 or more")
        with self._lock:
            self._answers.extend(_Answer(status, body_bytes=body_bytes) for _ in range(count))

    def stall(self, count: int, seconds: float) -> None:
        """Make the next ``count`` requests wait ``seconds`` (after the whole request was read)
        before their usual answer."""
        if not 0 <= seconds <= MAX_STALL or count < 0:
            raise ValueError(f"a stall is 0 to {MAX_STALL} seconds, a count 0 or more")
        with self._lock:
            self._answers.extend(_Answer(0, stall=seconds) for _ in range(count))

    def url(self, path: str = "/", *, host: str = HOST, https: bool = False) -> str:
        scheme, (_, port) = ("https", self.https_address) if https else ("http", self.http_address)
        return f"{scheme}://{host}:{port}{path}"

    def wait_answered(self, timeout: float = 5.0) -> bool:
        """Wait until every delivery so far has been answered (or cut short)."""
        with self._lock:
            pending = list(self.deliveries)
        return all(delivery.done.wait(timeout) for delivery in pending)

    def _current_secrets(self) -> list[str]:
        if self._secrets_file is None:
            return list(self.secrets)
        try:
            status = self._secrets_file.stat()
        except FileNotFoundError:
            self._secrets_version, self._file_secrets = None, []
        else:
            version = (status.st_mtime_ns, status.st_ino, status.st_size)
            if version != self._secrets_version:
                lines = self._secrets_file.read_text().splitlines()
                self._file_secrets = [line.strip() for line in lines if line.strip()]
                self._secrets_version = version
        return [*self.secrets, *self._file_secrets]

    def _receive(self, handler: _Handler, body: bytes) -> Delivery:
        headers = handler.headers
        message_id = headers.get("webhook-id", "")
        timestamp = headers.get("webhook-timestamp", "")
        with self._lock:
            reason = signature_check(
                self._current_secrets(),
                message_id,
                timestamp,
                headers.get("webhook-signature", ""),
                body,
                tolerance=self.tolerance,
            )
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        delivery = Delivery(
            id=message_id,
            timestamp=timestamp,
            verified=not reason,
            reason=reason,
            body=parsed,
            path=handler.path,
            host=headers.get("Host", ""),
            headers=dict(headers.items()),
            received_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
        )
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    def _log(self, delivery: Delivery) -> None:
        if self.log_file is None:
            return
        with self._lock, self.log_file.open("a", encoding="utf-8") as log:
            log.write(json.dumps(delivery.record(), sort_keys=True) + "\n")

    def _next_answer(self, delivery: Delivery) -> _Answer:
        usual = 204 if delivery.verified or self.accept_unverified else 401
        with self._lock:
            answer = self._answers.pop(0) if self._answers else _Answer(usual)
        return answer if answer.status else _Answer(usual, stall=answer.stall)

    def start(self) -> "WebhookReceiver":
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
        return super().start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.webhook_receiver", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="receive webhooks until interrupted")
    serve.add_argument("--port", type=int, default=8090)
    serve.add_argument("--https-port", type=int, help="also serve HTTPS, on this port")
    serve.add_argument("--ca-dir", type=Path, help=f"where the CA ({CA_FILE_NAME}) is written")
    serve.add_argument("--secret", action="append", default=[], help="a whsec_ secret")
    serve.add_argument("--secrets-file", type=Path, help="whsec_ secrets, one a line")
    serve.add_argument("--log-file", type=Path, help="each delivery appended as a JSON line")
    serve.add_argument("--accept-unverified", action="store_true")
    arguments = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    receiver = WebhookReceiver(
        arguments.secret,
        port=arguments.port,
        tls=arguments.https_port is not None,
        https_port=arguments.https_port or 0,
        ca_dir=arguments.ca_dir,
        secrets_file=arguments.secrets_file,
        log_file=arguments.log_file,
        accept_unverified=arguments.accept_unverified,
    )
    with receiver:
        print(f"webhook receiver on {receiver.url()}", flush=True)
        if receiver.https_address:
            print(f"webhook receiver on {receiver.url(https=True)} ({receiver.ca_file})")
        stop.wait()


if __name__ == "__main__":
    main()
