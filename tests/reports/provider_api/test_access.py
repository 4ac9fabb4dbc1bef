"""The provider API: who may call it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from hotline.models import Provider, ProviderAPIKey
from hotline.throttling import ProviderThrottle
from tests.reports.provider_api.support import (
    ALL_ENDPOINTS,
    BASE,
    call,
    client_for,
    key_create,
    rows,
)

pytestmark = pytest.mark.django_db


# --- who may call it --------------------------------------------------------------------------


def _revoked(world):
    key = key_create(world.alpha.name)
    ProviderAPIKey.objects.filter(pk=ProviderAPIKey.objects.get_from_key(key).pk).update(
        revoked=True
    )
    return f"Api-Key {key}"


def _expired(world):
    key = key_create(world.alpha.name)
    ProviderAPIKey.objects.filter(pk=ProviderAPIKey.objects.get_from_key(key).pk).update(
        expiry_date=timezone.now() - timedelta(days=1)
    )
    return f"Api-Key {key}"


def _partner(world):
    from hotline.services import partner_api_key_create

    return f"Api-Key {partner_api_key_create(partner_name='Partner', key_name='p')[1]}"


def _inactive(world):
    Provider.objects.filter(pk=world.alpha.pk).update(active=False)
    return f"Api-Key {world.key_alpha}"


@pytest.mark.parametrize("endpoint", list(ALL_ENDPOINTS))
@pytest.mark.parametrize(
    ("authorization", "status", "words"),
    [
        pytest.param(lambda w: None, 401, "'Authorization: Api-Key <key>'", id="no key"),
        pytest.param(
            lambda w: f"Bearer {w.key_alpha}", 401, "'Authorization: Api-Key <key>'", id="bearer"
        ),
        pytest.param(
            lambda w: "Api-Key abcdefgh.0123456789abcdef0123456789abcdef",
            401,
            "unknown or has been revoked",
            id="unknown key",
        ),
        pytest.param(_revoked, 401, "unknown or has been revoked", id="revoked key"),
        pytest.param(_expired, 401, "expired on", id="expired key"),
        pytest.param(_partner, 401, "unknown or has been revoked", id="partner key"),
        pytest.param(
            _inactive, 403, "a provider the hotline lists as active", id="inactive provider"
        ),
    ],
)
def test_without_a_valid_provider_key_nothing_is_answered(
    world, endpoint, authorization, status, words
):
    notice = world.notice(world.alpha)
    header = authorization(world)
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    before = rows()

    response = call(client, endpoint, notice.pk)

    assert response.status_code == status
    assert words in response.json()["detail"]
    if status == 401:
        assert response["WWW-Authenticate"] == "Api-Key"
    assert rows() == before


def test_a_provider_key_does_not_open_the_partner_api(world):
    response = world.client("alpha").post(
        "/api/v1/partner/reports/", {"reports": [{"url": "https://a.example/x"}]}, format="json"
    )
    assert response.status_code == 401


def test_the_throttle_counts_per_key(world, monkeypatch):
    monkeypatch.setitem(ProviderThrottle.THROTTLE_RATES, "provider", "3/min")
    second_key_of_alpha = client_for(key_create(world.alpha.name))

    answers = [world.client("alpha").get(BASE).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    limited = world.client("alpha").get(BASE)
    assert limited.status_code == 429
    assert "available in" in limited.json()["detail"]
    assert int(limited["Retry-After"]) > 0
    assert world.client("beta").get(BASE).status_code == 200
    assert second_key_of_alpha.get(BASE).status_code == 200
    world.clock.shift(timedelta(minutes=1, seconds=1))
    assert world.client("alpha").get(BASE).status_code == 200
