"""Bulk work on many reports at once (write service): the same workflow function per report.

Each report runs in its own transaction, so one report is either done or untouched; a report the
workflow refuses is listed with the workflow's reason, and the others go on. At most
``HOTLINE_BULK_MAX`` reports per run: more is refused before anything is done.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from hotline.actors import Actor
from hotline.errors import DomainError
from reports import workflow
from reports.models import Notice, Report
from reports.selectors.report_page import lookup_suggestion, suggested_country
from reports.workflow.steps import report_assess_illegal_step, report_claim_if_new


@dataclass
class BulkResult:
    """What a bulk run did: the references done, and those refused grouped by the reason."""

    done: list[str] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # Send notices: how many notices were queued (or scheduled) per provider.
    notices_per_provider: Counter[str] = field(default_factory=Counter)
    scheduled: int = 0


def bulk_cap_check(count: int) -> None:
    cap = settings.HOTLINE_BULK_MAX
    if count > cap:
        raise DomainError(
            f"{count} reports are selected; a bulk action takes at most {cap} at once "
            "(HOTLINE_BULK_MAX). Nothing was done: narrow the selection (a queue, a search) "
            "and run it again."
        )


def _refusal_reason(message: str, reference: str) -> str:
    # The workflow names the report; without its reference, equal reasons group together.
    return message.replace(f"Report {reference}", "The report")


def reports_bulk_apply(
    report_ids, *, step: Callable[[Report], object], result: BulkResult | None = None
) -> BulkResult:
    """Run ``step`` on each report (id order), each in its own transaction."""
    result = result or BulkResult()
    # Read once for all (the lookup's suggestion too); each step's workflow reads its report
    # again under its lock, so a change made meanwhile is refused, not overwritten.
    reports = list(
        Report.objects.filter(pk__in=list(report_ids))
        .select_related("hosting_lookup__provider", "hosting_lookup__candidate__provider")
        .order_by("pk")
    )
    bulk_cap_check(len(reports))
    for report in reports:
        try:
            with transaction.atomic():
                step(report)
        except DomainError as error:
            result.refused[_refusal_reason(error.message, report.reference)].append(
                report.reference
            )
        else:
            result.done.append(report.reference)
    return result


def reports_claim(report_ids, *, actor: Actor) -> BulkResult:
    return reports_bulk_apply(
        report_ids, step=lambda report: workflow.report_claim(report.pk, actor=actor)
    )


def reports_release(report_ids, *, actor: Actor) -> BulkResult:
    return reports_bulk_apply(
        report_ids, step=lambda report: workflow.report_release(report.pk, actor=actor)
    )


def reports_mark_duplicate(report_ids, *, actor: Actor, original_reference: str) -> BulkResult:
    return reports_bulk_apply(
        report_ids,
        step=lambda report: workflow.report_mark_duplicate(
            report.pk, actor=actor, original_reference=original_reference
        ),
    )


def reports_assess_not_actionable(
    report_ids, *, actor: Actor, reason: str, not_illegal_reason: str = ""
) -> BulkResult:
    """Claims each new report nobody has, and closes it with the reason (claim and assessment
    in one transaction per report)."""

    def step(report):
        report_claim_if_new(report.pk, actor=actor)
        workflow.report_assess_not_actionable(
            report.pk, actor=actor, reason=reason, not_illegal_reason=not_illegal_reason
        )

    return reports_bulk_apply(report_ids, step=step)


def reports_assess_illegal(report_ids, *, actor: Actor, **assessment) -> BulkResult:
    """One classification for all: claims each new report nobody has, and assesses it (claim
    and assessment in one transaction per report), so new reports become actionable at once."""

    return reports_bulk_apply(
        report_ids,
        step=lambda report: report_assess_illegal_step(report.pk, actor=actor, **assessment),
    )


def reports_set_hosting(
    report_ids, *, actor: Actor, provider_id: int | None, country: str
) -> BulkResult:
    return reports_bulk_apply(
        report_ids,
        step=lambda report: workflow.report_set_hosting(
            report.pk, actor=actor, provider_id=provider_id, country=country
        ),
    )


def reports_send_notice(
    report_ids, *, actor: Actor, kind: str = Notice.Kind.VOLUNTARY
) -> BulkResult:
    """One notice per report, to its provider; a report with no provider set yet gets the one
    its hosting lookup suggests first (set hosting, then send, in one transaction). The outbox
    groups the notices per provider into one message within HOTLINE_NOTICE_GROUP_WINDOW."""
    result = BulkResult()

    def step(report):
        if report.provider_id is None:
            suggested = lookup_suggestion(report.hosting_lookup)
            if suggested is None:
                raise DomainError(
                    "No hosting provider is set and the lookup suggests none: set the hosting "
                    "first."
                )
            country = suggested_country(report.hosting_lookup, suggested)
            workflow.report_set_hosting(
                report.pk, actor=actor, provider_id=suggested.pk, country=country
            )
        notice = workflow.report_send_notice(report.pk, actor=actor, kind=kind)
        result.notices_per_provider[notice.provider.name] += 1
        result.scheduled += notice.status == Notice.Status.SCHEDULED

    return reports_bulk_apply(report_ids, step=step, result=result)
