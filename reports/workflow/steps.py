"""The analyst's one step for one URL: several transitions in one transaction, all or nothing.

Each transition still runs (and is audited) on its own; the transaction around them means that
when one refuses, none of them is written.
"""

from django.db import transaction

from hotline.actors import Actor
from reports.models import Report
from reports.models import ReportStatus as S
from reports.workflow.takedown import report_send_notice
from reports.workflow.triage import (
    report_assess_illegal,
    report_claim,
    report_forward,
    report_set_hosting,
)

ASSESS_ONLY, NOTIFY, FORWARD = "", "notify", "forward"


def report_claim_if_new(report_id: int, *, actor: Actor) -> None:
    """Claim the report if it is new. Under the report's lock: of analysts pressing at once,
    one claims and the others wait, then meet the owner rule ("claimed by ..."). It joins the
    caller's transaction (no savepoint of its own): a refused step after it undoes the claim."""
    with transaction.atomic(savepoint=False):
        status = (
            Report.objects.select_for_update().values_list("status", flat=True).get(pk=report_id)
        )
        if status == S.NEW:
            report_claim(report_id, actor=actor)


def report_assess_illegal_step(
    report_id: int,
    *,
    actor: Actor,
    then: str = ASSESS_ONLY,
    provider_id: int | None = None,
    partner_id: int | None = None,
    country: str = "",
    **assessment,
) -> Report:
    """Claim the report if nobody has it, assess it illegal and then, with ``then``: set the
    hosting to the provider shown and send the notice (``notify``), or set the hosting country
    and forward it to the partner hotline shown (``forward``)."""
    with transaction.atomic():
        report_claim_if_new(report_id, actor=actor)
        report = report_assess_illegal(report_id, actor=actor, **assessment)
        if then == NOTIFY:
            report_set_hosting(report_id, actor=actor, provider_id=provider_id, country=country)
            report_send_notice(report_id, actor=actor)
            report.refresh_from_db()
        elif then == FORWARD:
            report_set_hosting(report_id, actor=actor, provider_id=None, country=country)
            report = report_forward(report_id, actor=actor, partner_id=partner_id)
    return report
