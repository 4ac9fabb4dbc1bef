"""The triage workflow: every transition from every status, the owner rule, and each guard.

The table puts a report in each status directly (as a later issue's code or an old database
could leave it) and runs every transition that has a function: from a source status it must
move to its target and append exactly one audit event; from any other status it must raise
``TransitionNotAllowed`` and write nothing at all.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from hotline.actors import Actor
from reports import workflow
from reports.models import Hold, Report, ReportStatus
from tests.reports.factories import ReportFactory

S = ReportStatus
LONG_AGO = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
# send_notice, mark_overdue, confirm_removal ...: the notice service's, tested with it.
# Transitions tested with their own services: notices (tests/reports/notices, deadlines) and
# hosting changes (tests/reports/hosting) and checks (tests/reports/verification).
# The workbench's (dispute answers, the four-eyes confirmation, an analyst's urgent escalation):
# tests/reports/workbench.
NOTICE_WORDS = (
    "notice",
    "overdue",
    "removal",
    "hosting_",
    "checks",
    "dispute",
    "_assessment",
    "_urgent",
)
ILLEGAL = {
    "legal_status": "baseline",
    "industry_category": "A1",
    "content_type": "video",
    "site_type": "forum",
    "commerciality": "commercial",
}


@dataclass
class World:
    report: Report
    other: Report  # an open report the first one can be a duplicate of
    supervisor: object
    analyst: object
    analyst2: object
    auditor: object
    provider: object
    partner: object
    agency: object


def put_in_status(w: World, status: str, *, owner=None, before_hold=S.ACTIONABLE) -> Report:
    """Move the report straight into ``status`` with the fields that status implies."""
    fields = {"status": status, "status_changed_at": LONG_AGO, "hosting_country": "DE"}
    if status == S.IN_REVIEW:
        fields.update(assigned_to=owner or w.supervisor, claimed_at=LONG_AGO)
    elif status == S.DUPLICATE:
        fields.update(duplicate_of=ReportFactory())
    elif status == S.CLOSED:
        fields.update(not_actionable_reason="not_illegal", assessed_at=LONG_AGO)
    elif status == S.FORWARDED:
        fields.update(forwarded_to=w.partner, forwarded_at=LONG_AGO)
    elif status == S.ON_HOLD:
        fields.update(status_before_hold=before_hold)
        Hold.objects.create(
            report=w.report,
            agency=w.agency,
            started_at=LONG_AGO,
            until=timezone.now() + timedelta(days=3),
        )
    Report.objects.filter(pk=w.report.pk).update(**fields)
    w.report.refresh_from_db()
    return w.report


def as_user(user) -> Actor:
    return Actor.for_user(user)


# Every transition with a function, called with valid arguments.
CALLS = {
    "claim": lambda w, actor: workflow.report_claim(w.report.pk, actor=actor),
    "release": lambda w, actor: workflow.report_release(w.report.pk, actor=actor),
    "take_over": lambda w, actor: workflow.report_take_over(w.report.pk, actor=actor),
    "assess_not_actionable": lambda w, actor: workflow.report_assess_not_actionable(
        w.report.pk, actor=actor, reason="out_of_remit"
    ),
    "assess_illegal": lambda w, actor: workflow.report_assess_illegal(
        w.report.pk, actor=actor, **ILLEGAL
    ),
    "mark_duplicate": lambda w, actor: workflow.report_mark_duplicate(
        w.report.pk, actor=actor, original_reference=w.other.reference
    ),
    "set_hosting": lambda w, actor: workflow.report_set_hosting(
        w.report.pk, actor=actor, provider_id=w.provider.pk, country="DE"
    ),
    "forward": lambda w, actor: workflow.report_forward(
        w.report.pk, actor=actor, partner_id=w.partner.pk, partner_reference="DE-2291"
    ),
    "escalate": lambda w, actor: workflow.report_escalate(
        w.report.pk,
        actor=actor,
        agency_id=w.agency.pk,
        kind="notification",  # an urgent one an analyst may log: tests/reports/workbench
        channel="phone",
        agency_reference="POL-1",
    ),
    "hold": lambda w, actor: workflow.report_hold(
        w.report.pk,
        actor=actor,
        agency_id=w.agency.pk,
        until=timezone.now() + timedelta(days=2),
        agency_reference="POL-2",
    ),
    "release_hold": lambda w, actor: workflow.report_hold_release(w.report.pk, actor=actor),
}
