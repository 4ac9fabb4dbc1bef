"""Bodies an attacker shapes to break intake: each answers a JSON error a person can act on."""

import pytest

from reports.models import Event, Report

pytestmark = pytest.mark.django_db

PUBLIC = "/api/v1/reports/"
PARTNER = "/api/v1/partner/reports/"


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


def nested_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def assert_json_error(response, status=400):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return response.json()["detail"]


# --- deeply nested JSON -----------------------------------------------------------------------


@pytest.mark.parametrize("depth", [21, 5_000, 30_000])
def test_deep_json_on_the_public_endpoint_is_refused_with_400(api_client, depth):
    body = '{"url": "https://example.com/", "description": ' + nested(depth) + "}"

    detail = assert_json_error(api_client.post(PUBLIC, body, content_type="application/json"))

    assert "nested" in detail.lower()
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "inner",
    [nested(100_000), nested(5_000), nested(900), nested_object(900), nested(900, '"\\u0000"')],
    ids=["100000", "5000", "900", "900 objects", "900 around a NUL"],
)
def test_deep_json_inside_a_partner_item_is_refused_with_400(partner_client, inner):
    body = '{"reports": [{"url": "https://example.com/", "description": ' + inner + "}]}"

    detail = assert_json_error(partner_client.post(PARTNER, body, content_type="application/json"))

    assert "nested" in detail.lower()
    assert not Report.objects.exists() and not Event.objects.exists()


def test_a_deep_body_is_refused_before_it_is_read_as_a_batch(partner_client):
    detail = assert_json_error(
        partner_client.post(PARTNER, nested(5_000), content_type="application/json")
    )
    assert "nested" in detail.lower()


def test_ordinary_nesting_is_accepted(partner_client):
    item = {"url": "https://example.com/", "extra": {"a": [[{"b": [1, 2]}]]}}

    response = partner_client.post(PARTNER, {"reports": [item]}, format="json")

    assert response.status_code == 200
    assert response.json()["created"] == 1


# --- a null item ------------------------------------------------------------------------------


def test_a_null_item_is_rejected_alone(partner_client):
    items = [{"url": "https://a.example.com/"}, None, "text", 7, {"url": "https://b.example.com/"}]

    response = partner_client.post(PARTNER, {"reports": items}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert [r["outcome"] for r in body["results"]] == [
        "created",
        "rejected",
        "rejected",
        "rejected",
        "created",
    ]
    assert "must be an object" in body["results"][1]["reason"]
    assert Report.objects.count() == 2
