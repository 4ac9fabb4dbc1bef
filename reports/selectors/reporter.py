"""The reporter's coarse status, checked against the tracking secret."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.crypto import constant_time_compare

from reports.intake import tracking_secret_hash
from reports.models import Report, ReportStatus

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
