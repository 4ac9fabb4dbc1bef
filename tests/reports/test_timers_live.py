"""Deadlines fire on time and exactly once, whatever the broker loses: a real worker, beat, Redis.

Issue 4, "Reliability tests". Each test commits its data (``transaction=True``), runs real
``celery -A config worker`` / ``celery -A config beat`` processes on the test database and on a
Redis database of their own (this process publishes there too), and reads the outcome from the
database: statuses, audit events, ``OutgoingMessage`` rows and their ``sent_at``. Separate
processes cannot share a patched clock, so time runs for real in seconds (``5s`` deadlines) and
every wait polls the database or a log with a bound.

The scenarios: 1, 5 and 6 need "a worker running" and share one (``TestWithAWorkerRunning``,
no beat: sweeps there are sent through the worker by hand); 2 and 3 start, kill and restart
their own worker and beat; 4 runs two sweeps in two threads of this process.
"""

import ast
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from hotline.actors import Actor
from hotline.roles import role_permissions
from reports import deadlines, workflow
from reports import notices as reports_notices
from reports.models import Escalation, Event, Hold, Notice, OutgoingMessage, Report, ReportStatus
from tests.reports.factories import (
    AgencyFactory,
    ProviderFactory,
    ReportFactory,
    StaffUserFactory,
    notice_hand_off,
)
from tests.reports.live_worker import (
    RESTARTED,
    WAKE_DONE,
    WAKE_RECEIVED,
    LiveCelery,
    RedisServer,
    queued_tasks,
    sweep_through,
    sweeps_done,
    use_broker,
    wait_for_sweeps,
    wait_until,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

S = ReportStatus
KIND = OutgoingMessage.Kind
WAKE_TASK = deadlines.WAKE_TASK
# This process and the workers share these; the long intervals keep later timers out of the way.
BASE_POLICY = {
    "HOTLINE_TAKEDOWN_DEADLINE": "5s",
    "HOTLINE_LEGAL_ORDER_DEADLINE": "5s",
    "HOTLINE_REMINDER_BEFORE": "1h",  # longer than the deadline: no reminder
    "HOTLINE_REPEAT_INTERVAL": "1h",  # only the first repeat (at the deadline) falls in a test
    "HOTLINE_MAX_REPEATS": 3,
    "HOTLINE_ESCALATE_AFTER": "",
    "HOTLINE_ESCALATION_AGENCY": "",
    "HOTLINE_LEA_WINDOW": "",
}
# How late after its moment a timer may act: an ETA task, or a beat sweep every second.
ON_TIME = timedelta(seconds=3)
SLACK = 10  # seconds past a moment that a wait gives up


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """The broker of these tests: a redis-server of their own, which they may flush."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live(settings, tmp_path, transactional_db, redis_server):
    """Starts worker and beat processes; this process publishes to their broker meanwhile."""
    client = redis_server.client()
    client.flushdb()
    with use_broker(redis_server.url):
        celery = LiveCelery(tmp_path, redis_server.url, settings)
        celery.configure(**BASE_POLICY)
        try:
            yield celery
        finally:
            celery.stop_all()  # before pytest-django empties the database
            client.flushdb()
    # No task raised and no sweep logged a failure in any of the processes.
    assert celery.errors() == []


@pytest.fixture(scope="class")
def shared_celery(django_db_setup, tmp_path_factory, redis_server):
    """One worker for a class of tests. It hands the notices over (its delivery tasks), so the
    deadlines it sets are BASE_POLICY's 5 s; later it reads them from the rows."""
    client = redis_server.client()
    client.flushdb()
    with use_broker(redis_server.url):
        celery = LiveCelery(tmp_path_factory.mktemp("shared-worker"), redis_server.url)
        celery.configure(**BASE_POLICY)
        try:
            celery.start_worker()
            yield celery
        finally:
            celery.stop_all()
            client.flushdb()


@pytest.fixture
def worker(shared_celery, settings, transactional_db):
    """The shared worker, its log read from this test on; this process gets BASE_POLICY."""
    for name, value in BASE_POLICY.items():
        setattr(settings, name, value)
    [proc] = shared_celery.procs
    assert proc.alive(), proc.tail()
    proc.mark()
    yield proc
    print(proc.tail(80))  # shown by pytest when the test failed
    assert shared_celery.errors() == []


@pytest.fixture
def supervisor(transactional_db) -> Actor:
    # Emptying the database between transactional tests drops the roles migration's groups:
    # the supervisor gets the role's permissions directly.
    wanted = Q(pk__in=[])
    for code in role_permissions()["supervisor"]:
        app_label, codename = code.split(".")
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    user = StaffUserFactory(username="supervisor")
    user.user_permissions.set(Permission.objects.filter(wanted))
    return Actor.for_user(user)


def actionable_report(actor: Actor, provider) -> Report:
    """A report assessed illegal, its provider known: what an analyst's triage leaves behind."""
    now = timezone.now()
    return ReportFactory(
        status=S.ACTIONABLE,
        status_changed_at=now,
        assigned_to=actor.user,
        claimed_at=now,
        assessed_by=actor.user,
        assessed_at=now,
        legal_status="baseline",
        industry_category="A1",
        media_type="image",
        site_type="image_host",
        commercial=False,
        provider=provider,
        hosting_country="DE",
    )


def send_notice(actor: Actor, report: Report, **kwargs) -> Notice:
    notice = workflow.report_send_notice(report.pk, actor=actor, **kwargs)  # commits: timers go out
    notice.refresh_from_db()
    return notice


def handed_off(notice: Notice) -> Notice:
    """The notice once the worker's delivery task handed its e-mail over: its clock runs."""
    return wait_until(
        lambda: Notice.objects.filter(pk=notice.pk, handed_off_at__isnull=False).first(),
        timeout=SLACK,
        what=f"notice {notice.pk} to be handed off",
    )


def seconds_until(moment: datetime) -> float:
    return max(0.0, (moment - timezone.now()).total_seconds())


def events(notice: Notice, verb: str) -> list[Event]:
    return list(Event.objects.filter(report_id=notice.report_id, verb=verb))


def messages(notice: Notice) -> list[tuple[str, int]]:
    return list(
        OutgoingMessage.objects.filter(notice=notice)
        .order_by("kind", "attempt")
        .values_list("kind", "attempt")
    )


def wait_overdue(notice: Notice) -> Event:
    return wait_until(
        lambda: Event.objects.filter(report_id=notice.report_id, verb="mark_overdue").first(),
        timeout=seconds_until(notice.deadline_at) + SLACK,
        what=f"notice {notice.pk} to turn overdue (deadline {notice.deadline_at:%H:%M:%S.%f})",
    )


def wait_sent(notice: Notice, kind: str, *, timeout: float = SLACK) -> OutgoingMessage:
    return wait_until(
        lambda: OutgoingMessage.objects.filter(
            notice=notice, kind=kind, sent_at__isnull=False
        ).first(),
        timeout=timeout,
        what=f"the {kind} message of notice {notice.pk} to be delivered",
    )


def assert_fired_once(notice: Notice) -> Event:
    """Overdue once: one transition, one audit event, one notice and one repeat, both sent."""
    notice.refresh_from_db()
    assert notice.status == Notice.Status.OVERDUE
    assert Report.objects.get(pk=notice.report_id).status == S.OVERDUE
    [event] = events(notice, "mark_overdue")
    assert event.actor_kind == Event.ActorKind.SYSTEM
    assert notice.deadline_at <= event.at
    assert notice.repeats_sent == 1
    assert messages(notice) == [(KIND.NOTICE, 0), (KIND.REPEAT, 1)]
    return event


def wake_results(worker) -> list[str]:
    """What each notice_wake task the worker ran returned, as logged."""
    return [match.group(1) for match in worker.lines(WAKE_DONE)]


def wake_tasks_for(headers: list[dict]) -> dict[int, list[datetime]]:
    """notice id -> the ETAs of the wake tasks among these task messages."""
    found: dict[int, list[datetime]] = {}
    for header in headers:
        if header["task"] == WAKE_TASK:
            notice_id = ast.literal_eval(header["argsrepr"])[0]
            found.setdefault(notice_id, []).append(datetime.fromisoformat(header["eta"]))
    return found


# --- 1, 5, 6: with a worker running -------------------------------------------------------------


class TestWithAWorkerRunning:
    # 1. A deadline fires on time.
    def test_a_5s_deadline_turns_the_report_overdue_on_time(self, worker, supervisor):
        notice = send_notice(supervisor, actionable_report(supervisor, ProviderFactory()))
        # The notice's on-commit delivery task went from this process to the worker: it is
        # sent, and the clock runs from then.
        notice = handed_off(notice)

        assert notice.deadline_at - notice.handed_off_at == timedelta(seconds=5)
        assert notice.due_at == notice.deadline_at
        wait_sent(notice, KIND.NOTICE)
        event = wait_overdue(notice)
        assert event.at < notice.deadline_at + ON_TIME, event.at - notice.deadline_at
        wait_sent(notice, KIND.REPEAT)
        assert_fired_once(notice)
        # No beat, no sweep: the ETA task scheduled on commit did it.
        assert wake_results(worker) == ["['overdue']"]

    # 5. A hold pauses the clock.
    def test_a_hold_moves_the_deadline_by_its_length_and_nothing_fires_during_it(
        self, worker, supervisor
    ):
        agency = AgencyFactory()
        report = actionable_report(supervisor, ProviderFactory())
        notice = handed_off(send_notice(supervisor, report))
        first_deadline = notice.deadline_at
        workflow.report_hold(
            report.pk,
            actor=supervisor,
            agency_id=agency.pk,
            until=timezone.now() + timedelta(minutes=5),
            agency_reference="INQ-5",
        )
        assert timezone.now() < first_deadline

        # The timer set for the first deadline goes off during the hold and does nothing; a
        # sweep after it finds nothing due either.
        wait_until(
            lambda: wake_results(worker),
            timeout=seconds_until(first_deadline) + SLACK,
            what="the first deadline's timer",
        )
        assert "nothing due" in sweep_through(worker)
        assert timezone.now() > first_deadline
        assert wake_results(worker) == ["[]"]
        assert events(notice, "mark_overdue") == []
        assert messages(notice) == [(KIND.NOTICE, 0)]
        notice.refresh_from_db()
        assert (notice.status, notice.due_at, notice.deadline_at) == (
            Notice.Status.OPEN,
            None,
            first_deadline,
        )
        assert Report.objects.get(pk=report.pk).status == S.ON_HOLD

        workflow.report_hold_release(report.pk, actor=supervisor)

        hold = Hold.objects.get(report=report)
        held = hold.released_at - hold.started_at
        assert held > first_deadline - hold.started_at
        notice.refresh_from_db()
        assert notice.deadline_at == first_deadline + held
        assert notice.due_at == notice.deadline_at
        assert notice.held_seconds == int(held.total_seconds())
        assert Report.objects.get(pk=report.pk).status == S.TAKEDOWN_REQUESTED
        # Only the timer scheduled on release can fire it: no beat runs.
        event = wait_overdue(notice)
        assert event.at < notice.deadline_at + ON_TIME, event.at - notice.deadline_at
        assert event.data["deadline_at"] == notice.deadline_at.isoformat()
        wait_sent(notice, KIND.REPEAT)
        assert_fired_once(notice)
        assert wake_results(worker) == ["[]", "['overdue']"]

    # 6. Police first.
    def test_the_police_window_holds_the_notice_back_and_a_hold_inside_it_stops_it(
        self, worker, supervisor, settings
    ):
        settings.HOTLINE_LEA_WINDOW = "3s"
        window = timedelta(seconds=3)
        police, provider = AgencyFactory(), ProviderFactory()
        free, held = (
            actionable_report(supervisor, provider),
            actionable_report(supervisor, provider),
        )

        scheduled = {}
        for report in (free, held):
            escalation = workflow.report_escalate(
                report.pk,
                actor=supervisor,
                agency_id=police.pk,
                kind=Escalation.Kind.NOTIFICATION,
                channel=Escalation.Channel.EMAIL,
                agency_reference="PV-6",
            )
            notice = send_notice(supervisor, report)
            assert notice.status == Notice.Status.SCHEDULED
            assert notice.scheduled_for == escalation.created_at + window
            assert notice.sent_at is None
            scheduled[report.pk] = notice
        free_notice, held_notice = scheduled[free.pk], scheduled[held.pk]
        workflow.report_hold(
            held.pk,
            actor=supervisor,
            agency_id=police.pk,
            until=timezone.now() + timedelta(minutes=5),
            agency_reference="PV-6",
        )
        assert timezone.now() < held_notice.scheduled_for  # the hold came inside the window

        def free_notice_sent():
            message = OutgoingMessage.objects.filter(notice=free_notice, kind=KIND.NOTICE).first()
            if timezone.now() < free_notice.scheduled_for:
                assert message is None, "a notice went out inside the police window"
            return message

        message = wait_until(
            free_notice_sent,
            timeout=seconds_until(free_notice.scheduled_for) + SLACK,
            what="the notice to go out when the police window ends",
        )
        wait_sent(free_notice, KIND.NOTICE)
        free_notice.refresh_from_db()
        assert message.created_at >= free_notice.scheduled_for
        assert free_notice.status == Notice.Status.OPEN
        assert free_notice.scheduled_for <= free_notice.sent_at
        assert free_notice.sent_at < free_notice.scheduled_for + ON_TIME
        [sent_event] = events(free_notice, "send_notice")
        assert sent_event.actor_kind == Event.ActorKind.SYSTEM
        assert Report.objects.get(pk=free.pk).status == S.TAKEDOWN_REQUESTED

        # The held notice's window ended as well: its timer went off, a sweep ran, nothing sent.
        wait_until(
            lambda: "[]" in wake_results(worker),
            timeout=seconds_until(held_notice.scheduled_for) + SLACK,
            what="the held notice's timer",
        )
        sweep_through(worker)
        assert timezone.now() > held_notice.scheduled_for
        assert sorted(wake_results(worker)) == ["['sent']", "[]"]
        assert messages(held_notice) == []
        assert events(held_notice, "send_notice") == []
        assert Notice.objects.get(pk=held_notice.pk).status == Notice.Status.SCHEDULED
        assert Report.objects.get(pk=held.pk).status == S.ON_HOLD

        # Released, it goes out once the rest of its window has run.
        workflow.report_hold_release(held.pk, actor=supervisor)
        hold = Hold.objects.get(report=held)
        moved = held_notice.scheduled_for + (hold.released_at - hold.started_at)
        held_notice.refresh_from_db()
        assert held_notice.scheduled_for == moved
        message = wait_sent(held_notice, KIND.NOTICE, timeout=seconds_until(moved) + SLACK)
        held_notice.refresh_from_db()
        assert moved <= held_notice.sent_at < moved + ON_TIME
        assert message.created_at >= moved
        assert messages(held_notice) == [(KIND.NOTICE, 0)]


# --- 2. the broker loses every task --------------------------------------------------------------


def test_the_beat_sweep_fires_a_deadline_after_redis_lost_every_task(live, supervisor, mailoutbox):
    report = actionable_report(supervisor, ProviderFactory())
    # No worker runs: this process hands the notices over; the deadline's wake task waits in
    # Redis. A deadline beyond the wake-up horizon (2 minutes) gets no wake task: the sweep alone
    # fires it.
    notice = notice_hand_off(send_notice(supervisor, report))
    live.configure(HOTLINE_TAKEDOWN_DEADLINE="1h")
    later = notice_hand_off(
        send_notice(supervisor, actionable_report(supervisor, ProviderFactory()))
    )
    client = live.broker_client()
    waiting = queued_tasks(client)
    assert later.deadline_at - later.handed_off_at == timedelta(hours=1)
    assert wake_tasks_for(waiting) == {notice.pk: [notice.deadline_at]}

    client.flushall()
    assert client.dbsize() == 0
    assert timezone.now() < notice.deadline_at  # lost before the deadline, not after it

    worker = live.start_worker(wait=False)
    beat = live.start_beat(wait=False)
    live.wait_worker_ready(worker)
    beat.wait_for_log("beat: Starting")

    fired = wait_overdue(notice)
    print(f"FLUSHALL: from deadline to firing {fired.at - notice.deadline_at}")
    wait_sent(notice, KIND.REPEAT)
    # No timer task survived the flush: a beat sweep did it (and later ones found nothing).
    wait_until(
        lambda: any("1 overdue" in summary for summary in sweeps_done(worker)),
        timeout=SLACK,
        what="the sweep that fired the deadline to finish",
    )
    wait_for_sweeps(worker, 1)
    assert wake_results(worker) == []
    assert_fired_once(notice)
    # The notices themselves went once each, handed over before the flush (the worker delivered
    # the repeat).
    sent = OutgoingMessage.objects.filter(kind=KIND.NOTICE)
    assert {message.notice_id for message in sent} == {notice.pk, later.pk}
    assert sorted(mail.subject for mail in mailoutbox) == sorted(m.subject for m in sent)
    assert not OutgoingMessage.objects.filter(sent_at__isnull=True).exists()


# --- 3. the worker holding the timers is killed --------------------------------------------------

KILLED_NOTICES = 4


def test_a_killed_worker_loses_no_deadline_and_the_next_fires_each_once(live, supervisor):
    first = live.start_worker("first", wait=False)
    provider = ProviderFactory()
    reports = [actionable_report(supervisor, provider) for _ in range(KILLED_NOTICES)]
    live.wait_worker_ready(first)

    notices = [send_notice(supervisor, report) for report in reports]
    notices = [handed_off(notice) for notice in notices]  # by the first worker
    wait_until(
        lambda: len(first.lines(WAKE_RECEIVED)) >= KILLED_NOTICES,
        timeout=SLACK,
        what="the first worker to take every deadline task",
    )
    assert timezone.now() < min(notice.deadline_at for notice in notices)

    first.kill()

    # The dead worker's reserved ETA tasks stay invisible in Redis for the visibility timeout.
    client = live.broker_client()
    stranded = wake_tasks_for(queued_tasks(client))
    assert stranded == {notice.pk: [notice.deadline_at] for notice in notices}
    assert client.llen("celery") == 0
    second = live.start_worker("second", wait=False)
    beat = live.start_beat(wait=False)
    live.wait_worker_ready(second)
    beat.wait_for_log("beat: Starting")

    late = timedelta(0)
    for notice in notices:
        late = max(late, wait_overdue(notice).at - notice.deadline_at)
        wait_sent(notice, KIND.REPEAT)
    print(f"worker SIGKILL: longest from deadline to firing {late}")
    wait_for_sweeps(second, 1)
    for notice in notices:
        assert_fired_once(notice)
        assert Notice.objects.get(pk=notice.pk).due_at > timezone.now()  # the next repeat


# --- 4. two sweeps at once ---------------------------------------------------------------------

SWEPT_NOTICES = 9


def run_together(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads, each with its own connection, started together."""
    barrier = threading.Barrier(count)

    def run(i):
        try:
            barrier.wait(timeout=30)
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_two_simultaneous_sweeps_fire_each_due_notice_once(
    live, supervisor, monkeypatch, mailoutbox
):
    live.configure(HOTLINE_TAKEDOWN_DEADLINE="1s")
    provider = ProviderFactory()
    # No worker runs: this process hands the notices over, the two sweeps do the rest.
    notices = [
        notice_hand_off(send_notice(supervisor, actionable_report(supervisor, provider)))
        for _ in range(SWEPT_NOTICES)
    ]
    latest = max(notice.deadline_at for notice in notices)
    wait_until(lambda: timezone.now() > latest, timeout=SLACK, what="every deadline to pass")
    monkeypatch.setattr(reports_notices, "UNSENT_GRACE", timedelta(0))

    def sweep(i):
        started = time.monotonic()
        result = deadlines.sweep_due(batch=3)
        return started, time.monotonic(), result

    runs = run_together(2, sweep)

    (start_a, end_a, _), (start_b, end_b, _) = runs
    assert max(start_a, start_b) < min(end_a, end_b), "the two sweeps did not overlap"
    results = [result for _, _, result in runs]
    assert [result.failed for result in results] == [[], []]
    assert sum(result.notices.get("overdue", 0) for result in results) == SWEPT_NOTICES
    assert reports_notices.messages_redeliver() == SWEPT_NOTICES  # the repeats, sent apart
    for notice in notices:
        assert_fired_once(notice)
    assert not OutgoingMessage.objects.filter(sent_at__isnull=True).exists()
    assert len(mailoutbox) == 2 * SWEPT_NOTICES
    assert len({(m.to[0], m.subject) for m in mailoutbox}) == 2 * SWEPT_NOTICES
    again = deadlines.sweep_due()
    assert (again.notices, reports_notices.messages_redeliver()) == ({}, 0)


# --- 7. Redis goes away while the worker holds wake-ups -----------------------------------------

OUTAGE = timedelta(seconds=10)
# Celery's consumer retries the broker 2, 4, 6 ... s apart: after a 10 s outage it is back within
# 6 s, and the next beat sweep (every second here) fires what came due meanwhile.
AFTER_OUTAGE = timedelta(seconds=6) + ON_TIME
BROKER_DOWN = re.compile(r"(Cannot connect to|Connection error: ).*Connection refused")


def test_a_redis_outage_stops_no_deadline_and_nobody_restarts_anything(
    live, supervisor, redis_server, settings, client
):
    # Worker and beat run supervised, as `make run` and the README start them; the worker must
    # not even need the supervisor. The worker hands the notices over, so its policy sets their
    # deadlines: 5 s for the voluntary ones (due inside the outage), longer for legal orders.
    live.configure(HOTLINE_LEGAL_ORDER_DEADLINE=f"{int(OUTAGE.total_seconds()) + 8}s")
    worker = live.start_worker(wait=False, supervised=True)
    beat = live.start_beat(wait=False, supervised=True)
    provider = ProviderFactory()
    reports = [actionable_report(supervisor, provider) for _ in range(4)]
    live.wait_worker_ready(worker)
    beat.wait_for_log("beat: Starting")

    # Two deadlines fall inside the outage, two after it; the worker holds all four wake-ups.
    during = [send_notice(supervisor, report) for report in reports[:2]]
    after = [send_notice(supervisor, report, kind="legal_order") for report in reports[2:]]
    wait_until(
        lambda: len(worker.lines(WAKE_RECEIVED)) >= 4,
        timeout=SLACK,
        what="the worker to hold every deadline's wake-up",
    )
    for notice in during + after:
        wait_sent(notice, KIND.NOTICE)
    during = [handed_off(notice) for notice in during]
    after = [handed_off(notice) for notice in after]
    down_at = timezone.now()
    assert down_at < min(notice.deadline_at for notice in during)

    redis_server.stop()
    wait_until(
        lambda: timezone.now() > down_at + OUTAGE, timeout=SLACK + 10, what="the outage to last"
    )
    assert timezone.now() > max(notice.deadline_at for notice in during)
    # Monitoring sees it: nobody has swept for seconds, and the deadlines due wait.
    settings.HOTLINE_CLOCK_STALL_SECONDS = 3
    stalled = client.get("/healthz/clock")
    assert stalled.status_code == 503, stalled.json()
    assert stalled.json()["due_notices"] == len(during)
    redis_server.start()
    back_at = timezone.now()
    assert back_at < min(notice.deadline_at for notice in after)

    fired = {}
    for notice in during + after:
        fired[notice.pk] = wait_overdue(notice).at
        wait_sent(notice, KIND.REPEAT)
    for notice in during:
        assert fired[notice.pk] < back_at + AFTER_OUTAGE, fired[notice.pk] - back_at
    for notice in after:
        late = fired[notice.pk] - notice.deadline_at
        assert late < ON_TIME, late
    wait_for_sweeps(worker, 1)
    for notice in during + after:
        assert_fired_once(notice)
    recovered = client.get("/healthz/clock")
    assert recovered.status_code == 200, recovered.json()
    assert worker.node in recovered.json()["workers"]
    # The same worker and beat processes throughout: nothing crashed, nothing was restarted.
    assert worker.lines(RESTARTED) == [] and beat.lines(RESTARTED) == []
    assert worker.alive() and beat.alive()
    longest = max(fired[notice.pk] - notice.deadline_at for notice in during + after)
    print(f"Redis down {OUTAGE}: longest from deadline to firing {longest}")
    # The only errors logged: the broker's absence, while it lasted.
    assert [line for line in live.errors() if not BROKER_DOWN.search(line)] == []
    worker.mark()
    beat.mark()
