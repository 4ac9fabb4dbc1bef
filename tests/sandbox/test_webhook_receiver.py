"""The sandbox's webhook receiver, with the standard library's HTTP client: what it verifies
(against the Standard Webhooks test vector and the service's own signing), records and answers."""

import base64
import hashlib
import hmac
import http.client
import json
import os
import time

import pytest

from hotline.integrations.webhooks import webhook_secret_generate, webhook_sign
from sandbox.webhook_receiver import WebhookReceiver, secret_generate, signature_check

# The test vector of the Standard Webhooks reference library's test_sign_function,
# github.com/standard-webhooks/standard-webhooks, libraries/python/tests/test_webhooks.py.
VECTOR = {
    "secrets": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    "message_id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "timestamp": "1614265330",
    "signatures": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    "body": b'{"test": 2432232314}',
}
SECRET = webhook_secret_generate()


def signed_headers(body: bytes, secret: str = SECRET, message_id: str = "msg_1") -> dict:
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook_sign(secret, message_id, timestamp, body),
    }


def deliver(receiver: WebhookReceiver, body: bytes, headers: dict, path: str = "/") -> int:
    connection = http.client.HTTPConnection(*receiver.http_address, timeout=10)
    try:
        connection.request("POST", path, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_standards_test_vector_verifies():
    assert signature_check(**VECTOR, now=1614265330) == ""
    assert signature_check(**{**VECTOR, "body": b"{}"}, now=1614265330) == "no v1 signature matches"
    assert "more than 300 s" in signature_check(**VECTOR, now=1614265330 + 301)


def test_any_of_several_secrets_and_signatures_verifies():
    other = secret_generate()
    vector = {**VECTOR, "secrets": [other, *VECTOR["secrets"]]}
    vector["signatures"] = "v1a,AAAA v1,AAAA " + VECTOR["signatures"]
    assert signature_check(**vector, now=1614265330) == ""


def test_a_generated_secret_is_the_standards_format():
    secret = secret_generate()
    key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    assert secret.startswith("whsec_") and len(key) == 32


def test_a_verified_delivery_is_recorded_and_answered_204(tmp_path):
    log = tmp_path / "webhooks.jsonl"
    body = json.dumps({"type": "notice.sent", "data": {"notice": "N-7"}}).encode()
    with WebhookReceiver([SECRET], log_file=log) as receiver:
        assert deliver(receiver, body, signed_headers(body), "/in") == 204
        assert receiver.wait_answered()
    [delivery] = receiver.deliveries
    assert (delivery.id, delivery.verified, delivery.answered) == ("msg_1", True, 204)
    assert delivery.body == {"type": "notice.sent", "data": {"notice": "N-7"}}
    [line] = log.read_text().splitlines()
    assert json.loads(line) | {"received_at": "-", "timestamp": "-"} == {
        "id": "msg_1",
        "timestamp": "-",
        "verified": True,
        "reason": "",
        "body": {"type": "notice.sent", "data": {"notice": "N-7"}},
        "path": "/in",
        "received_at": "-",
        "answered": 204,
    }


def test_an_unverified_delivery_is_recorded_and_refused_unless_accepted():
    body = b'{"x": 1}'
    forged = signed_headers(body, secret=webhook_secret_generate())
    with WebhookReceiver([SECRET]) as receiver:
        assert deliver(receiver, body, forged) == 401
        assert deliver(receiver, b"not json", signed_headers(b"not json")) == 204
    assert [(d.verified, d.reason) for d in receiver.deliveries] == [
        (False, "no v1 signature matches"),
        (True, ""),
    ]
    assert receiver.deliveries[1].body is None
    with WebhookReceiver([SECRET], accept_unverified=True) as receiver:
        assert deliver(receiver, body, forged) == 204
        assert receiver.deliveries[0].verified is False


def test_it_fails_the_next_requests_as_told_then_answers_as_usual():
    body = b"{}"
    with WebhookReceiver([SECRET]) as receiver:
        receiver.fail(2, status=503)
        receiver.fail(1, status=308)
        answers = [deliver(receiver, body, signed_headers(body)) for _ in range(4)]
    assert answers == [503, 503, 308, 204]


def test_a_stall_delays_the_usual_answer():
    body = b"{}"
    with WebhookReceiver([SECRET]) as receiver:
        receiver.stall(1, seconds=0.3)
        started = time.monotonic()
        assert deliver(receiver, body, signed_headers(body)) == 204
        assert time.monotonic() - started >= 0.3


def test_requests_without_a_length_or_too_large_are_refused():
    with WebhookReceiver([SECRET], max_body_bytes=10) as receiver:
        assert deliver(receiver, b"x" * 11, signed_headers(b"x" * 11)) == 413
        connection = http.client.HTTPConnection(*receiver.http_address, timeout=10)
        connection.putrequest("POST", "/")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        assert connection.getresponse().status == 411
        connection.close()
    assert receiver.deliveries == []


def test_the_secrets_file_is_read_again_when_it_changes(tmp_path):
    secrets_file = tmp_path / "webhook-secrets"
    secrets_file.write_text(secret_generate() + "\n")
    body = b"{}"
    with WebhookReceiver(secrets_file=secrets_file) as receiver:
        assert deliver(receiver, body, signed_headers(body)) == 401
        secrets_file.write_text(f"{secret_generate()}\n\n{SECRET}\n")
        assert deliver(receiver, body, signed_headers(body)) == 204


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_does_not_verify(header):
    body = b"{}"
    headers = signed_headers(body)
    del headers[header]
    with WebhookReceiver([SECRET]) as receiver:
        assert deliver(receiver, body, headers) == 401
    assert "missing" in receiver.deliveries[0].reason


def test_its_verification_is_the_published_algorithm_not_the_services():
    # Computed here from the description alone: HMAC-SHA256 over "{id}.{timestamp}.{body}".
    key = os.urandom(24)
    secret = "whsec_" + base64.b64encode(key).decode()
    digest = hmac.new(key, b"msg_9.1700000000.{}", hashlib.sha256).digest()
    signature = "v1," + base64.b64encode(digest).decode()
    assert signature_check([secret], "msg_9", "1700000000", signature, b"{}", now=1.7e9) == ""
    assert webhook_sign(secret, "msg_9", 1700000000, b"{}") == signature
