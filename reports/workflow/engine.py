"""The transition engine: the declared tables of report and notice transitions, and ``_run``,
which every report transition goes through.

Each transition is one function. It runs in one transaction, locks the report row, re-checks
the state after taking the lock, checks the actor may do it, writes the new state with every
timestamp the SLA needs, appends an audit event, and defers side effects to commit. A transition
that is not allowed raises a ``DomainError`` naming the current state and what was asked, and
writes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from hotline.actors import Actor
from hotline.errors import DomainError, NotPermitted
from reports import deadlines
from reports.audit import event_build, events_append
from reports.models import RUNNING_NOTICE_STATUSES, Notice, Report
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
        # The four-eyes rule (HOTLINE_FOUR_EYES): a second analyst confirms before any notice.
        _t("confirm_assessment", "Confirm the assessment", [S.ACTIONABLE], None, TRIAGE),
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
        # A child may be in immediate danger: an analyst logs it at once, without a supervisor
        # (only this kind; the others need the escalate permission).
        _t("escalate_urgent", "Log an urgent escalation", ESCALATABLE, None, TRIAGE),
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
        # Removal verification (reports/verification.py): the checks decide.
        _t(
            "stop_checks",
            "Never check this URL",
            [
                S.NEW,
                S.IN_REVIEW,
                S.ACTIONABLE,
                S.ON_HOLD,
                S.TAKEDOWN_REQUESTED,
                S.OVERDUE,
                S.REMOVED,
            ],
            None,
            TRIAGE,
            during_hold=True,
        ),
        _t(
            "claim_removal",
            "Removal claimed (being verified)",
            [S.TAKEDOWN_REQUESTED, S.OVERDUE],
            None,
            None,
            automatic_for=["api_key"],
            during_hold=True,
        ),
        _t(
            "contest_removal",
            "Removal claim contested (still online)",
            [S.TAKEDOWN_REQUESTED, S.OVERDUE],
            None,
            None,
            automatic_for=["system"],
        ),
        _t(
            "verify_removal",
            "Removal verified",
            [S.TAKEDOWN_REQUESTED, S.OVERDUE],
            S.REMOVED,
            None,
            automatic_for=["system"],
        ),
        _t(
            "removal_verified",
            "Earlier removal verified",
            [S.REMOVED],
            None,
            None,
            automatic_for=["system"],
        ),
        # A lookup before a hand-off found the host elsewhere: the message waits for an analyst.
        _t(
            "hosting_changed",
            "Hosting changed",
            [S.TAKEDOWN_REQUESTED, S.OVERDUE],
            None,
            None,
            automatic_for=["system"],
        ),
        _t(
            "hosting_move_follow",
            "Withdraw the notice: the content moved",
            [S.TAKEDOWN_REQUESTED, S.OVERDUE],
            S.ACTIONABLE,
            TRIAGE,
        ),
        _t(
            "hosting_move_dismiss",
            "Keep the notice running",
            [S.TAKEDOWN_REQUESTED, S.OVERDUE],
            None,
            TRIAGE,
        ),
        # The analysts' answers to a provider's dispute.
        _t(
            "uphold_dispute",
            "Dispute upheld: withdraw the notice",
            [S.TAKEDOWN_REQUESTED, S.OVERDUE],
            S.ACTIONABLE,
            TRIAGE,
        ),
        _t(
            "reject_dispute",
            "Dispute rejected: the notice runs on",
            [S.TAKEDOWN_REQUESTED, S.OVERDUE],
            None,
            TRIAGE,
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
            "undeliverable_notice",
            "No channel could deliver the notice",
            [S.TAKEDOWN_REQUESTED],
            None,
            None,
            automatic_for=["system"],
        ),
        _t(
            "redeliver_notice",
            "Deliver the notice again",
            [S.TAKEDOWN_REQUESTED],
            None,
            TRIAGE,
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


def _running_notice(report: Report) -> Notice | None:
    return report.notices.filter(status__in=RUNNING_NOTICE_STATUSES).first()


# The notice's own statuses: what each may become (None: a notice being created).
N = Notice.Status
NOTICE_TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({N.SCHEDULED, N.DELIVERING}),
    N.SCHEDULED: frozenset({N.DELIVERING, N.WITHDRAWN}),
    N.DELIVERING: frozenset({N.OPEN, N.UNDELIVERABLE, N.WITHDRAWN}),
    N.UNDELIVERABLE: frozenset({N.DELIVERING, N.WITHDRAWN}),
    N.OPEN: frozenset({N.OVERDUE, N.REMOVED, N.WITHDRAWN}),
    N.OVERDUE: frozenset({N.REMOVED, N.WITHDRAWN}),
}


class NoticeTransitionNotAllowed(DomainError):
    def __init__(self, notice: Notice, target: str):
        super().__init__(
            f"Notice {notice.pk} is {notice.get_status_display()}: it cannot become "
            f"{N(target).label}."
        )


def notice_status_move(notice: Notice, target: str) -> None:
    """Set a notice's status, if the notice table allows it (inside a report transition)."""
    source = None if notice._state.adding else notice.status
    if target not in NOTICE_TRANSITIONS.get(source, frozenset()):
        raise NoticeTransitionNotAllowed(notice, target)
    notice.status = target
