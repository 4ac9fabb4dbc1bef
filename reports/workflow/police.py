"""Law enforcement: escalations to agencies and the holds they ask for."""

from datetime import datetime, timedelta

from hotline.actors import Actor
from hotline.errors import DomainError
from hotline.models import Agency
from reports import deadlines
from reports.models import (
    Escalation,
    Hold,
    Notice,
    Report,
)
from reports.workflow.engine import (
    ESCALATE,
    _choice,
    _run,
    _running_notice,
)


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
    """Record that an agency was told. An analyst without the escalate permission may log an
    urgent one (a child may be in immediate danger) themselves, audited as ``escalate_urgent``;
    every other kind, and every correction, needs the permission."""
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

    _run(report_id, _escalation_transition(actor, kind, corrects_id), actor, apply)
    return created[0]


def _escalation_transition(actor: Actor, kind: str, corrects_id: int | None) -> str:
    urgent = kind == Escalation.Kind.URGENT and corrects_id is None
    if urgent and actor.kind == "user" and not actor.user.has_perm(ESCALATE):
        return "escalate_urgent"
    return "escalate"


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
