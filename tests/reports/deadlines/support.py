"""The removal clock: reminders, the deadline, repeats, escalation, holds, the police window,
removal, withdrawal, the sweep, and the admin's view of it.

Time moves only with time-machine. The timer functions (``notice_fire_due``, ``notice_wake``,
``sweep_due``) are called directly, as the Celery tasks and the beat would call them.
"""

from datetime import datetime, timedelta

from hotline.actors import Actor
from hotline.models import Agency
from reports import workflow
from reports.models import Escalation, Event, MessageItem, Notice, Report, ReportStatus
from tests.reports.support import T0

S = ReportStatus
N = Notice.Status
H = timedelta(hours=1)
M = timedelta(minutes=1)
DEADLINE = T0 + 24 * H


def fire(notice: Notice) -> list[str]:
    return workflow.notice_fire_due(notice.pk)


def reload(notice: Notice) -> Notice:
    return Notice.objects.select_related("report").get(pk=notice.pk)


def messages(notice: Notice, kind: str | None = None) -> list[tuple[str, int]]:
    """What the notice is to be told, as decided (the outbox's items, one per purpose)."""
    rows = MessageItem.objects.filter(notice=notice)
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.order_by("id").values_list("kind", "attempt"))


def verbs(report_id: int) -> list[str]:
    """The workflow's events (the mailer's hand-offs are tested with the messages)."""
    events = Event.objects.filter(report_id=report_id).exclude(verb="message_handed_off")
    return list(events.values_list("verb", flat=True))


def hold(report_id: int, actor: Actor, agency: Agency, until: datetime) -> Report:
    return workflow.report_hold(
        report_id, actor=actor, agency_id=agency.pk, until=until, agency_reference="OPS-7"
    )


def notify_police(report_id: int, actor: Actor, agency: Agency) -> Escalation:
    return workflow.report_escalate(
        report_id, actor=actor, agency_id=agency.pk, kind="notification", channel="email"
    )
