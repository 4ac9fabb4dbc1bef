"""The partner API: POST /api/v1/partner/reports/, bulk intake with an API key."""

import base64
import json
import math
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from hotline.models import PartnerAPIKey
from hotline.services import partner_api_key_create
from reports import intake
from reports.models import Channel, Event, PartnerSubmission, Report, ReportStatus
from tests.reports.factories import ReportFactory

pytestmark = pytest.mark.django_db

ENDPOINT = "/api/v1/partner/reports/"
PUBLIC_CAP = 64 * 1024


def post_batch(client, items, **headers):
    return client.post(ENDPOINT, {"reports": items}, format="json", headers=headers)


def realistic_url(n: int) -> str:
    """A long URL of the kind partners send: hosting paths, tokens and tracking parameters."""
    return (
        f"https://cdn{n % 7}.files-hosting-{n % 13}.example.com/u/{n:08d}/albums/"
        f"2024-summer-collection/{n:06d}/IMG_{n:05d}_preview_full_resolution.jpg"
        f"?session=3f9a8c{n:010d}e4b2d1c7a6f5e4d3c2b1a0f9e8d7c6b5a4&download=1"
        f"&utm_source=forum-post-{n}&utm_medium=referral&utm_campaign=shared-link-{n}"
    )


def rows_written() -> tuple[int, int, int]:
    return Report.objects.count(), Event.objects.count(), PartnerSubmission.objects.count()


# --- who may use it ---------------------------------------------------------------------------


def _revoked(partner_key):
    api_key, key, _ = partner_api_key_create(partner_name="Partner Hotline", key_name="old")
    PartnerAPIKey.objects.filter(pk=api_key.pk).update(revoked=True)
    return f"Api-Key {key}"


def _expired(partner_key):
    api_key, key, _ = partner_api_key_create(partner_name="Partner Hotline", key_name="old")
    PartnerAPIKey.objects.filter(pk=api_key.pk).update(
        expiry_date=timezone.now() - timedelta(days=1)
    )
    return f"Api-Key {key}"


def _inactive_partner(partner_key):
    partner, key = partner_key
    type(partner).objects.filter(pk=partner.pk).update(active=False)
    return f"Api-Key {key}"


@pytest.mark.parametrize(
    ("authorization", "status", "words"),
    [
        pytest.param(
            lambda pk: None,
            401,
            "sent as the header 'authorization: api-key <key>'",
            id="no key",
        ),
        pytest.param(
            lambda pk: f"Bearer {pk[1]}",
            401,
            "sent as the header 'authorization: api-key <key>'",
            id="right key, wrong keyword",
        ),
        pytest.param(
            lambda pk: "Api-Key AbCdEfGh.notarealkeyatall0123456789",
            401,
            "unknown or has been revoked",
            id="unknown key",
        ),
        pytest.param(
            lambda pk: f"Api-Key {pk[1][:-2]}xx",
            401,
            "unknown or has been revoked",
            id="right prefix, wrong secret",
        ),
        pytest.param(_revoked, 401, "unknown or has been revoked", id="revoked key"),
        pytest.param(_expired, 401, "expired on", id="expired key"),
        pytest.param(_inactive_partner, 403, "needs a partner api key", id="inactive partner"),
    ],
)
def test_a_batch_without_a_usable_partner_key_is_refused(partner_key, authorization, status, words):
    client = APIClient()
    credentials = authorization(partner_key)
    if credentials is not None:
        client.credentials(HTTP_AUTHORIZATION=credentials)

    response = post_batch(client, [{"url": "https://images.example.com/1"}])

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert words in response.json()["detail"].lower()
    if status == 401:
        assert response["WWW-Authenticate"] == "Api-Key"
    assert rows_written() == (0, 0, 0)


def test_a_public_reporter_cannot_use_the_partner_endpoint(api_client):
    response = post_batch(api_client, [{"url": "https://images.example.com/1"}])

    assert response.status_code == 401
    assert rows_written() == (0, 0, 0)


# --- answers per item -------------------------------------------------------------------------

A = "https://images.example.com/gallery/1"
ENCODED = base64.b85encode(random.Random(11).randbytes(400)).decode()  # 500 characters


def test_a_mixed_batch_is_answered_item_by_item(partner_client, partner_key):
    existing = ReportFactory(submitted_url="https://known.example.org/page")
    items = [
        {"url": A, "external_id": "p-1", "description": "front page"},
        {"url": "HTTPS://IMAGES.EXAMPLE.COM:443/gallery/1#top", "external_id": "p-2"},
        {"url": "https://known.example.org/page", "external_id": "p-3"},
        {"url": "ftp://files.example.com/a.zip", "external_id": "p-4"},
        {"url": "http://192.168.0.10/cam.jpg", "external_id": "p-5"},
        {"url": "https://images.example.com/2", "description": ENCODED, "external_id": "p-6"},
        {"url": "https://images.example.com/3", "description": "x " * 1001},
        {"external_id": "p-8"},
        "https://images.example.com/4",
        {"url": "https://images.example.com/5", "external_id": 9},
        {"url": "https://images.example.com/6", "external_id": "p-10"},
    ]

    response = post_batch(partner_client, items)

    assert response.status_code == 200
    body = response.json()
    results = body["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["outcome"] for r in results] == [
        "created",
        "duplicate",
        "duplicate",
        *["rejected"] * 7,
        "created",
    ]
    assert (body["created"], body["duplicate"], body["rejected"]) == (2, 2, 7)
    assert [r["external_id"] for r in results] == [
        *("p-1", "p-2", "p-3", "p-4", "p-5", "p-6", ""),
        *("p-8", "", "", "p-10"),
    ]
    reasons = [r.get("reason", "") for r in results]
    assert '"ftp:" scheme' in reasons[3]
    assert "private" in reasons[4]
    assert "encoded data" in reasons[5]
    assert "2001 characters; at most 2000" in reasons[6]
    assert "url: A URL is required" in reasons[7]
    assert "must be an object" in reasons[8]
    assert "external_id: This field must be text" in reasons[9]
    assert all("reference" not in r for r in results if r["outcome"] == "rejected")

    partner, _ = partner_key
    first = Report.objects.get(reference=results[0]["reference"])
    assert (first.status, first.channel, first.partner, first.external_id) == (
        ReportStatus.NEW,
        Channel.PARTNER,
        partner,
        "p-1",
    )
    assert first.description == "front page"
    assert first.tracking_secret_hash == ""
    assert Report.objects.get(reference=results[1]["reference"]).duplicate_of == first
    assert Report.objects.get(reference=results[2]["reference"]).duplicate_of == existing
    assert Report.objects.filter(partner=partner).count() == 4  # rejected items store nothing
    assert Event.objects.count() == 4


def test_the_same_url_twice_in_one_batch_opens_one_report_counted_twice(partner_client):
    response = post_batch(partner_client, [{"url": A}, {"url": A + "?"}, {"url": A + "#x"}])

    outcomes = [r["outcome"] for r in response.json()["results"]]
    assert outcomes == ["created", "duplicate", "duplicate"]
    original = Report.objects.get(status=ReportStatus.NEW)
    assert original.times_reported == 3
    assert set(original.duplicates.all()) == set(Report.objects.filter(status="duplicate"))
    assert original.duplicates.count() == 2


def test_batch_items_duplicating_an_open_report_are_counted_on_it(partner_client):
    existing = ReportFactory(submitted_url=A, status=ReportStatus.IN_REVIEW)

    response = post_batch(partner_client, [{"url": A}, {"url": A}])

    assert [r["outcome"] for r in response.json()["results"]] == ["duplicate", "duplicate"]
    existing.refresh_from_db()
    assert existing.times_reported == 3
    assert existing.status == ReportStatus.IN_REVIEW
    assert existing.duplicates.count() == 2


def test_a_batch_url_matching_only_closed_reports_opens_a_recurrence(partner_client):
    older = ReportFactory(submitted_url=A, status=ReportStatus.REMOVED)
    newer = ReportFactory(submitted_url=A, status=ReportStatus.CLOSED)
    ReportFactory(submitted_url=A, status=ReportStatus.DUPLICATE, duplicate_of=newer)

    response = post_batch(partner_client, [{"url": A}, {"url": A}])

    created, duplicate = response.json()["results"]
    assert (created["outcome"], duplicate["outcome"]) == ("created", "duplicate")
    recurrence = Report.objects.get(reference=created["reference"])
    assert recurrence.previous == newer
    assert recurrence.previous != older
    assert recurrence.times_reported == 2


def test_every_filed_item_has_an_event_naming_the_key(partner_client, partner_key):
    partner, _ = partner_key
    api_key = partner.api_keys.get()

    post_batch(partner_client, [{"url": A, "description": "Summer camp photos"}, {"url": A}])

    events = list(Event.objects.select_related("report"))
    assert len(events) == 2
    for event in events:
        assert event.verb == "received"
        assert event.to_status == event.report.status
        assert event.actor_kind == Event.ActorKind.API_KEY
        assert event.actor_label == f"partnerapikey:{api_key.prefix}"
        assert event.data["partner"] == partner.pk
        assert "Summer camp" not in json.dumps(event.data)


# --- batch limits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param(
            {"reports": [{"url": f"https://s{n}.example.com/"} for n in range(1001)]},
            "no more than 1000 elements",
            id="1001 items",
        ),
        pytest.param({"reports": []}, "at least 1 elements", id="empty batch"),
        pytest.param({}, "this field is required", id="no reports key"),
        pytest.param({"reports": {"url": A}}, "expected a list", id="reports not a list"),
        pytest.param([{"url": A}], "expected a dictionary", id="bare list"),
    ],
)
def test_a_malformed_batch_is_refused_whole(partner_client, body, words):
    response = partner_client.post(ENDPOINT, body, format="json")

    assert response.status_code == 400
    fields = response.json()["fields"]
    assert words in json.dumps(fields).lower()
    assert rows_written() == (0, 0, 0)


def test_a_batch_of_exactly_1000_items_is_filed(partner_client):
    response = post_batch(
        partner_client, [{"url": f"https://s{n}.example.com/"} for n in range(1000)]
    )

    assert response.status_code == 200
    assert response.json()["created"] == 1000
    assert Report.objects.count() == Event.objects.count() == 1000


def test_the_partner_body_cap_is_larger_than_the_public_one(partner_client):
    items = [
        {"url": realistic_url(n), "external_id": f"case-{n:06d}", "description": "seen on forum"}
        for n in range(200)
    ]
    body = json.dumps({"reports": items})
    assert len(body.encode()) > PUBLIC_CAP

    response = partner_client.post(ENDPOINT, body, content_type="application/json")

    assert response.status_code == 200
    assert response.json()["created"] == 200
    assert Report.objects.count() == 200


@pytest.mark.parametrize(
    ("send", "status", "words"),
    [
        pytest.param(
            lambda c: c.post(
                ENDPOINT,
                json.dumps({"reports": [{"url": A, "description": "x" * 1000}] * 5300}),
                content_type="application/json",
            ),
            413,
            "the limit is 5242880 bytes",
            id="body over the partner cap",
        ),
        pytest.param(
            lambda c: c.post(ENDPOINT, {"reports": A}, format="multipart"),
            415,
            "file uploads are not accepted",
            id="multipart",
        ),
        pytest.param(
            lambda c: c.post(
                ENDPOINT, '{"reports": [{"url": "https://exa', content_type="application/json"
            ),
            400,
            "json parse error",
            id="broken json",
        ),
    ],
)
def test_partner_bodies_that_cannot_be_filed_are_refused(partner_client, send, status, words):
    response = send(partner_client)

    assert response.status_code == status
    assert words in response.json()["detail"].lower()
    assert rows_written() == (0, 0, 0)


# --- one transaction, set-based ---------------------------------------------------------------


@pytest.fixture
def fail_on_the_fifth_event(monkeypatch):
    real_event_build = intake._event_build
    built = []

    def event_build(*args, **kwargs):
        built.append(1)
        if len(built) == 5:
            raise RuntimeError("the disk is full")
        return real_event_build(*args, **kwargs)

    monkeypatch.setattr(intake, "_event_build", event_build)
    return monkeypatch


def test_a_batch_that_fails_part_way_leaves_nothing_behind(partner_client, fail_on_the_fifth_event):
    items = [{"url": f"https://s{n}.example.com/"} for n in range(10)]

    with pytest.raises(RuntimeError, match="disk is full"):
        post_batch(partner_client, items, **{"Idempotency-Key": "batch-1"})

    assert rows_written() == (0, 0, 0)
    fail_on_the_fifth_event.undo()
    retried = post_batch(partner_client, items, **{"Idempotency-Key": "batch-1"})
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried  # the failed attempt left no answer to replay
    assert retried.json()["created"] == 10
    assert rows_written() == (10, 10, 1)


def _insert_capacity(model) -> int:
    """Rows one INSERT may carry: SQLite caps the parameters of a query, PostgreSQL does not."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    return connection.ops.bulk_batch_size(fields, range(10**6))


def _batch_queries(client, size: int, offset: int) -> list[str]:
    """The SQL of a batch of ``size``: half new URLs, a quarter repeated within the batch and a
    quarter duplicating open reports."""
    known = [realistic_url(offset + n) for n in range(size // 4)]
    for url in known:
        ReportFactory(submitted_url=url)
    new = [realistic_url(offset + size + n) for n in range(size // 2)]
    urls = new + new[: size // 4] + known
    with CaptureQueriesContext(connection) as queries:
        response = post_batch(client, [{"url": url} for url in urls])
    body = response.json()
    assert (body["created"], body["duplicate"]) == (size // 2, size // 2)
    return [query["sql"] for query in queries.captured_queries]


def _inserts_into(queries: list[str], model) -> int:
    return sum(sql.startswith(f'INSERT INTO "{model._meta.db_table}"') for sql in queries)


def test_the_number_of_queries_does_not_grow_with_the_batch(partner_client):
    post_batch(partner_client, [{"url": "https://warm-up.example.com/"}])

    small = _batch_queries(partner_client, 8, offset=0)
    large = _batch_queries(partner_client, 500, offset=10_000)

    def not_inserts(queries):
        return [sql.split(" ")[0] for sql in queries if not sql.startswith("INSERT")]

    assert not_inserts(large) == not_inserts(small)
    for model in (Report, Event):
        # One INSERT per table and bulk call, split only where the backend caps parameters.
        assert _inserts_into(large, model) <= _inserts_into(small, model) * math.ceil(
            500 / _insert_capacity(model)
        )
    if connection.vendor == "postgresql":
        assert len(large) == len(small)


# --- Idempotency-Key --------------------------------------------------------------------------

BATCH = [{"url": A, "external_id": "p-1"}, {"url": A}, {"url": "ftp://x.example.com/"}]


def test_a_retried_batch_gets_the_first_answer_and_files_nothing_again(partner_client):
    first = post_batch(partner_client, BATCH, **{"Idempotency-Key": "2031-05-06-batch-7"})
    written = rows_written()

    retry = post_batch(partner_client, BATCH, **{"Idempotency-Key": "2031-05-06-batch-7"})

    assert first.status_code == retry.status_code == 200
    assert "Idempotent-Replayed" not in first
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.content == first.content
    assert rows_written() == written == (2, 2, 1)
    assert Report.objects.get(status=ReportStatus.NEW).times_reported == 2


def test_without_a_key_a_resent_batch_is_filed_again(partner_client):
    post_batch(partner_client, BATCH)
    again = post_batch(partner_client, BATCH)

    assert [r["outcome"] for r in again.json()["results"]] == ["duplicate", "duplicate", "rejected"]
    assert "Idempotent-Replayed" not in again
    assert Report.objects.get(status=ReportStatus.NEW).times_reported == 4


@pytest.mark.parametrize(
    "changed",
    [
        [*BATCH, {"url": "https://images.example.com/extra"}],
        list(reversed(BATCH)),
        [{"url": A, "external_id": "p-2"}, *BATCH[1:]],
    ],
    ids=["an item more", "another order", "another external id"],
)
def test_the_same_key_with_another_batch_is_refused_with_422(partner_client, changed):
    post_batch(partner_client, BATCH, **{"Idempotency-Key": "k-1"})
    written = rows_written()

    response = post_batch(partner_client, changed, **{"Idempotency-Key": "k-1"})

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "Idempotency-Key was already used for a different batch" in detail
    assert "use a new key" in detail.lower()
    assert rows_written() == written


def test_idempotency_keys_belong_to_one_partner(partner_client):
    post_batch(partner_client, BATCH, **{"Idempotency-Key": "daily-1"})
    _, other_key, _ = partner_api_key_create(partner_name="Other Hotline", key_name="k")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Api-Key {other_key}")

    response = post_batch(other, BATCH, **{"Idempotency-Key": "daily-1"})

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    assert [r["outcome"] for r in response.json()["results"]] == [
        "duplicate",
        "duplicate",
        "rejected",
    ]
    assert PartnerSubmission.objects.count() == 2


def test_an_overlong_idempotency_key_is_refused(partner_client):
    response = post_batch(partner_client, BATCH, **{"Idempotency-Key": "k" * 201})

    assert response.status_code == 400
    assert response.json()["fields"] == {"Idempotency-Key": ["At most 200 characters."]}
    assert rows_written() == (0, 0, 0)
