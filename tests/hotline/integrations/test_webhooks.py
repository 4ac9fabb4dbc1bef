"""Signed webhooks (hotline/integrations/webhooks.py) against the Standard Webhooks test vector
and a real receiver on 127.0.0.1 (sandbox/webhook_receiver.py, HTTP and HTTPS), which checks
every signature with its own implementation of the published algorithm.

Names resolve through a table here; the route lets only the loopback be reached. No database.
"""

import base64
import ipaddress
import socket
import threading
import time

import pytest

from hotline.integrations.delivery import DeliveryFailed
from hotline.integrations.webhooks import (
    WebhookUnverified,
    webhook_post,
    webhook_secret_generate,
    webhook_sign,
    webhook_verify,
)
from sandbox.webhook_receiver import WebhookReceiver

# The test vector of the Standard Webhooks reference library's test_sign_function,
# github.com/standard-webhooks/standard-webhooks, libraries/python/tests/test_webhooks.py.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

SECRET = webhook_secret_generate()
BODY = b'{"type":"notice.sent","data":{"notice":"N-1","url":"hxxps://images.example[.]com/1"}}'
NAMES = {
    "hooks.example.test": ["127.0.0.1"],
    "intranet.example.test": ["10.0.0.7"],
    "mixed.example.test": ["10.0.0.8", "127.0.0.1"],
    "public.example.test": ["192.0.2.10"],  # allowed, but outside what the route reaches
    "half.example.test": ["192.0.2.11", "127.0.0.1"],
}
PRIVATE = ipaddress.ip_network("10.0.0.0/8")


def vector_headers(**changes) -> dict[str, str]:
    headers = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TIMESTAMP),
        "webhook-signature": VECTOR_SIGNATURE,
    }
    return {**headers, **changes}


# -- signing and verifying --------------------------------------------------------------------


def test_the_signature_is_the_standards_test_vector():
    assert webhook_sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE
    webhook_verify(VECTOR_SECRET, vector_headers(), VECTOR_BODY, now=VECTOR_TIMESTAMP)


def test_a_receiver_accepts_one_good_signature_among_several_and_any_header_case():
    signatures = " ".join(
        [
            "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==",
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            "v1,not base64!",
            "nonsense",
            VECTOR_SIGNATURE,
        ]
    )
    headers = {
        "Webhook-Id": VECTOR_ID,
        "WEBHOOK-TIMESTAMP": str(VECTOR_TIMESTAMP),
        "webhook-signature": signatures,
    }
    webhook_verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TIMESTAMP)


@pytest.mark.parametrize(
    ("headers", "body", "now", "reason"),
    [
        (vector_headers(), VECTOR_BODY + b" ", VECTOR_TIMESTAMP, "no v1 signature matches"),
        (vector_headers(), VECTOR_BODY, VECTOR_TIMESTAMP + 301, "more than 300 s"),
        (vector_headers(), VECTOR_BODY, VECTOR_TIMESTAMP - 301, "more than 300 s"),
        (vector_headers(**{"webhook-id": "msg_other"}), VECTOR_BODY, VECTOR_TIMESTAMP, "no v1"),
        (vector_headers(**{"webhook-timestamp": "1614265330.0"}), VECTOR_BODY, 0, "integer"),
        (vector_headers(**{"webhook-signature": ""}), VECTOR_BODY, VECTOR_TIMESTAMP, "required"),
        (
            vector_headers(**{"webhook-signature": VECTOR_SIGNATURE.replace("v1,", "v2,")}),
            VECTOR_BODY,
            VECTOR_TIMESTAMP,
            "no v1 signature matches",
        ),
    ],
    ids=["body", "too-old", "too-new", "id", "timestamp", "no-signature", "other-version"],
)
def test_a_receiver_refuses_what_was_not_signed_so_or_not_now(headers, body, now, reason):
    with pytest.raises(WebhookUnverified, match=reason):
        webhook_verify(VECTOR_SECRET, headers, body, now=now)


def test_the_tolerance_is_inclusive_and_adjustable():
    webhook_verify(VECTOR_SECRET, vector_headers(), VECTOR_BODY, now=VECTOR_TIMESTAMP + 300)
    with pytest.raises(WebhookUnverified):
        webhook_verify(
            VECTOR_SECRET, vector_headers(), VECTOR_BODY, tolerance=10, now=VECTOR_TIMESTAMP + 11
        )


def test_another_secret_does_not_verify():
    with pytest.raises(WebhookUnverified, match="no v1 signature matches"):
        webhook_verify(SECRET, vector_headers(), VECTOR_BODY, now=VECTOR_TIMESTAMP)


def test_a_generated_secret_is_whsec_and_32_random_bytes():
    secrets = {webhook_secret_generate() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


@pytest.mark.parametrize(
    ("secret", "message_id", "timestamp"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", VECTOR_ID, VECTOR_TIMESTAMP),  # no whsec_
        ("whsec_" + base64.b64encode(b"x" * 16).decode(), VECTOR_ID, VECTOR_TIMESTAMP),  # short
        ("whsec_" + base64.b64encode(b"x" * 65).decode(), VECTOR_ID, VECTOR_TIMESTAMP),  # long
        ("whsec_not base64", VECTOR_ID, VECTOR_TIMESTAMP),
        (VECTOR_SECRET, "msg.1", VECTOR_TIMESTAMP),  # a dot would make the signed text ambiguous
        (VECTOR_SECRET, "msg_1\r\nX-Injected: 1", VECTOR_TIMESTAMP),
        (VECTOR_SECRET, "", VECTOR_TIMESTAMP),
        (VECTOR_SECRET, VECTOR_ID, "1614265330"),
        (VECTOR_SECRET, VECTOR_ID, 1614265330.5),
    ],
)
def test_a_malformed_secret_id_or_timestamp_is_the_callers_mistake(secret, message_id, timestamp):
    with pytest.raises(ValueError):
        webhook_sign(secret, message_id, timestamp, VECTOR_BODY)


# -- delivering to a real receiver ------------------------------------------------------------


class Resolver:
    def __init__(self):
        self.asked: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        if host not in NAMES:
            raise DeliveryFailed(f"{host}: no such name")
        return NAMES[host]


def private_refused(address: str) -> str | None:
    return "Private-Use (10.0.0.0/8)" if ipaddress.ip_address(address) in PRIVATE else None


class LoopbackRoute:
    """Only the loopback may be reached; remembers every address it was asked for."""

    def __init__(self):
        self.asked: list[str] = []

    def __call__(self, address: str, port: int) -> tuple[str, int]:
        self.asked.append(address)
        if not ipaddress.ip_address(address).is_loopback:
            raise PermissionError(f"{address} is outside the sandbox")
        return address, port


@pytest.fixture
def receiver():
    with WebhookReceiver([SECRET], tls=True) as running:
        yield running


@pytest.fixture
def route():
    return LoopbackRoute()


def post(url: str, *, route=None, body: bytes = BODY, **options) -> int:
    options.setdefault("secret", SECRET)
    options.setdefault("message_id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
    options.setdefault("timestamp", int(time.time()))
    options.setdefault("allow_http", True)
    return webhook_post(
        url,
        body,
        resolve=Resolver(),
        address_check=private_refused,
        route=route or LoopbackRoute(),
        **options,
    )


def failure(url: str, **options) -> DeliveryFailed:
    with pytest.raises(DeliveryFailed) as caught:
        post(url, **options)
    return caught.value


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_a_delivery_arrives_signed_and_the_receiver_verifies_it(receiver, https):
    url = receiver.url("/hotline/notices?v=1", host="hooks.example.test", https=https)
    timestamp = int(time.time())
    assert post(url, timestamp=timestamp, ca_file=receiver.ca_file) == 204
    [delivery] = receiver.deliveries
    assert (delivery.verified, delivery.reason) == (True, "")
    assert (delivery.id, delivery.timestamp) == ("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", str(timestamp))
    assert delivery.body["data"]["notice"] == "N-1"
    assert delivery.path == "/hotline/notices?v=1"
    port = (receiver.https_address if https else receiver.http_address)[1]
    assert delivery.host == f"hooks.example.test:{port}"
    assert delivery.headers["Content-Type"] == "application/json"
    assert delivery.headers["Content-Length"] == str(len(BODY))


def test_a_retry_keeps_the_id_and_signs_its_own_timestamp(receiver):
    receiver.fail(1, status=503)
    url = receiver.url("/", host="hooks.example.test", https=True)
    first = failure(url, timestamp=int(time.time()) - 60, ca_file=receiver.ca_file)
    assert (first.permanent, first.outcome_unknown) == (False, False)
    assert post(url, ca_file=receiver.ca_file) == 204
    assert [d.id for d in receiver.deliveries] == ["msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"] * 2
    assert all(d.verified for d in receiver.deliveries)
    assert receiver.deliveries[0].timestamp != receiver.deliveries[1].timestamp


def test_a_delivery_goes_to_the_allowed_address_of_a_name_with_several(receiver, route):
    assert post(receiver.url("/", host="mixed.example.test"), route=route) == 204
    assert route.asked == ["127.0.0.1"]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 413, 422])
def test_a_client_error_is_permanent(receiver, status):
    receiver.fail(1, status=status)
    error = failure(receiver.url("/", host="hooks.example.test"))
    assert (error.permanent, error.outcome_unknown) == (True, False)
    assert f"answered {status}" in error.detail


def test_a_receiver_that_cannot_verify_the_signature_is_a_permanent_failure(receiver):
    error = failure(receiver.url("/", host="hooks.example.test"), secret=webhook_secret_generate())
    assert error.permanent
    assert error.detail.endswith("answered 401")
    assert receiver.deliveries[0].verified is False


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_a_timeout_a_rate_limit_or_a_server_error_may_be_retried(receiver, status):
    receiver.fail(1, status=status)
    error = failure(receiver.url("/", host="hooks.example.test"))
    assert (error.permanent, error.outcome_unknown) == (False, False)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed(receiver, status):
    receiver.fail(1, status=status)
    error = failure(receiver.url("/", host="hooks.example.test"))
    assert (error.permanent, error.outcome_unknown) == (False, False)
    assert "not followed" in error.detail
    assert len(receiver.deliveries) == 1  # /moved was never asked


def test_a_receiver_that_stalls_after_the_whole_request_leaves_the_outcome_unknown(receiver):
    receiver.stall(1, seconds=5)
    started = time.monotonic()
    url = receiver.url("/", host="hooks.example.test", https=True)
    error = failure(url, timeout=0.5, ca_file=receiver.ca_file)
    assert time.monotonic() - started < 2
    assert (error.permanent, error.outcome_unknown) == (False, True)
    assert "no answer within 0.5 s" in error.detail
    assert receiver.deliveries[0].verified  # it did arrive


def test_the_answers_body_is_never_read(receiver):
    size = 50_000_000
    receiver.fail(1, status=200, body_bytes=size)
    started = time.monotonic()
    assert post(receiver.url("/", host="hooks.example.test")) == 200
    assert time.monotonic() - started < 2
    assert receiver.wait_answered()
    [delivery] = receiver.deliveries
    assert delivery.ended == "closed by the client"
    assert delivery.answer_body_bytes_sent < size // 2


def test_a_private_address_is_refused_before_any_connection(receiver, route):
    for url in (
        receiver.url("/", host="intranet.example.test"),
        f"http://10.0.0.7:{receiver.http_address[1]}/",
    ):
        error = failure(url, route=route)
        assert (error.permanent, error.outcome_unknown) == (True, False)
        assert "Private-Use" in error.detail
    assert route.asked == []
    assert receiver.deliveries == []


def test_an_address_the_route_refuses_is_permanent(receiver, route):
    error = failure(receiver.url("/", host="public.example.test"), route=route)
    assert error.permanent
    assert "outside the sandbox" in error.detail
    assert receiver.deliveries == []


def test_an_address_the_route_refuses_is_passed_over_for_the_next(receiver, route):
    assert post(receiver.url("/", host="half.example.test"), route=route) == 204
    assert route.asked == ["192.0.2.11", "127.0.0.1"]


def test_plain_http_is_refused_unless_the_caller_allows_it(receiver, route):
    error = failure(receiver.url("/", host="hooks.example.test"), allow_http=False, route=route)
    assert error.permanent
    assert "https only" in error.detail
    assert (route.asked, receiver.deliveries) == ([], [])


@pytest.mark.parametrize("url", ["ftp://hooks.example.test/", "https:///nohost", "hooks"])
def test_a_url_that_is_no_web_address_is_permanent(url):
    assert failure(url).permanent


def test_a_certificate_that_does_not_verify_is_a_retryable_tls_failure(receiver):
    # Without the sandbox CA, certifi's bundle does not know the receiver's certificate.
    error = failure(receiver.url("/", host="hooks.example.test", https=True))
    assert (error.permanent, error.outcome_unknown) == (False, False)
    assert "TLS" in error.detail
    assert receiver.deliveries == []


def test_a_closed_port_is_a_retryable_connect_failure():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    error = failure(f"http://hooks.example.test:{port}/")
    assert (error.permanent, error.outcome_unknown) == (False, False)
    assert "cannot connect" in error.detail


def test_a_missing_ca_bundle_is_a_retryable_failure(tmp_path):
    error = failure("https://hooks.example.test/", ca_file=str(tmp_path / "missing.pem"))
    assert (error.permanent, error.outcome_unknown) == (False, False)


# -- answers no HTTP server should give: a raw server ----------------------------------------


class RawServer:
    """Reads one whole request, then does ``answer(connection)``: bytes, a drop, ..."""

    def __init__(self, answer):
        self.answer = answer
        self.requests: list[bytes] = []
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        connection, _ = self.socket.accept()
        with connection:
            connection.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                data += connection.recv(4096)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            while len(body) < length:
                body += connection.recv(4096)
            self.requests.append(head + b"\r\n\r\n" + body)
            self.answer(connection)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.thread.join(timeout=5)
        self.socket.close()


def test_a_connection_dropped_after_the_whole_request_leaves_the_outcome_unknown():
    with RawServer(lambda connection: None) as server:
        error = failure(f"http://hooks.example.test:{server.port}/")
    assert (error.permanent, error.outcome_unknown) == (False, True)
    assert server.requests[0].endswith(BODY)


def test_interim_answers_are_passed_over():
    def answer(connection):
        connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\n\r\n")

    with RawServer(answer) as server:
        assert post(f"http://hooks.example.test:{server.port}/") == 202


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"f" * 20000 + b"\r\n\r\n",
        b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
        b"HTTP/1.1 2OO OK\r\n\r\n",
    ],
    ids=["huge-headers", "not-http", "bad-status"],
)
def test_an_answer_that_is_not_a_readable_status_leaves_the_outcome_unknown(answer):
    with RawServer(lambda connection: connection.sendall(answer)) as server:
        error = failure(f"http://hooks.example.test:{server.port}/", max_header_bytes=16384)
    assert (error.permanent, error.outcome_unknown) == (False, True)
