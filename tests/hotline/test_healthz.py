import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db
NOTHING_LISTENS = "127.0.0.1:9"  # the discard port: connections are refused


def healthz_in_a_fresh_process(path="/healthz", **env) -> tuple[int, dict]:
    """GET ``path`` in a new process whose database or broker points where nothing answers."""
    probe = (
        "import django; django.setup(); from django.test import Client; "
        f"r = Client().get({path!r}); print(r.status_code); print(r.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
        check=True,
    )
    status, body = result.stdout.strip().splitlines()[-2:]
    return int(status), json.loads(body)


def test_healthz_answers_200_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "broker": "ok",
        "audit": {"unsealed": 0, "oldest_unsealed_seconds": 0.0, "status": "ok"},
        "delivery": {
            "waiting": 0,
            "oldest_waiting_seconds": 0,
            "retrying": 0,
            "failed_24h": 0,
            "alerts": [],
        },
    }


def test_healthz_names_the_broker_when_it_is_down():
    status, body = healthz_in_a_fresh_process(CELERY_BROKER_URL=f"redis://{NOTHING_LISTENS}/0")
    assert status == 503
    assert body["broker"] == "down" and body["database"] == "ok"
    assert "broker" in body["detail"]


def test_healthz_names_the_database_when_it_is_down():
    status, body = healthz_in_a_fresh_process(
        DATABASE_URL=f"postgres://postgres@{NOTHING_LISTENS}/nothing"
    )
    assert status == 503
    assert body["database"] == "down"
    assert "database" in body["detail"]


def test_liveness_stays_200_while_the_broker_is_down():
    broker_down = {"CELERY_BROKER_URL": f"redis://{NOTHING_LISTENS}/0"}
    assert healthz_in_a_fresh_process("/healthz/live", **broker_down) == (200, {"database": "ok"})
    assert healthz_in_a_fresh_process(**broker_down)[0] == 503


def test_liveness_names_the_database_when_it_is_down():
    status, body = healthz_in_a_fresh_process(
        "/healthz/live", DATABASE_URL=f"postgres://postgres@{NOTHING_LISTENS}/nothing"
    )
    assert (status, body["database"]) == (503, "down")


def test_compose_checks_the_web_process_by_its_liveness():
    compose = (settings.BASE_DIR / "docker-compose.yml").read_text()
    assert "127.0.0.1:8000/healthz/live" in compose
