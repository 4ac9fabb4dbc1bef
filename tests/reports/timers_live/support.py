"""Deadlines fire on time and exactly once, whatever the broker loses: a real worker, beat, Redis.

Issue 4, "Reliability tests". Each test commits its data (``transaction=True``), runs real
``celery -A config worker`` / ``celery -A config beat`` processes on the test database and on a
Redis database of their own (this process publishes there too), and reads the outcome from the
database: statuses, audit events, the outbox's items and the messages that carried them. Separate
processes cannot share a patched clock, so time runs for real in seconds (``5s`` deadlines) and
every wait polls the database or a log with a bound.

The scenarios: 1, 5 and 6 need "a worker running" and share one (``TestWithAWorkerRunning``,
no beat: sweeps there are sent through the worker by hand); 2 and 3 start, kill and restart
their own worker and beat; 4 runs two sweeps in two threads of this process.
"""

import ast
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from hotline.actors import Actor
from reports import deadlines, outbox, workflow
from reports.models import Event, MessageItem, Notice, OutgoingMessage, Report, ReportStatus
from tests.reports.factories import ReportFactory
from tests.reports.live_worker import WAKE_DONE, wait_until

# Every live test: PostgreSQL, Redis, and committed data the worker processes can see.
LIVE = [
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
        content_type="image",
        site_type="image_host",
        commerciality="non_commercial",
        provider=provider,
        hosting_country="DE",
    )


def send_notice(actor: Actor, report: Report, **kwargs) -> Notice:
    # Its commit wakes the delivery queue: not spaced from the kick of an earlier notice, as a
    # burst of commits is, since no beat drains the outbox behind it in every test.
    outbox._last_kick = 0.0
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
    """What the notice is to be told, as decided: the outbox's items, one per purpose."""
    return list(
        MessageItem.objects.filter(notice=notice)
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
            items__notice=notice, kind=kind, sent_at__isnull=False
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
