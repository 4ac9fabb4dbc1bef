"""The public API: POST /api/v1/reports/ and GET /api/v1/reports/{reference}/status/."""

import base64
import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile

from hotline.throttling import PublicIntakeThrottle
from reports.models import Channel, Event, Report, ReportStatus
from tests.reports.factories import stored_values

pytestmark = pytest.mark.django_db

ENDPOINT = "/api/v1/reports/"
URL = "https://images.example.com/gallery/42?page=3"
RECEIPT_KEYS = {"reference", "tracking_secret", "status", "status_url"}


def post_json(client, data, **extra):
    return client.post(ENDPOINT, data, format="json", **extra)


def post_form(client, data, **extra):
    return client.post(
        ENDPOINT, urlencode(data), content_type="application/x-www-form-urlencoded", **extra
    )


def get_status(client, reference, secret=None):
    headers = {} if secret is None else {"X-Tracking-Secret": secret}
    return client.get(f"{ENDPOINT}{reference}/status/", headers=headers)


def message_of(response) -> str:
    """Everything the error body says, as one lower-case string."""
    body = response.json()
    messages = [body["detail"]]
    for problems in body.get("fields", {}).values():
        messages.extend(problems)
    return " ".join(messages).lower()


def assert_nothing_written():
    assert Report.objects.count() == 0
    assert Event.objects.count() == 0


# --- submitting -------------------------------------------------------------------------------


@pytest.mark.parametrize("post", [post_json, post_form], ids=["json", "form"])
def test_a_report_is_received_with_reference_and_tracking_secret(api_client, post):
    response = post(
        api_client,
        {
            "url": URL,
            "description": "Third picture from the left",
            "reporter_email": "someone@example.org",
            "category": "abuse_imagery",
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == RECEIPT_KEYS
    assert body["status"] == "received"
    assert body["status_url"] == f"/api/v1/reports/{body['reference']}/status/"
    report = Report.objects.get()
    assert report.reference == body["reference"]
    assert report.canonical_url == URL
    assert report.channel == Channel.API
    assert report.description == "Third picture from the left"
    assert report.reporter_email == "someone@example.org"
    assert report.category == "abuse_imagery"
    assert get_status(api_client, body["reference"], body["tracking_secret"]).status_code == 200


def test_the_answer_does_not_reveal_that_the_url_was_already_reported(api_client):
    first = post_json(api_client, {"url": URL})
    again = post_json(api_client, {"url": "HTTPS://IMAGES.EXAMPLE.COM:443/gallery/42?page=3#x"})

    assert Report.objects.get(reference=again.json()["reference"]).status == "duplicate"
    assert first.status_code == again.status_code == 201
    assert set(first.json()) == set(again.json()) == RECEIPT_KEYS
    assert first.json()["status"] == again.json()["status"] == "received"
    assert first.json()["reference"] != again.json()["reference"]
    assert first.headers.keys() == again.headers.keys()
    for receipt in (first.json(), again.json()):
        status = get_status(api_client, receipt["reference"], receipt["tracking_secret"]).json()
        assert status["status"] == "received"


# --- following a report -----------------------------------------------------------------------


@pytest.fixture
def receipt(api_client):
    return post_json(api_client, {"url": URL}).json()


def test_the_reporter_sees_the_status_with_the_tracking_secret(api_client, receipt):
    response = get_status(api_client, receipt["reference"], receipt["tracking_secret"])

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"reference", "status", "changed_at", "outcome"}
    assert body["reference"] == receipt["reference"]
    assert (body["status"], body["outcome"]) == ("received", None)
    report = Report.objects.get()
    assert body["changed_at"].replace("Z", "+00:00") == report.received_at.isoformat()


def test_a_reference_typed_in_lower_case_is_found(api_client, receipt):
    response = get_status(api_client, receipt["reference"].lower(), receipt["tracking_secret"])

    assert response.status_code == 200
    assert response.json()["reference"] == receipt["reference"]


def test_without_the_right_secret_a_report_cannot_be_told_from_a_missing_one(api_client, receipt):
    other = post_json(api_client, {"url": "https://other.example.net/"}).json()
    attempts = {
        # A different last character, whatever the secret ends in.
        "wrong secret": (
            receipt["reference"],
            receipt["tracking_secret"][:-1]
            + ("y" if receipt["tracking_secret"][-1] == "x" else "x"),
        ),
        "missing secret": (receipt["reference"], None),
        "empty secret": (receipt["reference"], ""),
        "another report's secret": (receipt["reference"], other["tracking_secret"]),
        "unknown reference": ("HL-0000-0000", receipt["tracking_secret"]),
    }

    responses = {name: get_status(api_client, *attempt) for name, attempt in attempts.items()}

    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(attempts, 404)
    bodies = {json.dumps(r.json(), sort_keys=True) for r in responses.values()}
    assert len(bodies) == 1, bodies
    assert "reference and tracking secret" in responses["wrong secret"].json()["detail"]


@pytest.mark.parametrize(
    ("original_status", "shown"),
    [
        (ReportStatus.NEW, "in_progress"),
        (ReportStatus.IN_REVIEW, "in_progress"),
        (ReportStatus.ACTIONABLE, "in_progress"),
        (ReportStatus.ON_HOLD, "in_progress"),
        (ReportStatus.TAKEDOWN_REQUESTED, "in_progress"),
        (ReportStatus.OVERDUE, "in_progress"),
        (ReportStatus.CLOSED, "closed"),
        (ReportStatus.FORWARDED, "closed"),
        (ReportStatus.REMOVED, "closed"),
    ],
)
def test_a_duplicate_shows_the_status_of_its_original(api_client, original_status, shown):
    with time_machine.travel(datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC), tick=False) as clock:
        original = post_json(api_client, {"url": URL}).json()
        duplicate = post_json(api_client, {"url": URL + "#again"}).json()
        clock.shift(timedelta(hours=2))
        Report.objects.filter(reference=original["reference"]).update(
            status=original_status, status_changed_at=datetime.now(UTC)
        )
        clock.shift(timedelta(days=2))

        for receipt in (original, duplicate):
            body = get_status(api_client, receipt["reference"], receipt["tracking_secret"]).json()
            assert body["status"] == shown
            assert body["changed_at"] == "2031-05-07T00:00:00Z"
    assert Report.objects.get(reference=duplicate["reference"]).status == "duplicate"


# --- refusals ---------------------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200)
BASE64_BLOCK = base64.b64encode(random.Random(3).randbytes(300)).decode()  # 400 characters


@pytest.mark.parametrize(
    ("send", "status", "words"),
    [
        pytest.param(
            lambda c: c.post(
                ENDPOINT,
                {"url": URL, "evidence": SimpleUploadedFile("a.jpg", JPEG, "image/jpeg")},
                format="multipart",
            ),
            415,
            ["file uploads are not accepted", "never attach the material"],
            id="multipart with a file part",
        ),
        pytest.param(
            lambda c: c.post(ENDPOINT, {"url": URL}, format="multipart"),
            415,
            ["file uploads are not accepted", "form fields or json"],
            id="multipart without files",
        ),
        pytest.param(
            lambda c: post_json(c, {"url": URL, "description": "a " * 35_000}),
            413,
            ["the limit is 65536 bytes", "url and a short description"],
            id="json body over 64 KiB",
        ),
        pytest.param(
            lambda c: post_form(c, {"url": URL, "description": "b" * 66_000}),
            413,
            ["the limit is 65536 bytes"],
            id="form body over 64 KiB",
        ),
        pytest.param(
            lambda c: c.post(ENDPOINT, URL, content_type="text/plain"),
            415,
            ["send json (application/json) or form fields", "files are never accepted"],
            id="text/plain",
        ),
        pytest.param(
            lambda c: c.post(ENDPOINT, '{"url": "https://exa', content_type="application/json"),
            400,
            ["json parse error"],
            id="broken json",
        ),
    ],
)
def test_bodies_that_could_carry_material_are_refused(api_client, send, status, words):
    response = send(api_client)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    for word in words:
        assert word in message_of(response)
    assert_nothing_written()


def test_the_body_cap_counts_bytes_not_characters(api_client):
    # 22,000 three-byte characters: 66 KB on the wire, though only 22,000 characters long.
    body = json.dumps({"url": URL, "description": "€" * 22_000}, ensure_ascii=False)
    assert len(body) < 64 * 1024 < len(body.encode())

    response = api_client.post(ENDPOINT, body.encode(), content_type="application/json")

    assert response.status_code == 413
    assert_nothing_written()


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ", "data"),
        ("blob:https://images.example.com/550e8400-e29b-41d4-a716-446655440000", "blob"),
        ("javascript:alert(document.cookie)", "javascript"),
        ("JavaScript:alert(1)", "javascript"),
        ("file:///C:/Users/someone/Pictures/a.jpg", "file"),
        ("ftp://files.example.com/pub/a.zip", "ftp"),
        ("mailto:someone@example.com", "mailto"),
    ],
)
def test_non_web_schemes_are_refused_naming_the_scheme(api_client, url, scheme):
    response = post_json(api_client, {"url": url})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["url"]
    assert f'"{scheme}:" scheme' in message_of(response)
    assert "only http:// and https://" in message_of(response)
    assert_nothing_written()


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://localhost:8000/admin/", "names the computer it is typed on"),
        ("http://intranet.localhost/", "names the computer it is typed on"),
        ("http://127.0.0.1/x.jpg", "loopback"),
        ("http://2130706433/", "loopback"),  # 127.0.0.1 written as one number
        ("http://[::1]/", "loopback"),
        ("http://10.20.30.40/share", "private"),
        ("http://192.168.1.20/cam.jpg", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
    ],
)
def test_addresses_that_are_not_on_the_public_internet_are_refused(api_client, url, words):
    response = post_json(api_client, {"url": url})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["url"]
    assert words in message_of(response)
    assert_nothing_written()


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        pytest.param(
            {"url": URL, "description": f"the picture: {BASE64_BLOCK}"},
            "description",
            "encoded data (about 30",
            id="base64 run",
        ),
        pytest.param(
            {"url": URL, "description": "x " * 1000 + "y"},
            "description",
            "no more than 2000 characters",
            id="description of 2001 characters",
        ),
        pytest.param(
            {"url": URL, "reporter_email": "someone@"},
            "reporter_email",
            "valid email",
            id="invalid e-mail",
        ),
        pytest.param(
            {"url": URL, "category": "spam"},
            "category",
            '"spam" is not a valid choice',
            id="unknown category",
        ),
        pytest.param({"description": "no url"}, "url", "required", id="missing url"),
        pytest.param({"url": "   "}, "url", "may not be blank", id="blank url"),
        pytest.param(
            {"url": "https://example.com/" + "a" * 2100},
            "url",
            "at most 2048",
            id="url too long",
        ),
    ],
)
def test_invalid_fields_are_refused_with_the_reason_beside_the_field(
    api_client, data, field, words
):
    response = post_json(api_client, data)

    assert response.status_code == 400
    body = response.json()
    assert list(body["fields"]) == [field]
    assert "problems listed per field" in body["detail"]
    assert words in message_of(response)
    assert_nothing_written()


def test_text_just_within_the_limits_is_accepted(api_client):
    longest = post_json(api_client, {"url": URL, "description": "x " * 999 + "xy"})
    run_of_199 = post_json(api_client, {"url": URL, "description": "z" * 199})
    no_email = post_json(api_client, {"url": URL, "reporter_email": "", "category": ""})

    assert [r.status_code for r in (longest, run_of_199, no_email)] == [201, 201, 201]
    assert len(Report.objects.get(status="new").description) == 2000


# --- throttling and the reporter's address ----------------------------------------------------


@pytest.fixture
def three_a_minute(monkeypatch):
    # DRF reads the rates into the class when it is defined, so patch them there.
    rates = PublicIntakeThrottle.THROTTLE_RATES | {"public_intake": "3/min"}
    monkeypatch.setattr(PublicIntakeThrottle, "THROTTLE_RATES", rates)


@pytest.fixture
def local_memory_cache(settings):
    """A LocMemCache whatever CACHE_URL says, so the test can read what the throttle keeps."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "throttle-test",
        }
    }
    cache = caches["default"]
    cache.clear()
    yield cache
    cache.clear()


def test_a_client_over_the_rate_gets_429_and_nothing_is_stored(api_client, three_a_minute):
    accepted = [post_json(api_client, {"url": f"https://s{n}.example.com/"}) for n in range(3)]

    refused = post_json(api_client, {"url": "https://s4.example.com/"})

    assert [r.status_code for r in accepted] == [201, 201, 201]
    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"]
    assert 0 < int(refused["Retry-After"]) <= 60
    assert Report.objects.count() == 3
    assert not Report.objects.filter(host="s4.example.com").exists()


def test_the_rate_is_per_client_and_the_budget_comes_back(api_client, three_a_minute):
    with time_machine.travel("2031-01-01 12:00:00Z", tick=False) as clock:
        for n in range(3):
            post_json(api_client, {"url": f"https://s{n}.example.com/"})
        assert post_json(api_client, {"url": "https://s3.example.com/"}).status_code == 429

        other_client = post_json(
            api_client, {"url": "https://s4.example.com/"}, REMOTE_ADDR="198.51.100.7"
        )
        assert other_client.status_code == 201

        clock.shift(61)
        assert post_json(api_client, {"url": "https://s5.example.com/"}).status_code == 201


def test_the_throttle_keeps_only_a_keyed_hash_of_the_address(
    api_client, three_a_minute, local_memory_cache
):
    for n in range(4):
        post_json(api_client, {"url": f"https://s{n}.example.com/"}, REMOTE_ADDR="127.0.0.1")

    keys = list(local_memory_cache._cache)
    assert any("public_intake" in key for key in keys), keys
    unkeyed_hash = hashlib.sha256(b"127.0.0.1").hexdigest()
    for key in keys:
        assert "127.0.0.1" not in key
        assert unkeyed_hash not in key  # an unkeyed hash of an IPv4 address is easily reversed
    for value in local_memory_cache._cache.values():
        assert b"127.0.0.1" not in value


def test_a_forged_x_forwarded_for_does_not_evade_the_throttle(api_client, three_a_minute):
    # Only HOTLINE_NUM_PROXIES trusted proxies may name the client; by default none may.
    codes = [
        post_json(
            api_client,
            {"url": f"https://s{n}.example.com/"},
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(4)
    ]

    assert codes == [201, 201, 201, 429]


def test_the_reporters_address_is_stored_nowhere(api_client, local_memory_cache):
    for url in (URL, URL, "https://other.example.net/"):
        response = post_json(
            api_client, {"url": url, "description": "seen today"}, REMOTE_ADDR="203.0.113.9"
        )
        assert response.status_code == 201

    assert Report.objects.count() == 3
    assert Event.objects.count() == 3
    assert not any("203.0.113.9" in value for value in stored_values())
    assert not any("203.0.113.9" in key for key in local_memory_cache._cache)
