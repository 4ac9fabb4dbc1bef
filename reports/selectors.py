"""Read queries for reports."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from hotline.pagination import fast_count
from reports.intake import tracking_secret_hash
from reports.models import RUNNING_NOTICE_STATUSES, Notice, Report, ReportStatus, WorkerHeartbeat
from reports.models import ReportStatus as S

# The reporter's status is coarse and on the reporter's own timeline (README, "Reporting"): for
# the first day only `received`; then `in_progress` until the case closes; a closing shows from
# the next UTC midnight; every later time is rounded down to its UTC day.
REPORTER_QUIET_PERIOD = timedelta(hours=24)
REPORTER_OUTCOMES = {
    ReportStatus.REMOVED: "action_taken",
    ReportStatus.FORWARDED: "action_taken",
    ReportStatus.CLOSED: "no_action",
}
# Reports marked duplicate of a duplicate form a chain; it is followed at most this far.
DUPLICATE_CHAIN_LIMIT = 20


@dataclass(frozen=True)
class ReporterStatus:
    reference: str
    status: str  # received, in_progress or closed
    changed_at: datetime
    outcome: str | None  # once closed: action_taken or no_action


def _utc_day(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _case_of(report: Report) -> Report:
    """The report whose outcome a (possibly chained) duplicate shares."""
    case = report
    for _step in range(DUPLICATE_CHAIN_LIMIT):
        if case.duplicate_of_id is None:
            break
        case = Report.objects.only("status", "status_changed_at", "duplicate_of_id").get(
            pk=case.duplicate_of_id
        )
    return case


def report_status_for_reporter(*, reference: str, secret: str) -> ReporterStatus | None:
    """The coarse status a reporter may see; None unless reference and secret match.

    A duplicate answers exactly like a new report made at the same moment: nothing depends on
    the case before the reporter's own first day is over, and afterwards only whether the case
    is still open (never which step it is at, nor holds or escalations) and the day it closed.
    """
    report = (
        Report.objects.only("reference", "tracking_secret_hash", "received_at", "duplicate_of_id")
        .filter(reference=reference.upper())
        .first()
    )
    if (
        report is None
        or not report.tracking_secret_hash
        or not constant_time_compare(report.tracking_secret_hash, tracking_secret_hash(secret))
    ):
        return None
    now = timezone.now()
    quiet_until = report.received_at + REPORTER_QUIET_PERIOD
    if now < quiet_until:
        return ReporterStatus(report.reference, "received", report.received_at, None)
    case = _case_of(report)
    if case.status in REPORTER_OUTCOMES:
        shown_from = max(quiet_until, _utc_day(case.status_changed_at) + timedelta(days=1))
        if now >= shown_from:
            return ReporterStatus(
                report.reference, "closed", _utc_day(shown_from), REPORTER_OUTCOMES[case.status]
            )
    return ReporterStatus(report.reference, "in_progress", _utc_day(quiet_until), None)


# The analysts' queues: name -> (label, condition on Report for the signed-in user).
QUEUES = {
    "new": (_("New"), lambda request: Q(status=S.NEW)),
    "mine": (_("Mine"), lambda request: Q(assigned_to=request.user, status=S.IN_REVIEW)),
    "in_review": (_("In review"), lambda request: Q(status=S.IN_REVIEW)),
    "actionable": (_("Actionable"), lambda request: Q(status=S.ACTIONABLE)),
    "on_hold": (_("On hold"), lambda request: Q(status=S.ON_HOLD)),
    "forwarded": (_("Forwarded"), lambda request: Q(status=S.FORWARDED)),
    "ready_to_send": (
        _("Ready to send"),
        lambda request: (
            Q(status=S.ACTIONABLE, provider__isnull=False)
            & ~Q(
                Exists(
                    Notice.objects.filter(report=OuterRef("pk"), status__in=RUNNING_NOTICE_STATUSES)
                )
            )
        ),
    ),
    "scheduled": (
        _("Scheduled"),
        lambda request: Q(
            Exists(Notice.objects.filter(report=OuterRef("pk"), status=Notice.Status.SCHEDULED))
        ),
    ),
    "overdue": (_("Overdue"), lambda request: Q(status=S.OVERDUE)),
    "disputed": (
        _("Disputed"),
        lambda request: Q(
            Exists(
                Notice.objects.filter(
                    report=OuterRef("pk"),
                    status__in=RUNNING_NOTICE_STATUSES,
                    disputed_at__isnull=False,
                )
            )
        ),
    ),
}


def queue_counts(request) -> dict[str, int]:
    """One cheap count per queue (estimated on PostgreSQL when large)."""
    return {
        name: fast_count(Report.objects.filter(condition(request)))
        for name, (_label, condition) in QUEUES.items()
    }


@dataclass(frozen=True)
class ClockHealth:
    """Whether the deadline clock runs: somebody sweeps, and nothing due waits. Ages in seconds."""

    stalled: bool
    last_sweep_age: float | None  # None: no worker ever finished a sweep
    workers: dict[str, float]  # node -> age of its last finished sweep
    due_notices: int  # due now and not fired yet
    oldest_due_age: float | None
    detail: str


def clock_health() -> ClockHealth:
    now = timezone.now()

    def age(moment: datetime | None) -> float | None:
        return None if moment is None else round((now - moment).total_seconds(), 1)

    limit = settings.HOTLINE_CLOCK_STALL_SECONDS
    workers = {
        node: age(swept_at)
        for node, swept_at in WorkerHeartbeat.objects.order_by("node").values_list(
            "node", "swept_at"
        )
    }
    last_sweep_age = min(workers.values(), default=None)
    due = Notice.objects.filter(due_at__lte=now).aggregate(count=Count("pk"), oldest=Min("due_at"))
    oldest_due_age = age(due["oldest"])
    problems = []
    if last_sweep_age is None:
        problems.append("no worker has finished a sweep yet")
    elif last_sweep_age > limit:
        problems.append(f"no worker has finished a sweep for {last_sweep_age:.0f} s")
    if oldest_due_age is not None and oldest_due_age > limit:
        problems.append(
            f"{due['count']} due notice(s) not fired, the oldest due {oldest_due_age:.0f} s ago"
        )
    return ClockHealth(
        stalled=bool(problems),
        last_sweep_age=last_sweep_age,
        workers=workers,
        due_notices=due["count"],
        oldest_due_age=oldest_due_age,
        detail="; ".join(problems),
    )
