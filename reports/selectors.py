"""Read queries for reports."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.crypto import constant_time_compare

from reports.intake import tracking_secret_hash
from reports.models import Report, ReportStatus

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
