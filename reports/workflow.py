"""The only code that changes a report's status (write service).

Each transition is one function. It runs in one transaction, locks the report row, re-checks
the state after taking the lock, checks the actor may do it, writes the new state with every
timestamp the SLA needs, appends an audit event, and defers side effects to commit. A transition
that is not allowed raises a ``DomainError`` naming the current state and what was asked, and
writes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from hotline.actors import Actor
from hotline.errors import DomainError, NotPermitted
from hotline.models import Agency, PartnerHotline, Provider
from hotline.validators import country_code_clean
from reports import deadlines, notices
from reports.audit import event_build, events_append
from reports.models import (
    ANSWERABLE_NOTICE_STATUSES,
    OPEN_STATUSES,
    RUNNING_NOTICE_STATUSES,
    Escalation,
    Hold,
    IndustryCategory,
    LegalStatus,
    MediaType,
    NotActionableReason,
    Notice,
    OutgoingMessage,
    Report,
    SiteType,
)
from reports.models import ReportStatus as S

TRIAGE = "reports.triage_report"
ESCALATE = "reports.escalate_report"
HOLD = "reports.hold_report"
OVERRIDE = "reports.override_report"


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: the status stays (or, for release_hold, is restored)
    permission: str | None  # what a user needs; None: no user may trigger it by hand
    # Actors other than users that may run it (the deadline sweep, a provider's key).
    automatic_for: frozenset[str] = frozenset()
    # Also allowed on hold when the status the hold paused is one of the sources: a provider's
    # answers are taken during a hold exactly as outside one, so that none reveals the hold.
    during_hold: bool = False

    def allowed_for(self, report: Report) -> bool:
        if report.status in self.sources:
            return True
        return (
            self.during_hold
            and report.status == S.ON_HOLD
            and report.status_before_hold in self.sources
        )


def _t(name, label, sources, target, permission, automatic_for=(), during_hold=False):
    return Transition(
        name,
        label,
        frozenset(sources),
        target,
        permission,
        frozenset(automatic_for),
        during_hold,
    )


ESCALATABLE = (
    S.IN_REVIEW,
    S.ACTIONABLE,
    S.ON_HOLD,
    S.TAKEDOWN_REQUESTED,
    S.OVERDUE,
    S.FORWARDED,
    S.REMOVED,
)

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        _t("claim", "Claim", [S.NEW], S.IN_REVIEW, TRIAGE),
        _t("release", "Release", [S.IN_REVIEW], S.NEW, TRIAGE),
        _t("take_over", "Take over", [S.IN_REVIEW], S.IN_REVIEW, OVERRIDE),
        _t("assess_not_actionable", "Assess: not actionable", [S.IN_REVIEW], S.CLOSED, TRIAGE),
        _t("assess_illegal", "Assess: illegal", [S.IN_REVIEW], S.ACTIONABLE, TRIAGE),
        _t("mark_duplicate", "Mark duplicate", [S.NEW, S.IN_REVIEW], S.DUPLICATE, TRIAGE),
        _t("set_hosting", "Set hosting", [S.ACTIONABLE, S.ON_HOLD], None, TRIAGE),
        _t("forward", "Forward to a partner hotline", [S.ACTIONABLE], S.FORWARDED, TRIAGE),
        _t(
            "escalate",
            "Escalate to an agency",
            ESCALATABLE,
            None,
            ESCALATE,
            automatic_for=["system"],
        ),
        _t("hold", "Put on hold", [S.ACTIONABLE, S.TAKEDOWN_REQUESTED, S.OVERDUE], S.ON_HOLD, HOLD),
        _t("release_hold", "Release hold", [S.ON_HOLD], None, HOLD, automatic_for=["system"]),
        # Notices and their clock.
        _t(
            "schedule_notice",
            "Schedule notice (police window)",
            [S.ACTIONABLE],
            None,
            TRIAGE,
        ),
        _t(
            "withdraw_notice",
            "Withdraw notice",
            [S.ACTIONABLE, S.TAKEDOWN_REQUESTED, S.OVERDUE],
            S.ACTIONABLE,
            TRIAGE,
            automatic_for=["system"],
        ),
        _t(
            "acknowledge_notice",
            "Acknowledge notice",
            [S.TAKEDOWN_REQUESTED, S.OVERDUE],
            None,
            None,
            automatic_for=["api_key"],
            during_hold=True,
        ),
        _t(
            "dispute_notice",
            "Dispute notice",
            [S.TAKEDOWN_REQUESTED, S.OVERDUE],
            None,
            None,
            automatic_for=["api_key"],
            during_hold=True,
        ),
        _t(
            "notice_timer",
            "Reminder or repeat notice",
            [S.TAKEDOWN_REQUESTED, S.OVERDUE],
            None,
            None,
            automatic_for=["system"],
        ),
        _t(
            "send_notice",
            "Send notice",
            [S.ACTIONABLE],
            S.TAKEDOWN_REQUESTED,
            TRIAGE,
            automatic_for=["system"],
        ),
        _t(
            "hand_off_notice",
            "Notice accepted by the provider's mail server",
            [S.TAKEDOWN_REQUESTED],
            None,
            None,
            automatic_for=["system"],
        ),
        _t(
            "mark_overdue",
            "Mark overdue",
            [S.TAKEDOWN_REQUESTED],
            S.OVERDUE,
            None,
            automatic_for=["system"],
        ),
        _t(
            "confirm_removal",
            "Confirm removal",
            [S.TAKEDOWN_REQUESTED, S.OVERDUE],
            S.REMOVED,
            TRIAGE,
            automatic_for=["api_key"],
            during_hold=True,  # and it ends the hold
        ),
    )
}


# Transitions after which a notice's timers must be (re)scheduled even if the status stays.
CLOCK_TRANSITIONS = {"schedule_notice", "notice_timer", "release_hold", "hand_off_notice"}


class TransitionNotAllowed(DomainError):
    def __init__(self, report: Report, transition: Transition, why: str = ""):
        message = (
            f"Report {report.reference} is {report.get_status_display()}; "
            f"'{transition.label}' is allowed only when it is "
            f"{' or '.join(sorted(str(S(s).label) for s in transition.sources))}."
        )
        super().__init__(f"{message} {why}".strip())


def transitions_allowed(report: Report, user) -> list[Transition]:
    """What this user may do to the report in its current state (for buttons)."""
    return [
        t
        for t in TRANSITIONS.values()
        if t.allowed_for(report) and t.permission and user.has_perm(t.permission)
    ]


def _check_actor(actor: Actor, transition: Transition) -> None:
    if actor.kind == "user":
        if transition.permission and actor.user.has_perm(transition.permission):
            return
    elif actor.kind in transition.automatic_for:
        return
    raise NotPermitted(f"{actor.label} may not '{transition.label}'.")


def _run(
    report_id: int,
    name: str,
    actor: Actor,
    apply: Callable[[Report, datetime], dict | None] = lambda report, now: None,
) -> Report:
    transition = TRANSITIONS[name]
    _check_actor(actor, transition)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if not transition.allowed_for(report):
            raise TransitionNotAllowed(report, transition)
        from_status = report.status
        now = timezone.now()
        data = apply(report, now) or {}
        if transition.target is not None:
            report.status = transition.target
        if report.status != from_status:
            report.status_changed_at = now
        report.save()
        events_append(
            [
                event_build(
                    name,
                    actor=actor,
                    at=now,
                    report=report,
                    from_status=from_status,
                    to_status=report.status,
                    data=data,
                )
            ]
        )
        if report.status != from_status or name in CLOCK_TRANSITIONS:
            deadlines.timers_schedule_for_report(report)
    return report


def report_file_as_duplicate(report: Report, *, original: Report) -> None:
    """Intake's birth of a report that repeats an open one: closed, pointing at the original.

    The report is not saved yet: intake inserts it (alone or in a batch) with its event.
    """
    report.status = S.DUPLICATE
    report.duplicate_of = original


def _require_owner(report: Report, actor: Actor, transition_name: str) -> None:
    if report.assigned_to_id != getattr(actor.user, "pk", None):
        owner = report.assigned_to.get_username() if report.assigned_to else "nobody"
        raise TransitionNotAllowed(
            report,
            TRANSITIONS[transition_name],
            f"It is claimed by {owner}: only they can do this (a supervisor can take it over).",
        )


def _choice(value, choices, field: str) -> str:
    if value not in choices.values:
        raise DomainError(f"{field} must be one of: {', '.join(choices.values)}.")
    return value


# --- triage -----------------------------------------------------------------------------------


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


def report_assess_not_actionable(report_id: int, *, actor: Actor, reason: str) -> Report:
    _choice(reason, NotActionableReason, "The reason")

    def apply(report, now):
        _require_owner(report, actor, "assess_not_actionable")
        report.assessed_by = actor.user
        report.assessed_at = now
        report.not_actionable_reason = reason
        return {"reason": reason}

    return _run(report_id, "assess_not_actionable", actor, apply)


def report_assess_illegal(
    report_id: int,
    *,
    actor: Actor,
    legal_status: str,
    industry_category: str,
    media_type: str,
    site_type: str,
    commercial: bool,
) -> Report:
    classification = {
        "legal_status": _choice(legal_status, LegalStatus, "The legal status"),
        "industry_category": _choice(industry_category, IndustryCategory, "The category"),
        "media_type": _choice(media_type, MediaType, "The media type"),
        "site_type": _choice(site_type, SiteType, "The site type"),
        "commercial": bool(commercial),
    }

    def apply(report, now):
        _require_owner(report, actor, "assess_illegal")
        for field, value in classification.items():
            setattr(report, field, value)
        report.assessed_by = actor.user
        report.assessed_at = now
        return classification

    return _run(report_id, "assess_illegal", actor, apply)


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
        provider = None
        if provider_id is not None:
            provider = Provider.objects.filter(pk=provider_id, active=True).first()
            if provider is None:
                raise DomainError("That provider does not exist or is not active.")
        report.provider = provider
        report.hosting_country = country
        return {"provider": provider.name if provider else None, "country": country}

    return _run(report_id, "set_hosting", actor, apply)


def report_forward(
    report_id: int, *, actor: Actor, partner_id: int, partner_reference: str = ""
) -> Report:
    def apply(report, now):
        if not report.hosting_country:
            raise DomainError("Set the hosting country before forwarding.")
        running = _running_notice(report)
        if running is not None:
            raise DomainError(
                f"Notice {running.pk} is {running.get_status_display()}: withdraw it before "
                "forwarding the report to a partner hotline."
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


# --- law enforcement --------------------------------------------------------------------------


def report_escalate(
    report_id: int,
    *,
    actor: Actor,
    agency_id: int,
    kind: str,
    channel: str,
    agency_reference: str = "",
    note: str = "",
    corrects_id: int | None = None,
) -> Escalation:
    _choice(kind, Escalation.Kind, "The kind")
    _choice(channel, Escalation.Channel, "The channel")
    created: list[Escalation] = []

    def apply(report, now):
        agency = Agency.objects.filter(pk=agency_id, active=True).first()
        if agency is None:
            raise DomainError("That agency does not exist or is not active.")
        corrects = None
        if corrects_id is not None:
            corrects = Escalation.objects.filter(pk=corrects_id, report=report).first()
            if corrects is None:
                raise DomainError("The escalation to correct is not one of this report's.")
        escalation = Escalation.objects.create(
            report=report,
            agency=agency,
            kind=kind,
            channel=channel,
            agency_reference=agency_reference.strip(),
            note=note.strip(),
            corrects=corrects,
            created_by=actor.user,
            created_by_label=actor.label,
            created_at=now,
        )
        created.append(escalation)
        return {
            "escalation": escalation.pk,
            "agency": agency.name,
            "kind": kind,
            "channel": channel,
            "agency_reference": escalation.agency_reference,
            "corrects": corrects_id,
        }

    _run(report_id, "escalate", actor, apply)
    return created[0]


def report_hold(
    report_id: int, *, actor: Actor, agency_id: int, until: datetime, agency_reference: str = ""
) -> Report:
    def apply(report, now):
        if until <= now:
            raise DomainError("A hold must end in the future.")
        agency = Agency.objects.filter(pk=agency_id, active=True).first()
        if agency is None:
            raise DomainError("That agency does not exist or is not active.")
        notice = _running_notice(report)
        Hold.objects.create(
            report=report,
            notice=notice,
            agency=agency,
            agency_reference=agency_reference.strip(),
            started_at=now,
            until=until,
        )
        if notice is not None:
            notice.due_at = None  # the clock stops: nothing fires while held
            notice.save(update_fields=["due_at"])
        report.status_before_hold = report.status
        return {
            "agency": agency.name,
            "agency_reference": agency_reference.strip(),
            "until": until.isoformat(),
        }

    return _run(report_id, "hold", actor, apply)


def report_hold_release(report_id: int, *, actor: Actor) -> Report:
    def apply(report, now):
        hold = report.holds.get(released_at__isnull=True)
        hold.released_at = min(now, hold.until)
        expired = now >= hold.until
        hold.end_reason = Hold.EndReason.EXPIRED if expired else Hold.EndReason.RELEASED
        hold.save(update_fields=["released_at", "end_reason"])
        report.status = report.status_before_hold
        report.status_before_hold = ""
        data = {"held_seconds": hold.seconds, "expired": expired}
        if hold.notice_id is not None:
            notice = Notice.objects.get(pk=hold.notice_id)
            notice.report = report  # the locked row, its status already restored above
            deadlines.notice_clock_resume(notice, held=hold.released_at - hold.started_at)
            if notice.deadline_at:
                data["deadline_at"] = notice.deadline_at.isoformat()
        return data

    return _run(report_id, "release_hold", actor, apply)


# --- notices ----------------------------------------------------------------------------------


def _running_notice(report: Report) -> Notice | None:
    return report.notices.filter(status__in=RUNNING_NOTICE_STATUSES).first()


def _notice_dispatch(notice: Notice, now) -> dict:
    """Queue the notice e-mail (with its X-ARF document); the clock starts at its hand-off."""
    notice.status = Notice.Status.DELIVERING
    notice.sent_at = now
    notice.due_at = None
    notice.save()
    notices.message_queue(notice, OutgoingMessage.Kind.NOTICE)
    return {"notice": notice.pk, "provider": notice.provider.name, "kind": notice.kind}


def notice_hand_off(message: OutgoingMessage) -> bool:
    """Send a notice's own message (locked, report locked first); if the provider's mail server
    accepts it, the notice opens and its clock starts at this attempt. True if it was sent.

    The message is rendered with the deadline that starts now, so it states the one that runs.
    A notice withdrawn or closed before it went is never sent; one on hold waits for the release.
    """
    notice = message.notice
    transition = TRANSITIONS["hand_off_notice"]
    if notice.status != Notice.Status.DELIVERING or notice.report.status not in transition.sources:
        return False
    at = timezone.now()
    deadlines.notice_clock_start(notice, at)
    if not notices.message_send(message, notice, at):
        return False

    def apply(report, now):
        notice.report = report  # the locked row
        notice.status = Notice.Status.OPEN
        notice.due_at = deadlines.notice_due_at(notice)
        notice.save()
        return {
            "notice": notice.pk,
            "message": message.pk,
            "handed_off_at": at.isoformat(),
            "deadline_at": notice.deadline_at.isoformat(),
            "policy": notice.policy,
        }

    _run(notice.report_id, "hand_off_notice", Actor.system("mail delivery"), apply)
    return True


def report_send_notice(
    report_id: int, *, actor: Actor, kind: str = Notice.Kind.VOLUNTARY
) -> Notice:
    """Send the provider a notice now, or schedule it when the police window is still open."""
    _choice(kind, Notice.Kind, "The notice kind")
    window = deadlines.police_window()
    report = Report.objects.get(pk=report_id)
    send_at = None
    if window is not None:
        notified_at = deadlines.police_notified_at(report)
        if notified_at is None:
            raise DomainError(
                "Notify the police first (escalate to a police agency): notices wait "
                f"{settings.HOTLINE_LEA_WINDOW} after the police were notified."
            )
        if notified_at + window > timezone.now():
            send_at = notified_at + window
    created: list[Notice] = []

    def apply(report, now):
        if report.provider is None or not report.provider.active:
            raise DomainError("Set the hosting provider first (an active one).")
        running = _running_notice(report)
        if running is not None:
            raise DomainError(f"Notice {running.pk} is already {running.get_status_display()}.")
        notice = Notice(
            report=report, provider=report.provider, kind=kind, created_by_label=actor.label
        )
        created.append(notice)
        if send_at is not None:  # even if the window closed a moment ago: the sweep sends it
            notice.status = Notice.Status.SCHEDULED
            notice.scheduled_for = send_at
            notice.due_at = send_at
            notice.save()
            return {"notice": notice.pk, "scheduled_for": send_at.isoformat(), "kind": kind}
        return _notice_dispatch(notice, now)

    name = "schedule_notice" if send_at is not None else "send_notice"
    _run(report_id, name, actor, apply)
    return created[0]


def notice_fire_due(notice_id: int, *, skip_locked: bool = False) -> list[str]:
    """Do what the clock says is due on this notice; nothing if nothing is (idempotent).

    Called by the ETA tasks and by the sweep: the notice's ``due_at`` decides, so a late,
    repeated or concurrent call finds nothing left to do. With ``skip_locked`` (the sweep) a
    report that someone else holds is left for the next sweep instead of waited for.
    """
    actor = Actor.system("deadline timer")
    fired: list[str] = []
    report_id = Notice.objects.values_list("report_id", flat=True).get(pk=notice_id)
    with transaction.atomic():
        # The report row guards its notices.
        locked = Report.objects.select_for_update(skip_locked=skip_locked).filter(pk=report_id)
        if locked.values_list("pk", flat=True).first() is None:
            return fired
        notice = Notice.objects.select_related("report", "provider").get(pk=notice_id)
        now = timezone.now()
        if notice.due_at is None or notice.due_at > now:
            return fired
        if notice.status == Notice.Status.SCHEDULED and not notice.provider.active:
            # Deactivated while the police window ran: not sent; the analyst picks another.
            _run(
                report_id,
                "withdraw_notice",
                actor,
                lambda report, at: _notice_withdraw(notice, at, "provider deactivated"),
            )
            return ["withdrawn"]
        if notice.status == Notice.Status.SCHEDULED:
            _run(report_id, "send_notice", actor, lambda report, at: _notice_dispatch(notice, at))
            return ["sent"]
        if notice.status == Notice.Status.OPEN and notice.deadline_at <= now:
            _run(report_id, "mark_overdue", actor, lambda report, at: _notice_overdue(notice, at))
            fired.append("overdue")
        elif notice.status == Notice.Status.OPEN:
            _run(report_id, "notice_timer", actor, lambda report, at: _notice_remind(notice, at))
            fired.append("reminder")
        # due_at is None when nothing is left to do (e.g. the last repeat just went out).
        if notice.status == Notice.Status.OVERDUE and notice.due_at and notice.due_at <= now:
            fired.extend(_notice_overdue_followups(notice, actor, now))
    return fired


def _notice_remind(notice: Notice, now) -> dict:
    notices.message_queue(notice, OutgoingMessage.Kind.REMINDER)
    notice.reminder_sent_at = now
    notice.due_at = deadlines.notice_due_at(notice)
    notice.save(update_fields=["reminder_sent_at", "due_at"])
    return {"notice": notice.pk, "message": "reminder"}


def _notice_overdue(notice: Notice, now) -> dict:
    notice.status = Notice.Status.OVERDUE
    data = {"notice": notice.pk, "deadline_at": notice.deadline_at.isoformat()}
    data.update(_notice_repeat(notice, now))
    return data


def _notice_repeat(notice: Notice, now) -> dict:
    """Send the repeat due now (one, even if the service was down through several intervals)."""
    attempt = deadlines.repeat_due_attempt(notice, now)
    if attempt > notice.repeats_sent:
        notices.message_queue(notice, OutgoingMessage.Kind.REPEAT, attempt=attempt)
        notice.repeats_sent = attempt
    notice.due_at = deadlines.notice_due_at(notice)
    notice.save()
    return {"repeats_sent": notice.repeats_sent}


def _notice_overdue_followups(notice: Notice, actor: Actor, now) -> list[str]:
    fired = []
    if deadlines.repeat_due_attempt(notice, now) > notice.repeats_sent:
        _run(notice.report_id, "notice_timer", actor, lambda report, at: _notice_repeat(notice, at))
        fired.append("repeat")
    agency = deadlines.escalation_agency()
    escalate_at = deadlines.escalation_at(notice)
    if agency is not None and escalate_at is not None and escalate_at <= now:
        note = f"Notice {notice.pk} not removed by {notice.deadline_at:%Y-%m-%d %H:%M} UTC."
        if not agency.contact_email:
            note += f" {agency.name} has no e-mail address on file: tell them by hand."
        # Written before the escalation's event, so that the state it records includes them.
        if agency.contact_email:  # never falls back to the provider's address
            notices.message_queue(
                notice, OutgoingMessage.Kind.ESCALATION, to_address=agency.contact_email
            )
        notice.escalated_at = now
        notice.due_at = deadlines.notice_due_at(notice)
        notice.save(update_fields=["escalated_at", "due_at"])
        report_escalate(
            notice.report_id,
            actor=actor,
            agency_id=agency.pk,
            kind=Escalation.Kind.NON_COMPLIANCE,
            channel=Escalation.Channel.SYSTEM,
            note=note,
        )
        fired.append("escalation")
    return fired


def report_confirm_removal(
    report_id: int,
    *,
    actor: Actor,
    removed_at: datetime | None = None,
    notice_id: int | None = None,
) -> Report:
    """The provider confirmed, or an analyst verified, that the content is gone.

    A provider names its notice (``notice_id``): that one is confirmed, or nothing is; an
    analyst confirms the report's running notice, whichever it is.
    """

    def apply(report, now):
        if notice_id is not None:
            notice = _provider_notice(report, notice_id, actor)
        else:
            notice = report.notices.filter(status__in=ANSWERABLE_NOTICE_STATUSES).first()
        when = removed_at or now
        if notice is not None and (when < notice.handed_off_at or when > now):
            raise DomainError(
                "The removal time must lie between the notice reaching the provider "
                f"({notice.handed_off_at:%Y-%m-%d %H:%M:%S} UTC) and now."
            )
        delivering = report.notices.filter(status=Notice.Status.DELIVERING).first()
        withdrawn = {}
        if delivering is not None:  # gone before the provider was told: nothing to tell it
            withdrawn = _notice_withdraw(
                delivering, now, "removed before the notice reached the provider"
            )
        hold = None
        if report.status == S.ON_HOLD:
            hold = _hold_end_by_removal(report, notice, when, now)
        if notice is not None:
            notice.status = Notice.Status.REMOVED
            notice.removed_at = when
            if actor.kind == "api_key":
                notice.removal_confirmed_at = when
            notice.due_at = None
            notice.save()
        data = {
            "notice": notice.pk if notice else None,
            "removed_at": when.isoformat(),
            "late": bool(notice and when > notice.deadline_at),
            "source": "provider" if actor.kind == "api_key" else "analyst",
            **({"withdrawn": withdrawn} if withdrawn else {}),
        }
        return data | ({"hold": hold} if hold else {})

    return _run(report_id, "confirm_removal", actor, apply)


def _hold_end_by_removal(report: Report, notice: Notice | None, removed_at, now) -> dict:
    """A removal during a hold ends it: recorded on the hold for the agency that asked for it.

    The notice's clock stood still from the hold's start to the removal, so its deadline moves
    by that much (nothing, if the content was gone before the hold began).
    """
    hold = report.holds.select_related("agency").get(released_at__isnull=True)
    hold.released_at = min(now, hold.until)
    hold.end_reason = Hold.EndReason.REMOVED
    hold.save(update_fields=["released_at", "end_reason"])
    report.status_before_hold = ""
    paused = max(min(removed_at, hold.released_at) - hold.started_at, timedelta(0))
    if notice is not None and hold.notice_id == notice.pk:
        notice.report = report
        deadlines.notice_clock_resume(notice, held=paused)
    return {
        "agency": hold.agency.name,
        "agency_reference": hold.agency_reference,
        "held_seconds": int(paused.total_seconds()),
        "ended": hold.end_reason,
    }


def _notice_withdraw(notice: Notice, now, reason: str) -> dict:
    if notice.status == Notice.Status.DELIVERING:
        # Never sent: its message is dropped, not left for every later sweep to try again.
        notice.messages.filter(kind=OutgoingMessage.Kind.NOTICE, sent_at__isnull=True).delete()
    notice.status = Notice.Status.WITHDRAWN
    notice.withdrawn_at = now
    notice.withdrawal_reason = reason.strip()[:500]
    notice.due_at = None
    notice.save()
    return {"notice": notice.pk, "reason": notice.withdrawal_reason}


def report_withdraw_notice(report_id: int, *, actor: Actor, reason: str) -> Report:
    if not reason.strip():
        raise DomainError("Give a reason for withdrawing the notice.")

    def apply(report, now):
        notice = _running_notice(report)
        if notice is None:
            raise DomainError(f"Report {report.reference} has no notice to withdraw.")
        return _notice_withdraw(notice, now, reason)

    return _run(report_id, "withdraw_notice", actor, apply)


# --- what providers do (through their API key) ----------------------------------------------

PROVIDER_VISIBLE = [
    Notice.Status.OPEN,
    Notice.Status.OVERDUE,
    Notice.Status.REMOVED,
    Notice.Status.WITHDRAWN,
]


class NoticeClosed(DomainError):
    def __init__(self, notice: Notice):
        super().__init__(
            f"Notice {notice.pk} is {notice.get_status_display()}: it can no longer be answered."
        )


def _require_own_notice(actor: Actor, notice: Notice) -> None:
    """A key answers only for its own provider's notices (a partner's key for none)."""
    if actor.kind != "user" and actor.provider_id != notice.provider_id:
        raise NotPermitted(f"{actor.label} may answer only its own provider's notices.")


def _provider_notice(report, notice_id: int, actor: Actor) -> Notice:
    """The named notice, under the report's lock: the actor's own, and still answerable."""
    notice = report.notices.get(pk=notice_id)
    _require_own_notice(actor, notice)
    if notice.status not in ANSWERABLE_NOTICE_STATUSES:
        raise NoticeClosed(notice)
    return notice


def notice_acknowledge(notice_id: int, *, actor: Actor) -> Notice:
    """The provider has seen the notice. Repeating it changes nothing."""
    notice = Notice.objects.get(pk=notice_id)
    _require_own_notice(actor, notice)
    if notice.acknowledged_at is not None:
        return notice
    if notice.status not in ANSWERABLE_NOTICE_STATUSES:
        raise NoticeClosed(notice)

    def apply(report, now):
        locked = _provider_notice(report, notice_id, actor)
        if locked.acknowledged_at is None:
            locked.acknowledged_at = now
            locked.save(update_fields=["acknowledged_at"])
        return {"notice": notice_id}

    _run(notice.report_id, "acknowledge_notice", actor, apply)
    return Notice.objects.get(pk=notice_id)


def notice_dispute(notice_id: int, *, actor: Actor, reason: str) -> Notice:
    """The provider contests the notice; it goes to the analysts' disputed queue."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for the dispute.")
    if len(reason) > 2000:
        raise DomainError(f"The reason is {len(reason)} characters; at most 2000 are accepted.")
    notice = Notice.objects.get(pk=notice_id)
    _require_own_notice(actor, notice)
    if notice.status not in ANSWERABLE_NOTICE_STATUSES:
        raise NoticeClosed(notice)

    def apply(report, now):
        locked = _provider_notice(report, notice_id, actor)
        if locked.disputed_at is not None:
            raise DomainError(f"Notice {notice_id} is already disputed; the hotline will answer.")
        locked.disputed_at = now
        locked.dispute_reason = reason
        locked.save(update_fields=["disputed_at", "dispute_reason"])
        return {"notice": notice_id}  # the reason stays on the notice, not in the audit data

    _run(notice.report_id, "dispute_notice", actor, apply)
    return Notice.objects.get(pk=notice_id)


def notice_confirm_removed(notice_id: int, *, actor: Actor, removed_at=None) -> Notice:
    """The provider's confirmation. Repeating it on a notice already removed changes nothing."""
    notice = Notice.objects.get(pk=notice_id)
    _require_own_notice(actor, notice)
    if notice.status == Notice.Status.REMOVED:
        return notice
    if notice.status not in ANSWERABLE_NOTICE_STATUSES:
        raise NoticeClosed(notice)
    try:
        report_confirm_removal(
            notice.report_id, actor=actor, removed_at=removed_at, notice_id=notice_id
        )
    except TransitionNotAllowed:
        notice.refresh_from_db()
        if notice.status != Notice.Status.REMOVED:  # not a concurrent twin confirmation
            raise NoticeClosed(notice) from None
    return Notice.objects.get(pk=notice_id)
