"""Notices and their clock, and what providers answer (through their API key)."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.actors import Actor
from hotline.errors import DomainError, NotPermitted
from reports import deadlines, outbox, verification
from reports.models import (
    ANSWERABLE_NOTICE_STATUSES,
    DISPUTE_WAITING,
    DisputeAnswer,
    Escalation,
    HostingLookup,
    Notice,
    OutgoingMessage,
    Report,
)
from reports.models import ReportStatus as S
from reports.workflow.engine import (
    TransitionNotAllowed,
    _choice,
    _run,
    _running_notice,
    notice_status_move,
)
from reports.workflow.police import _hold_end_by_removal, report_escalate


def _notice_dispatch(notice: Notice, now) -> dict:
    """Queue the notice (the outbox groups it per provider); the clock starts at its hand-off."""
    notice_status_move(notice, Notice.Status.DELIVERING)
    notice.sent_at = now
    notice.due_at = None
    notice.save()
    outbox.items_queue(notice, OutgoingMessage.Kind.NOTICE)
    return {"notice": notice.pk, "provider": notice.provider.name, "kind": notice.kind}


def report_redeliver_notice(report_id: int, *, actor: Actor) -> Report:
    """After the provider's contact or channel was corrected: deliver the undeliverable notice
    again, on the channels the directory names now."""

    def apply(report, now):
        notice = report.notices.filter(status=Notice.Status.UNDELIVERABLE).first()
        if notice is None:
            raise DomainError(f"Report {report.reference} has no undeliverable notice.")
        notice_status_move(notice, Notice.Status.DELIVERING)
        notice.save(update_fields=["status"])
        attempt = 1 + max(
            notice.message_items.filter(kind=OutgoingMessage.Kind.NOTICE).values_list(
                "attempt", flat=True
            ),
            default=0,
        )
        outbox.items_queue(notice, OutgoingMessage.Kind.NOTICE, attempt=attempt)
        return {"notice": notice.pk, "attempt": attempt}

    return _run(report_id, "redeliver_notice", actor, apply)


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
        if report.assessment_unconfirmed:
            raise DomainError(
                f"Report {report.reference}: the four-eyes rule holds every notice until a "
                "second analyst confirms the assessment."
            )
        if report.provider is None or not report.provider.active:
            raise DomainError("Set the hosting provider first (an active one).")
        running = _running_notice(report)
        if running is not None:
            raise DomainError(
                f"The notice to {running.provider.name} is already {running.get_status_display()}."
            )
        notice = Notice(
            report=report,
            provider=report.provider,
            country=report.hosting_country,
            lookup=report.hosting_lookup,
            kind=kind,
            created_by_label=actor.label,
        )
        created.append(notice)
        if send_at is not None:  # even if the window closed a moment ago: the sweep sends it
            notice_status_move(notice, Notice.Status.SCHEDULED)
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
    outbox.items_queue(notice, OutgoingMessage.Kind.REMINDER)
    notice.reminder_sent_at = now
    notice.due_at = deadlines.notice_due_at(notice)
    notice.save(update_fields=["reminder_sent_at", "due_at"])
    return {"notice": notice.pk, "message": "reminder"}


def _notice_overdue(notice: Notice, now) -> dict:
    notice_status_move(notice, Notice.Status.OVERDUE)
    data = {"notice": notice.pk, "deadline_at": notice.deadline_at.isoformat()}
    data.update(_notice_repeat(notice, now))
    return data


def _notice_repeat(notice: Notice, now) -> dict:
    """Send the repeat due now (one, even if the service was down through several intervals)."""
    attempt = deadlines.repeat_due_attempt(notice, now)
    if attempt > notice.repeats_sent:
        outbox.items_queue(notice, OutgoingMessage.Kind.REPEAT, attempt=attempt)
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
            outbox.items_queue(
                notice, OutgoingMessage.Kind.ESCALATION, address=agency.contact_email
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
            notice_status_move(notice, Notice.Status.REMOVED)
            notice.removed_at = when
            if actor.kind == "api_key":
                notice.removal_confirmed_at = when
            notice.due_at = None
            notice.save()
            verification.rechecks_after_removal(notice, when)
        data = {
            "notice": notice.pk if notice else None,
            "removed_at": when.isoformat(),
            "late": bool(notice and when > notice.deadline_at),
            "source": "provider" if actor.kind == "api_key" else "analyst",
            **({"withdrawn": withdrawn} if withdrawn else {}),
        }
        return data | ({"hold": hold} if hold else {})

    return _run(report_id, "confirm_removal", actor, apply)


def _notice_withdraw(notice: Notice, now, reason: str, *, moved: bool = False) -> dict:
    notice_status_move(notice, Notice.Status.WITHDRAWN)
    # What was not sent yet is left out of its message (which may carry other notices), not
    # tried again; an escalation to an agency still goes, and an attempt under way is the
    # outbox's to finish.
    notice.message_items.filter(
        Q(message__isnull=True) | Q(message__status=OutgoingMessage.Status.PENDING), dropped=""
    ).exclude(kind=OutgoingMessage.Kind.ESCALATION).update(
        dropped=f"the notice is {notice.get_status_display()}"
    )
    notice.withdrawn_at = now
    notice.withdrawal_reason = reason.strip()[:500]
    notice.moved = moved
    notice.due_at = None
    notice.save()
    return {"notice": notice.pk, "reason": notice.withdrawal_reason, "moved": moved}


def report_withdraw_notice(report_id: int, *, actor: Actor, reason: str) -> Report:
    if not reason.strip():
        raise DomainError("Give a reason for withdrawing the notice.")

    def apply(report, now):
        notice = _running_notice(report)
        if notice is None:
            raise DomainError(f"Report {report.reference} has no notice to withdraw.")
        return _notice_withdraw(notice, now, reason)

    return _run(report_id, "withdraw_notice", actor, apply)


# --- the analysts' answers to a provider's dispute -------------------------------------------


def _dispute_answer_clean(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for the answer to the dispute.")
    if len(reason) > 2000:
        raise DomainError(f"The reason is {len(reason)} characters; at most 2000 are accepted.")
    return reason


def _disputed_notice(report: Report, answer: str, reason: str, now) -> Notice:
    """The running notice with an open dispute, answered (under the report's lock)."""
    notice = report.notices.filter(DISPUTE_WAITING, status__in=ANSWERABLE_NOTICE_STATUSES).first()
    if notice is None:
        raise DomainError(f"Report {report.reference} has no dispute waiting for an answer.")
    notice.dispute_answer = answer
    notice.dispute_answered_at = now
    notice.dispute_answer_reason = reason
    notice.save(update_fields=["dispute_answer", "dispute_answered_at", "dispute_answer_reason"])
    return notice


def report_dispute_uphold(report_id: int, *, actor: Actor, reason: str) -> Report:
    """The provider is right: the disputed notice is withdrawn (as by "withdraw notice"), with
    the reason; the report is actionable again."""
    reason = _dispute_answer_clean(reason)

    def apply(report, now):
        notice = _disputed_notice(report, DisputeAnswer.UPHELD, reason, now)
        return _notice_withdraw(notice, now, f"dispute upheld: {reason}")

    return _run(report_id, "uphold_dispute", actor, apply)


def report_dispute_reject(report_id: int, *, actor: Actor, reason: str) -> Report:
    """The notice stands: it runs on with its clock, and the provider is told why on its
    channels (a message of its own)."""
    reason = _dispute_answer_clean(reason)

    def apply(report, now):
        notice = _disputed_notice(report, DisputeAnswer.REJECTED, reason, now)
        outbox.items_queue(notice, OutgoingMessage.Kind.DISPUTE_REJECTED)
        return {"notice": notice.pk, "provider": notice.provider.name}

    return _run(report_id, "reject_dispute", actor, apply)


# --- removal verification (the checks of reports/verification.py decide) -------------------


def _removal_claim(notice: Notice, actor: Actor, removed_at) -> Notice:
    """The provider says removed: recorded as its claim, checked at once; the notice runs on
    until the checks find it gone (a fresh claim replaces a contested one)."""

    def apply(report, now):
        locked = _provider_notice(report, notice.pk, actor)
        locked.removal_confirmed_at = removed_at or now
        locked.removal_contested_at = None
        locked.save(update_fields=["removal_confirmed_at", "removal_contested_at"])
        verification.check_after_claim(locked, now)
        return {"notice": locked.pk, "claimed_removed_at": locked.removal_confirmed_at.isoformat()}

    _run(notice.report_id, "claim_removal", actor, apply)
    return Notice.objects.get(pk=notice.pk)


def notice_seen_online(notice_id: int, *, at) -> None:
    """A check found the content online: noted; a removal the provider claimed is contested
    (the notice runs on, clock and repeats, and the next message says so)."""
    notice = Notice.objects.get(pk=notice_id)
    Notice.objects.filter(pk=notice_id).update(last_seen_online_at=at)
    if not notice.is_running or notice.removal_confirmed_at is None:
        return
    if notice.removal_contested_at is not None:
        return

    def apply(report, now):
        locked = report.notices.get(pk=notice_id)
        locked.removal_contested_at = at
        locked.save(update_fields=["removal_contested_at"])
        return {"notice": notice_id, "claimed_removed_at": locked.removal_confirmed_at.isoformat()}

    _run(notice.report_id, "contest_removal", Actor.system("verification"), apply)


def notice_removal_verified(notice_id: int, *, first_miss_at) -> None:
    """The checks found it gone often enough: a running notice is closed as removed at the first
    of the misses, or at the provider's claim if earlier, never before the last check that saw it
    online; a notice already closed is marked verified."""
    notice = Notice.objects.get(pk=notice_id)
    actor = Actor.system("verification")
    if notice.status == Notice.Status.REMOVED:

        def mark(report, now):
            locked = report.notices.get(pk=notice_id)
            locked.removal_verified_at = now
            locked.save(update_fields=["removal_verified_at"])
            return {"notice": notice_id}

        _run(notice.report_id, "removal_verified", actor, mark)
        return

    def apply(report, now):
        locked = report.notices.get(pk=notice_id)
        when = first_miss_at
        if locked.removal_confirmed_at is not None:
            when = min(when, locked.removal_confirmed_at)
        if locked.last_seen_online_at is not None:
            when = max(when, locked.last_seen_online_at)
        hold = (
            _hold_end_by_removal(report, locked, when, now) if report.status == S.ON_HOLD else None
        )
        notice_status_move(locked, Notice.Status.REMOVED)
        locked.removed_at = when
        locked.removal_verified_at = now
        locked.due_at = None
        locked.save()
        verification.rechecks_after_removal(locked, when)
        data = {
            "notice": notice_id,
            "removed_at": when.isoformat(),
            "late": when > locked.deadline_at,
            "source": "verification",
        }
        return data | ({"hold": hold} if hold else {})

    _run(notice.report_id, "verify_removal", actor, apply)


# --- the host moved (found by the lookup before a hand-off) ------------------------------------


def report_hosting_changed(report_id: int, *, lookup_id: int, notice_id: int) -> Report:
    """Hold the notice's next message: the lookup before its hand-off found the host at another
    provider or in another country. The report waits in the "hosting changed" queue."""
    lookup = HostingLookup.objects.select_related("provider", "candidate").get(pk=lookup_id)

    def apply(report, now):
        report.hosting_changed = lookup
        return {
            "notice": notice_id,
            "lookup": lookup.pk,
            "provider": lookup.provider.name if lookup.provider else None,
            "candidate": lookup.candidate_id,
            "country": lookup.country,
        }

    return _run(report_id, "hosting_changed", Actor.system("hosting lookup"), apply)


def report_hosting_move_follow(report_id: int, *, actor: Actor) -> Report:
    """The content moved: withdraw the running notice (counted as moved, not as the provider's
    miss) and take the new hosting; the analyst then notifies the new provider."""

    def apply(report, now):
        lookup = _hosting_change(report)
        notice = _running_notice(report)
        withdrawn = (
            _notice_withdraw(notice, now, f"the content moved to {_where(lookup)}", moved=True)
            if notice
            else {}
        )
        report.provider = lookup.provider  # None for a candidate: approve it, then set hosting
        report.hosting_country = lookup.country
        report.hosting_lookup = lookup
        report.hosting_changed = None
        return {"lookup": lookup.pk, "withdrawn": withdrawn, "provider": _where(lookup)}

    return _run(report_id, "hosting_move_follow", actor, apply)


def report_hosting_move_dismiss(report_id: int, *, actor: Actor, reason: str) -> Report:
    """Keep the notice running (e.g. the old provider still serves it): the held message goes,
    and later checks compare with the new answer."""
    if not reason.strip():
        raise DomainError("Say why the notice keeps running.")

    def apply(report, now):
        lookup = _hosting_change(report)
        notice = _running_notice(report)
        if notice is not None:
            notice.lookup = lookup
            notice.save(update_fields=["lookup"])
            transaction.on_commit(outbox.drain_kick)  # its waiting items go now
        report.hosting_changed = None
        return {"lookup": lookup.pk, "reason": reason.strip()[:500]}

    return _run(report_id, "hosting_move_dismiss", actor, apply)


def _hosting_change(report: Report) -> HostingLookup:
    if report.hosting_changed_id is None:
        raise DomainError(f"Report {report.reference} has no hosting change to decide.")
    return HostingLookup.objects.select_related("provider").get(pk=report.hosting_changed_id)


def _where(lookup: HostingLookup) -> str:
    who = lookup.provider.name if lookup.provider else "a provider not in the directory"
    return f"{who} ({lookup.country or 'country unknown'})"


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
            # Shown on the answer page (an older tab's form), in the provider's language.
            raise DomainError(
                _("Notice %(id)s is already disputed; the hotline will answer.") % {"id": notice_id}
            )
        locked.disputed_at = now
        locked.dispute_reason = reason
        locked.save(update_fields=["disputed_at", "dispute_reason"])
        return {"notice": notice_id}  # the reason stays on the notice, not in the audit data

    _run(notice.report_id, "dispute_notice", actor, apply)
    return Notice.objects.get(pk=notice_id)


def notice_confirm_removed(notice_id: int, *, actor: Actor, removed_at=None) -> Notice:
    """The provider's confirmation. Repeating it on a notice already removed changes nothing.
    Where the service checks URLs itself, it is a claim that the checks verify."""
    notice = Notice.objects.select_related("report").get(pk=notice_id)
    _require_own_notice(actor, notice)
    if notice.status == Notice.Status.REMOVED:
        return notice
    if notice.status not in ANSWERABLE_NOTICE_STATUSES:
        raise NoticeClosed(notice)
    if verification.verification_applies(notice):
        return _removal_claim(notice, actor, removed_at)
    try:
        report_confirm_removal(
            notice.report_id, actor=actor, removed_at=removed_at, notice_id=notice_id
        )
    except TransitionNotAllowed:
        notice.refresh_from_db()
        if notice.status != Notice.Status.REMOVED:  # not a concurrent twin confirmation
            raise NoticeClosed(notice) from None
    return Notice.objects.get(pk=notice_id)
