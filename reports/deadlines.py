"""Deadline arithmetic, timer scheduling and the due-notice sweep.

The database holds every deadline and is the clock; Celery only wakes things up. Each running
notice carries ``due_at``, the next moment something must happen to it, and the beat sweep,
every few seconds, fires what is due by ``due_at`` alone, so a deadline fires even if the broker
lost every task or a worker died. ETA tasks are scheduled on commit only for the moments inside
a short horizon (a short deadline in a test or a demo); when one fires it reloads the notice and
does nothing unless the notice still has that deadline and something is due.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hotline.models import Agency
from hotline.policy import deadline_for, duration_setting
from reports.broker import broker_send
from reports.models import (
    RUNNING_NOTICE_STATUSES,
    Escalation,
    Hold,
    Notice,
    Report,
    ReportStatus,
    WorkerHeartbeat,
)

logger = logging.getLogger(__name__)

WAKE_TASK = "reports.tasks.notice_wake"


def police_window() -> timedelta | None:
    return duration_setting("HOTLINE_LEA_WINDOW")


def police_notified_at(report: Report) -> datetime | None:
    """When the police were first told about this report, if they were."""
    return (
        Escalation.objects.filter(report=report, agency__kind=Agency.Kind.POLICE)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def escalation_agency() -> Agency | None:
    name = settings.HOTLINE_ESCALATION_AGENCY
    return Agency.objects.filter(name=name, active=True).first() if name else None


def reminder_at(notice: Notice) -> datetime | None:
    before = duration_setting("HOTLINE_REMINDER_BEFORE")
    if not before or notice.deadline_at is None:
        return None
    moment = notice.deadline_at - before
    # None for short deadlines, and after a hold that moved it past the deadline the provider
    # was given: the reminder would name a deadline already gone (and so give the hold away).
    return moment if notice.handed_off_at < moment < notice.stated_deadline_at else None


def repeat_at(notice: Notice, attempt: int) -> datetime:
    """The first repeat goes out at the deadline, then one every interval."""
    return notice.deadline_at + (attempt - 1) * duration_setting("HOTLINE_REPEAT_INTERVAL")


def repeat_due_attempt(notice: Notice, now: datetime) -> int:
    """The number of the latest repeat that is due now (0 before the deadline)."""
    if notice.deadline_at is None or now < notice.deadline_at:
        return 0
    interval = duration_setting("HOTLINE_REPEAT_INTERVAL")
    return min(int((now - notice.deadline_at) / interval) + 1, settings.HOTLINE_MAX_REPEATS)


def escalation_at(notice: Notice) -> datetime | None:
    after = duration_setting("HOTLINE_ESCALATE_AFTER")
    if after is None or notice.escalated_at or escalation_agency() is None:
        # No (active) agency of that name: nothing can be escalated, so nothing is due.
        return None
    return notice.deadline_at + after


def notice_moments(notice: Notice) -> list[datetime]:
    """Every moment ahead at which a timer must act on the notice."""
    if notice.report.status == ReportStatus.ON_HOLD:
        return []  # the clock is paused
    if notice.status == Notice.Status.SCHEDULED:
        return [notice.scheduled_for]
    moments = []
    if notice.status == Notice.Status.OPEN:
        reminder = reminder_at(notice)
        if reminder is not None and notice.reminder_sent_at is None:
            moments.append(reminder)
        moments.append(notice.deadline_at)
    elif notice.status == Notice.Status.OVERDUE:
        if notice.repeats_sent < settings.HOTLINE_MAX_REPEATS:
            moments.append(repeat_at(notice, notice.repeats_sent + 1))
        escalate = escalation_at(notice)
        if escalate is not None:
            moments.append(escalate)
    return moments


def notice_due_at(notice: Notice) -> datetime | None:
    return min(notice_moments(notice), default=None)


def notice_clock_start(notice: Notice, at: datetime) -> None:
    """The provider is told at ``at``: its deadline runs from then (the caller saves it)."""
    deadline = deadline_for(notice.provider, notice.kind)
    notice.handed_off_at = at
    notice.deadline_at = at + deadline.length
    notice.policy = deadline.policy


def notice_clock_resume(notice: Notice, *, held: timedelta) -> None:
    """After a hold: every time on the clock moves by the hold's length."""
    if notice.status == Notice.Status.DELIVERING:
        return  # its clock has not started: nothing to move, no held time to take off
    if notice.status == Notice.Status.SCHEDULED:
        notice.scheduled_for += held
    elif notice.deadline_at is not None:
        notice.deadline_at += held
    notice.held_seconds += int(held.total_seconds())
    notice.due_at = notice_due_at(notice)
    notice.save()


def timers_schedule_for_report(report: Report) -> None:
    """On commit, schedule wake-ups for the report's running notice (if any)."""
    notice = (
        report.notices.filter(status__in=RUNNING_NOTICE_STATUSES).select_related("report").first()
    )
    if notice is None:
        return
    moments = notice_moments(notice)
    key = _clock_key(notice)
    transaction.on_commit(lambda: _send_wakes(notice.pk, key, moments))


def _clock_key(notice: Notice) -> str:
    """What a wake task must still find for its moment to count: the deadline it was set for."""
    moment = notice.deadline_at or notice.scheduled_for
    return moment.isoformat() if moment else ""


def _send_wakes(notice_id: int, key: str, moments: list[datetime]) -> None:
    """Wake-ups only inside the horizon: an ETA hours ahead would wait in a worker's memory,
    be redelivered after the visibility timeout, and be in flight whenever Redis drops. The
    sweep fires every moment, these only make a near one exact; a lost one costs a sweep."""
    horizon = duration_setting("HOTLINE_WAKE_HORIZON")
    if horizon is None:
        return
    last = timezone.now() + horizon
    for moment in moments:
        if moment <= last and not broker_send(WAKE_TASK, [notice_id, key], eta=moment):
            return


def notice_wake(notice_id: int, key: str) -> list[str]:
    """An ETA task fired: act only if the notice still has the deadline it was scheduled for."""
    from reports.workflow import notice_fire_due

    notice = Notice.objects.filter(pk=notice_id).first()
    if notice is None or not notice.is_running or _clock_key(notice) != key:
        return []
    return notice_fire_due(notice_id)


@dataclass
class SweepResult:
    notices: dict[str, int] = field(default_factory=dict)
    holds_released: int = 0
    failed: list[int] = field(default_factory=list)

    def summary(self) -> str:
        fired = ", ".join(f"{count} {what}" for what, count in sorted(self.notices.items()))
        return (
            f"notices: {fired or 'nothing due'}; holds released: {self.holds_released}; "
            f"failed: {len(self.failed)}"
        )


# Heartbeats of workers not seen for this long are dropped (replaced containers, renamed hosts).
HEARTBEAT_KEPT = timedelta(days=1)


def worker_heartbeat_record(node: str) -> None:
    """The worker ``node`` just finished a sweep."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(node=node, defaults={"swept_at": now})
    WorkerHeartbeat.objects.filter(swept_at__lt=now - HEARTBEAT_KEPT).delete()


def due_notices(now: datetime, *, exclude=()):
    """The sweep's query: notices due by ``now``, their reports locked unless another holds them.

    Model rows, not ``values_list``: that would drop the join to the report, and with it the
    ``FOR UPDATE OF`` the report (notice_fire_due and every transition lock the report row).
    """
    return (
        Notice.objects.filter(due_at__lte=now)
        .exclude(pk__in=exclude)
        .select_related("report")
        .select_for_update(skip_locked=True, of=("report",))
        .only("id", "due_at", "report__id")
        .order_by("due_at")
    )


def sweep_due(*, batch: int | None = None) -> SweepResult:
    """Fire everything due, in batches of rows nobody else holds (safe with several beats)."""
    from hotline.actors import Actor
    from reports.workflow import TransitionNotAllowed, notice_fire_due, report_hold_release

    batch = batch or settings.HOTLINE_SWEEP_BATCH
    result = SweepResult()
    actor = Actor.system("hold expiry")
    now = timezone.now()
    for hold in Hold.objects.filter(released_at__isnull=True, until__lte=now).values_list(
        "report_id", flat=True
    ):
        try:
            report_hold_release(hold, actor=actor)
            result.holds_released += 1
        except TransitionNotAllowed:
            pass  # another sweep released it a moment ago
        except Exception:
            logger.exception("releasing the expired hold of report %s failed", hold)
    idle: list[int] = []
    while True:
        # Pick a batch of due notices whose reports nobody holds right now...
        with transaction.atomic():
            skip = result.failed + idle
            due = [notice.pk for notice in due_notices(timezone.now(), exclude=skip)[:batch]]
        # ...and fire each in a transaction of its own, so that no lock (a report's, the audit
        # chain's) is held for longer than one notice takes.
        for notice_id in due:
            try:
                fired = notice_fire_due(notice_id, skip_locked=True)
            except Exception:
                logger.exception("firing the timers of notice %s failed", notice_id)
                result.failed.append(notice_id)
                continue
            for what in fired:
                result.notices[what] = result.notices.get(what, 0) + 1
            if not fired:
                idle.append(notice_id)  # nothing to do, or being handled: not again this run
        if len(due) < batch:
            break
    return result
