"""Read queries for reports."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from hotline.pagination import fast_count
from reports.intake import tracking_secret_hash
from reports.models import Notice, Report, ReportStatus
from reports.models import ReportStatus as S

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


RUNNING_NOTICE = [Notice.Status.SCHEDULED, Notice.Status.OPEN, Notice.Status.OVERDUE]

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
            & ~Q(Exists(Notice.objects.filter(report=OuterRef("pk"), status__in=RUNNING_NOTICE)))
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
                    report=OuterRef("pk"), status__in=RUNNING_NOTICE, disputed_at__isnull=False
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
