"""Read queries for reports."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from reports.intake import tracking_secret_hash
from reports.models import Notice, Report, ReportStatus, WorkerHeartbeat

CLOSED_FOR_REPORTER = {ReportStatus.CLOSED, ReportStatus.FORWARDED, ReportStatus.REMOVED}


@dataclass(frozen=True)
class ReporterStatus:
    reference: str
    status: str  # received, in_progress or closed
    changed_at: datetime


def report_status_for_reporter(*, reference: str, secret: str) -> ReporterStatus | None:
    """The coarse status a reporter may see; None unless reference and secret match."""
    report = (
        Report.objects.select_related("duplicate_of")
        .only(
            "reference",
            "tracking_secret_hash",
            "status",
            "status_changed_at",
            "duplicate_of__status",
            "duplicate_of__status_changed_at",
        )
        .filter(reference=reference.upper())
        .first()
    )
    if (
        report is None
        or not report.tracking_secret_hash
        or not constant_time_compare(report.tracking_secret_hash, tracking_secret_hash(secret))
    ):
        return None
    # A duplicate follows its original, so a reporter cannot learn the URL was known already.
    shown = report.duplicate_of or report
    if shown.status == ReportStatus.NEW:
        coarse = "received"
    elif shown.status in CLOSED_FOR_REPORTER:
        coarse = "closed"
    else:
        coarse = "in_progress"
    return ReporterStatus(
        reference=report.reference, status=coarse, changed_at=shown.status_changed_at
    )


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
