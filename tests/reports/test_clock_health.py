"""/healthz/clock: the deadline clock's readiness, from worker heartbeats and due notices.

Time moves with time-machine; the sweep runs as the beat task would run it (``sweep_due``).
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from hotline.actors import Actor
from reports import tasks
from reports.models import Notice, WorkerHeartbeat
from tests.reports.factories import ActionableReportFactory, StaffUserFactory, notice_send

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STALL = 60


@pytest.fixture
def clock(settings):
    settings.HOTLINE_CLOCK_STALL_SECONDS = STALL
    settings.HOTLINE_TAKEDOWN_DEADLINE = "24h"
    settings.HOTLINE_REMINDER_BEFORE = ""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def sweep() -> str:
    """One beat sweep, through the Celery task, in this process."""
    return tasks.sweep_due.apply().get()


def clock_health(client) -> tuple[int, dict]:
    response = client.get("/healthz/clock")
    return response.status_code, response.json()


def test_a_clock_nobody_has_swept_is_stalled(client, clock):
    status, body = clock_health(client)
    assert status == 503
    assert body["clock"] == "stalled"
    assert body["last_sweep_age_seconds"] is None
    assert body["detail"] == "Clock stalled: no worker has finished a sweep yet."


def test_a_clock_swept_just_now_with_nothing_due_is_ok(client, clock):
    sweep()
    clock.shift(timedelta(seconds=5))

    status, body = clock_health(client)

    assert status == 200
    [node] = WorkerHeartbeat.objects.values_list("node", flat=True)
    assert body == {
        "clock": "ok",
        "last_sweep_age_seconds": 5.0,
        "workers": {node: 5.0},
        "due_notices": 0,
        "oldest_due_age_seconds": None,
        "stall_after_seconds": STALL,
    }


def test_no_sweep_for_longer_than_the_limit_is_a_stall_but_the_web_stays_live(client, clock):
    sweep()
    clock.shift(timedelta(seconds=STALL))
    assert clock_health(client)[0] == 200

    clock.shift(timedelta(seconds=1))
    status, body = clock_health(client)

    assert status == 503
    assert body["last_sweep_age_seconds"] == STALL + 1
    assert body["detail"] == f"Clock stalled: no worker has finished a sweep for {STALL + 1} s."
    # The web process's own liveness (compose's health check) does not depend on the clock.
    assert client.get("/healthz").status_code == 200
    sweep()
    assert clock_health(client)[0] == 200


def test_a_due_notice_left_unfired_is_a_stall_even_while_workers_sweep(client, clock):
    analyst = Actor.for_user(StaffUserFactory(username="ann", role="analyst"))
    notice = notice_send(ActionableReportFactory().pk, actor=analyst)
    clock.move_to(notice.deadline_at)
    heartbeat = WorkerHeartbeat.objects.create(node="celery@a", swept_at=notice.deadline_at)
    assert clock_health(client)[1]["due_notices"] == 1

    # A worker that only records heartbeats, its sweeps firing nothing: the notice waits.
    clock.shift(timedelta(seconds=STALL + 30))
    heartbeat.swept_at = T0 + timedelta(hours=24, seconds=STALL + 25)
    heartbeat.save()
    status, body = clock_health(client)

    assert status == 503
    assert (body["due_notices"], body["oldest_due_age_seconds"]) == (1, STALL + 30)
    assert body["last_sweep_age_seconds"] == 5.0
    assert body["detail"] == (
        f"Clock stalled: 1 due notice(s) not fired, the oldest due {STALL + 30} s ago."
    )

    assert "1 overdue" in sweep()
    assert Notice.objects.get(pk=notice.pk).status == Notice.Status.OVERDUE
    status, body = clock_health(client)
    assert status == 200
    assert (body["due_notices"], body["oldest_due_age_seconds"]) == (0, None)


def test_heartbeats_of_workers_gone_for_a_day_are_dropped(client, clock):
    WorkerHeartbeat.objects.create(node="celery@old-container", swept_at=T0)
    clock.shift(timedelta(days=1, seconds=1))
    sweep()
    [node] = WorkerHeartbeat.objects.values_list("node", flat=True)
    assert node != "celery@old-container"
    assert list(clock_health(client)[1]["workers"]) == [node]
