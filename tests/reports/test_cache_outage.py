"""A cache outage never costs a report: the throttles fall back to a per-process limit.

The cache only counts requests. With it pointed at a port nothing listens on (a real Redis URL,
so the real client fails the way it does when Redis is stopped), every intake path still stores
the report, and the limit still holds, counted in the web process's own memory.
"""

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import time_machine
from django.core.cache import caches
from django.test import override_settings
from rest_framework.test import APIClient

from hotline.services import provider_api_key_create
from hotline.throttling import FailSafeCache, PublicIntakeThrottle
from reports.models import Report
from tests.reports.factories import ProviderFactory
from tests.reports.live_worker import RedisServer

pytestmark = pytest.mark.django_db

INTAKE = "/api/v1/reports/"
ROOT = Path(__file__).resolve().parents[2]
RATES = PublicIntakeThrottle.THROTTLE_RATES  # DRF's one dict of rates, shared by every throttle


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_cache(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }


@pytest.fixture
def cache_down():
    # Restored when this fixture ends, before the suite's own clean-up clears the cache.
    with override_settings(CACHES=redis_cache(closed_port())):
        yield


@pytest.fixture
def three_a_minute(monkeypatch):
    for scope in ("public_intake", "partner", "provider", "report_status"):
        monkeypatch.setitem(RATES, scope, "3/min")


def form_post(client, url):
    return client.post("/report/", f"url={url}", content_type="application/x-www-form-urlencoded")


def test_the_cache_really_is_down(cache_down):
    with pytest.raises(redis.exceptions.ConnectionError):
        caches["default"].get("anything")


def test_public_reports_are_stored_and_still_limited(cache_down, three_a_minute, caplog):
    client = APIClient()
    with caplog.at_level(logging.WARNING, logger="hotline.throttling"):
        answers = [
            client.post(INTAKE, {"url": f"https://s{n}.example.com/"}, format="json")
            for n in range(4)
        ]

    assert [answer.status_code for answer in answers] == [201, 201, 201, 429]
    assert set(Report.objects.values_list("host", flat=True)) == {
        "s0.example.com",
        "s1.example.com",
        "s2.example.com",
    }
    warnings = [r.getMessage() for r in caplog.records if r.name == "hotline.throttling"]
    assert len(warnings) == 1, warnings  # once per outage, not once per request
    assert "per-process" in warnings[0]


def test_the_form_stores_the_report_and_shares_the_fallback_limit(cache_down, three_a_minute):
    client = APIClient()
    api = client.post(INTAKE, {"url": "https://s0.example.com/"}, format="json")
    forms = [form_post(client, f"https://f{n}.example.com/") for n in range(3)]

    assert api.status_code == 201
    assert [form.status_code for form in forms] == [303, 303, 429]
    assert "try again" in forms[-1].content.decode().lower()
    assert Report.objects.count() == 3


def test_a_partner_batch_is_filed_and_still_limited(cache_down, three_a_minute, partner_client):
    def batch(n):
        body = {"reports": [{"url": f"https://p{n}.example.com/", "external_id": f"X-{n}"}]}
        return partner_client.post("/api/v1/partner/reports/", body, format="json")

    answers = [batch(n) for n in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer.json()["created"] for answer in answers[:3]] == [1, 1, 1]
    assert Report.objects.filter(channel="partner").count() == 3


def test_providers_read_their_notices_and_are_still_limited(cache_down, three_a_minute):
    provider = ProviderFactory()
    _, key = provider_api_key_create(provider_name=provider.name, key_name="desk")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    answers = [client.get("/api/v1/provider/notices/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]


def test_the_status_endpoint_answers_and_is_still_limited(cache_down, three_a_minute):
    client = APIClient()
    answers = [
        client.get(f"{INTAKE}HL-0000-0000/status/", headers={"X-Tracking-Secret": "x"})
        for _ in range(4)
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404, 429]


def test_the_fallback_budget_comes_back_after_the_period(cache_down, three_a_minute):
    client = APIClient()
    with time_machine.travel("2031-01-01 12:00:00Z", tick=False) as clock:
        for n in range(3):
            client.post(INTAKE, {"url": f"https://s{n}.example.com/"}, format="json")
        late = client.post(INTAKE, {"url": "https://late.example.com/"}, format="json")
        clock.shift(61)
        later = client.post(INTAKE, {"url": "https://later.example.com/"}, format="json")

    assert (late.status_code, later.status_code) == (429, 201)


# --- a real Redis stopped and started again ---------------------------------------------------


@pytest.fixture
def own_redis(tmp_path):
    """A Redis of the test's own (the shared one is never stopped), as the throttles' cache."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        with override_settings(CACHES=redis_cache(server.port)):
            yield server
    finally:
        server.stop()


@pytest.mark.redis
def test_counting_moves_to_the_process_and_back_to_redis(own_redis, three_a_minute):
    client = APIClient()
    counters = own_redis.client()

    def post(name):
        return client.post(INTAKE, {"url": f"https://{name}.example.com/"}, format="json")

    with time_machine.travel("2031-01-01 12:00:00Z", tick=False) as clock:
        assert post("before").status_code == 201
        assert len(counters.keys("*public_intake*")) == 1  # counted in the shared cache

        own_redis.stop()
        during = [post(f"during{n}").status_code for n in range(4)]

        own_redis.start()
        clock.shift(FailSafeCache.retry_seconds + 1)  # the fallback budget is still spent
        after = post("after")
        assert len(counters.keys("*public_intake*")) == 1

    assert during == [201, 201, 201, 429]
    assert after.status_code == 201  # counted in the restarted Redis, which was empty
    assert Report.objects.count() == 5


@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never answers: a hung Redis."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)  # the kernel completes the handshakes; nobody ever reads
        yield server.getsockname()[1]


def test_a_hung_cache_costs_a_fraction_of_a_second(silent_server):
    # The settings are read at start-up, so a fresh process reads CACHE_URL as production does.
    probe = (
        "import time, django; django.setup()\n"
        "from hotline.throttling import throttle_cache\n"
        "started = time.monotonic()\n"
        "for _ in range(3): throttle_cache.get('x')\n"
        "print(time.monotonic() - started)\n"
    )
    env = os.environ | {
        "CACHE_URL": f"redis://127.0.0.1:{silent_server}/0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "ERROR",
    }
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    elapsed = float(done.stdout.strip().splitlines()[-1])
    assert elapsed < 2, elapsed  # one wait on the socket timeout, then the fallback
