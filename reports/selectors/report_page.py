"""What the report page shows besides the report: its triage box, its removal checks and the
provider its hosting lookup suggests (read queries)."""

from datetime import UTC, timedelta

from django.conf import settings
from django.utils import timezone

from hotline.policy import NoticeKind, deadline_for
from hotline.url import defang
from reports import deadlines
from reports.models import (
    ANSWERABLE_NOTICE_STATUSES,
    ILLEGAL,
    RUNNING_NOTICE_STATUSES,
    Escalation,
    HostingLookup,
    Notice,
    RemovalCheck,
    Report,
    ReportStatus,
)

CHECKS_SHOWN = 50  # the newest removal checks on the report page


def removal_checks_context(report: Report) -> dict:
    """The report page's "Removal checks": the history newest first (one query) and the next
    check due (one more, only while checks run)."""
    history = [
        {
            "check": check,
            "redirected_to": defang(check.redirected_to) if check.redirected_to else "",
            "content_type": check.headers.get("content-type", ""),
            "length": check.headers.get("content-length", ""),
        }
        for check in report.checks.filter(checked_at__isnull=False).order_by("-checked_at", "-id")[
            :CHECKS_SHOWN
        ]
    ]
    enabled = settings.HOTLINE_PROBES_ENABLED
    next_check = (
        RemovalCheck.objects.filter(report=report, checked_at__isnull=True)
        .order_by("due_at", "id")
        .first()
        if enabled
        else None
    )
    return {"checks": history, "next_check": next_check, "probes_enabled": enabled}


def lookup_suggestion(lookup: HostingLookup | None):
    """The directory provider the lookup points at (a candidate only once approved)."""
    if lookup is None:
        return None
    if lookup.provider is not None:
        return lookup.provider
    candidate = lookup.candidate
    return candidate.provider if candidate is not None and candidate.provider else None


def suggested_country(lookup: HostingLookup | None, suggested) -> str:
    """The hosting country to prefill: the lookup's own answer, else the suggested provider's."""
    return (lookup.country if lookup else "") or (suggested.country if suggested else "")


def hours_text(length: timedelta) -> str:
    """A deadline's length as analysts say it: "24 h", "90 min"."""
    minutes = int(length.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


def assess_step_context(report: Report, suggested) -> dict:
    """What the assess-illegal form offers besides assessing: the provider the lookup suggests
    with the deadline a notice to it would get, or, hosted abroad, the partner to forward to."""
    lookup = report.hosting_lookup
    country = suggested_country(lookup, suggested)
    abroad = bool(country) and country != settings.HOTLINE_COUNTRY
    partner = lookup.partner if lookup is not None and abroad else None
    notify = suggested if suggested is not None and not abroad else None
    # Police first (HOTLINE_LEA_WINDOW): a notice cannot go before the police were told.
    if (
        notify is not None
        and deadlines.police_window()
        and not deadlines.police_notified_at(report)
    ):
        notify = None
    voluntary = deadline_for(notify, NoticeKind.VOLUNTARY) if notify else None
    return {
        "notify_provider": notify,
        "notify_deadline": hours_text(voluntary.length) if voluntary else "",
        "legal_order_deadline": hours_text(deadline_for(notify, NoticeKind.LEGAL_ORDER).length)
        if notify
        else "",
        "forward_partner": partner,
        "hosting_country": country,
    }


def triage_box(report: Report, latest: Notice | None) -> dict:
    """What matters in the report's state: its running notice's clock (stopped while held), the
    open hold, the dispute, the escalations and the removal checks' findings."""
    running = latest if latest is not None and latest.is_running else None
    hold = None
    if report.status == ReportStatus.ON_HOLD:
        hold = report.holds.select_related("agency").filter(released_at__isnull=True).first()
    clock = None
    if running is not None and running.deadline_at is not None:
        stopped = hold is not None and hold.notice_id == running.pk
        left_from = hold.started_at if stopped else timezone.now()
        clock = {
            "deadline": running.deadline_at,
            "left": running.deadline_at - left_from,
            "stopped": stopped,
        }
    escalations = list(report.escalations.select_related("agency", "corrects__agency"))
    return {
        "running_notice": running,
        "latest_notice": latest,
        "clock": clock,
        "hold": hold,
        "dispute_open": running is not None and running.dispute_waiting,
        "escalations": escalations,
        "four_eyes": settings.HOTLINE_FOUR_EYES,
    }


def escalation_label(escalation: Escalation) -> str:
    """An escalation as the correction form names it (no database ids)."""
    when = escalation.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    reference = f", {escalation.agency_reference}" if escalation.agency_reference else ""
    return f"{when} UTC {escalation.agency.name}: {escalation.get_kind_display()}{reference}"


def transition_can_succeed(name: str, report: Report, user, running: Notice | None) -> bool:
    """Whether the button can succeed in what the page shows (the workflow decides anyway):
    the report's state allows it for this role, and so does what it acts on."""
    mine = report.assigned_to_id == user.pk
    override = user.has_perm("reports.override_report")
    disputed = (
        running is not None
        and running.status in ANSWERABLE_NOTICE_STATUSES
        and running.dispute_waiting
    )
    rules = {
        # The owner rule: only whoever claimed it works it (a supervisor takes it over).
        "release": mine or override,
        "assess_not_actionable": mine,
        "assess_illegal": report.status == ReportStatus.NEW or mine,
        "mark_duplicate": report.status == ReportStatus.NEW or mine,
        "take_over": not mine,
        "confirm_assessment": report.assessment_unconfirmed
        and report.legal_status in ILLEGAL
        and report.assessed_by_id != user.pk,
        # A supervisor escalates any kind with the full form.
        "escalate_urgent": not user.has_perm("reports.escalate_report"),
        "set_hosting": running is None,  # a running notice names its provider and country
        "forward": running is None
        and bool(report.hosting_country)
        and report.hosting_country != settings.HOTLINE_COUNTRY,
        "send_notice": running is None
        and report.provider is not None
        and report.provider.active
        and not report.assessment_unconfirmed,
        "withdraw_notice": running is not None,
        "confirm_removal": running is not None,
        "uphold_dispute": disputed,
        "reject_dispute": disputed,
        "redeliver_notice": running is not None and running.status == Notice.Status.UNDELIVERABLE,
        "stop_checks": not report.probes_off,
        "hosting_move_follow": report.hosting_changed_id is not None,
        "hosting_move_dismiss": report.hosting_changed_id is not None,
    }
    return rules.get(name, True)


def running_notice(report: Report) -> Notice | None:
    return (
        report.notices.filter(status__in=RUNNING_NOTICE_STATUSES).select_related("provider").first()
    )
