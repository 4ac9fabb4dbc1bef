"""Triage: claiming, assessing, duplicates, hosting and forwarding abroad."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q

from hotline.actors import Actor
from hotline.errors import DomainError
from hotline.models import PartnerHotline, Provider
from hotline.validators import country_code_clean
from reports.models import (
    ILLEGAL,
    OPEN_STATUSES,
    AgeGroup,
    Commerciality,
    ContentType,
    Gender,
    IndustryCategory,
    LegalStatus,
    NotActionableReason,
    NotIllegalReason,
    PaymentMethod,
    Report,
    SiteType,
)
from reports.models import ReportStatus as S
from reports.workflow.engine import (
    OVERRIDE,
    _choice,
    _require_owner,
    _run,
    _running_notice,
)


def report_file_as_duplicate(report: Report, *, original: Report) -> None:
    """Intake's birth of a report that repeats an open one: closed, pointing at the original.

    The report is not saved yet: intake inserts it (alone or in a batch) with its event.
    """
    report.status = S.DUPLICATE
    report.duplicate_of = original


def report_claim(report_id: int, *, actor: Actor) -> Report:
    def apply(report, now):
        report.assigned_to = actor.user
        report.claimed_at = now

    return _run(report_id, "claim", actor, apply)


def report_release(report_id: int, *, actor: Actor) -> Report:
    def apply(report, now):
        if not actor.user.has_perm(OVERRIDE):
            _require_owner(report, actor, "release")
        released = report.assigned_to.get_username() if report.assigned_to else ""
        report.assigned_to = None
        report.claimed_at = None
        return {"released": released}

    return _run(report_id, "release", actor, apply)


def report_take_over(report_id: int, *, actor: Actor) -> Report:
    def apply(report, now):
        previous = report.assigned_to.get_username() if report.assigned_to else ""
        report.assigned_to = actor.user
        report.claimed_at = now
        return {"from": previous}

    return _run(report_id, "take_over", actor, apply)


def report_assess_not_actionable(
    report_id: int, *, actor: Actor, reason: str, not_illegal_reason: str = ""
) -> Report:
    """Closes the report. Not illegal needs its reason from ICCAM's list (docs/iccam.md)."""
    _choice(reason, NotActionableReason, "The reason")
    if reason == NotActionableReason.NOT_ILLEGAL:
        _choice(not_illegal_reason, NotIllegalReason, "Why it is not illegal")
    elif not_illegal_reason:
        raise DomainError("Why it is not illegal is given only when the reason is not illegal.")

    def apply(report, now):
        _require_owner(report, actor, "assess_not_actionable")
        report.assessed_by = actor.user
        report.assessed_at = now
        report.not_actionable_reason = reason
        data = {"reason": reason}
        if reason == NotActionableReason.NOT_ILLEGAL:
            report.legal_status = LegalStatus.NOT_ILLEGAL
            report.not_illegal_reason = not_illegal_reason
            data["not_illegal_reason"] = not_illegal_reason
        return data

    return _run(report_id, "assess_not_actionable", actor, apply)


def assessment_clean(
    *,
    legal_status: str,
    industry_category: str,
    content_type: str,
    site_type: str,
    commerciality: str,
    payment_methods=(),
    is_virtual: bool | None = None,
    is_user_generated: bool | None = None,
    is_child_modeling: bool | None = None,
    age_group: str = "",
    gender: str = "",
) -> dict:
    """An illegal assessment's fields, checked against the ICCAM vocabularies (reports/models):
    the required ones must be chosen, the optional ones stay empty until determined."""
    if legal_status not in ILLEGAL:
        raise DomainError(
            "The legal status must be one of: baseline, national (not illegal is assessed as "
            "not actionable, with its reason)."
        )
    methods = sorted(set(payment_methods))
    for method in methods:
        _choice(method, PaymentMethod, "A payment method")
    return {
        "legal_status": legal_status,
        "industry_category": _choice(industry_category, IndustryCategory, "The category"),
        "content_type": _choice(content_type, ContentType, "The content type"),
        "site_type": _choice(site_type, SiteType, "The site type"),
        "commerciality": _choice(commerciality, Commerciality, "The commerciality"),
        "payment_methods": methods,
        "is_virtual": is_virtual,
        "is_user_generated": is_user_generated,
        "is_child_modeling": is_child_modeling,
        "age_group": _choice(age_group, AgeGroup, "The age group") if age_group else "",
        "gender": _choice(gender, Gender, "The gender") if gender else "",
    }


def report_assess_illegal(report_id: int, *, actor: Actor, **assessment) -> Report:
    """Assesses the report as illegal with the fields of ``assessment_clean``. Under the
    four-eyes rule a second analyst confirms it (``report_confirm_assessment``) before any
    notice goes out."""
    classification = assessment_clean(**assessment)

    def apply(report, now):
        _require_owner(report, actor, "assess_illegal")
        for field, value in classification.items():
            setattr(report, field, value)
        report.assessed_by = actor.user
        report.assessed_at = now
        report.assessment_confirmed_by = None
        report.assessment_confirmed_at = None
        return classification

    return _run(report_id, "assess_illegal", actor, apply)


def report_confirm_assessment(report_id: int, *, actor: Actor) -> Report:
    """The four-eyes rule (HOTLINE_FOUR_EYES): a second analyst, not the one who assessed it,
    confirms an illegal assessment; only then may a notice go out. The assessment keeps its
    first analyst and time; the confirmation has its own."""

    def apply(report, now):
        if not settings.HOTLINE_FOUR_EYES:
            raise DomainError("The four-eyes rule is off: an assessment needs no confirmation.")
        if report.legal_status not in ILLEGAL:
            raise DomainError(f"Report {report.reference} is not assessed as illegal.")
        if report.assessment_confirmed_at is not None:
            raise DomainError(
                f"Report {report.reference}'s assessment is already confirmed by "
                f"{report.assessment_confirmed_by.get_username()}."
            )
        if report.assessed_by_id == actor.user.pk:
            raise DomainError("You assessed this report: a second analyst confirms the assessment.")
        report.assessment_confirmed_by = actor.user
        report.assessment_confirmed_at = now
        assessed_by = report.assessed_by.get_username() if report.assessed_by else ""
        return {"assessed_by": assessed_by}

    return _run(report_id, "confirm_assessment", actor, apply)


def report_mark_duplicate(report_id: int, *, actor: Actor, original_reference: str) -> Report:
    reference = original_reference.strip().upper()

    def apply(report, now):
        if report.status == S.IN_REVIEW:
            _require_owner(report, actor, "mark_duplicate")
        original = Report.objects.select_for_update().filter(reference=reference).first()
        if original is None or original.pk == report.pk:
            raise DomainError(f"No other report has the reference {original_reference!r}.")
        if original.status not in OPEN_STATUSES:
            raise DomainError(
                f"Report {original.reference} is {original.get_status_display()}: "
                "a duplicate can only point at an open report."
            )
        report.duplicate_of = original
        Report.objects.filter(pk=original.pk).update(
            times_reported=F("times_reported") + report.times_reported
        )
        return {"duplicate_of": original.reference}

    with transaction.atomic():
        # Lock both reports in id order first, so two reports marked as duplicates of each
        # other at the same moment wait for each other instead of deadlocking.
        list(
            Report.objects.select_for_update()
            .filter(Q(pk=report_id) | Q(reference=reference))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return _run(report_id, "mark_duplicate", actor, apply)


def report_set_hosting(
    report_id: int, *, actor: Actor, provider_id: int | None, country: str
) -> Report:
    try:
        country = country_code_clean(country)
    except ValidationError as error:
        raise DomainError(f"The hosting country: {' '.join(error.messages)}") from None

    def apply(report, now):
        running = _running_notice(report)
        if running is not None:
            # The notice names its provider and country: the report must keep naming the same.
            raise DomainError(
                f"The notice to {running.provider.name} is "
                f"{running.get_status_display()}: withdraw it before changing the hosting."
            )
        provider = None
        if provider_id is not None:
            provider = Provider.objects.filter(pk=provider_id, active=True).first()
            if provider is None:
                raise DomainError("That provider does not exist or is not active.")
        report.provider = provider
        report.hosting_country = country
        return {"provider": provider.name if provider else None, "country": country}

    return _run(report_id, "set_hosting", actor, apply)


def report_checks_stop(report_id: int, *, actor: Actor, reason: str) -> Report:
    """Never check this report's URL (a partner forbids it, the host blocks probes): its checks
    still due are skipped when they come up."""
    if not reason.strip():
        raise DomainError("Say why the URL must not be checked.")

    def apply(report, now):
        if report.probes_off:
            raise DomainError(f"Report {report.reference} is already never checked.")
        report.probes_off = True
        return {"reason": reason.strip()[:500]}

    return _run(report_id, "stop_checks", actor, apply)


def report_forward(
    report_id: int, *, actor: Actor, partner_id: int, partner_reference: str = ""
) -> Report:
    def apply(report, now):
        if not report.hosting_country:
            raise DomainError("Set the hosting country before forwarding.")
        running = _running_notice(report)
        if running is not None:
            raise DomainError(
                f"The notice to {running.provider.name} is {running.get_status_display()}: "
                "withdraw it before forwarding the report to a partner hotline."
            )
        if report.hosting_country == settings.HOTLINE_COUNTRY:
            raise DomainError(
                f"It is hosted in {report.hosting_country}, this hotline's own country: "
                "send the provider a notice instead of forwarding."
            )
        partner = PartnerHotline.objects.filter(pk=partner_id, active=True).first()
        if partner is None:
            raise DomainError("That partner hotline does not exist or is not active.")
        if report.hosting_country not in partner.countries:
            raise DomainError(
                f"{partner.name} does not cover {report.hosting_country} "
                f"(it covers {', '.join(partner.countries) or 'no country'})."
            )
        report.forwarded_to = partner
        report.forwarded_reference = partner_reference.strip()
        report.forwarded_at = now
        return {"partner": partner.name, "partner_reference": report.forwarded_reference}

    return _run(report_id, "forward", actor, apply)
