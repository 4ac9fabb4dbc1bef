"""The only code that changes a report's, a notice's or an outgoing message's status (write
services).

``engine`` holds the declared transition tables and ``_run``; the transitions are split by
concern: ``triage``, ``police`` (escalations and holds), ``takedown`` (notices, their clock and
the providers' answers) and ``delivery`` (an outgoing message's attempts and outcomes).
Callers use the functions named here.
"""

from reports.workflow.delivery import (
    message_attempt_claim,
    message_cancel,
    message_gave_up,
    message_handed_off,
    message_retry,
)
from reports.workflow.engine import (
    NOTICE_TRANSITIONS,
    TRANSITIONS,
    NoticeTransitionNotAllowed,
    Transition,
    TransitionNotAllowed,
    transitions_allowed,
)
from reports.workflow.police import report_escalate, report_hold, report_hold_release
from reports.workflow.steps import report_assess_illegal_step
from reports.workflow.takedown import (
    PROVIDER_VISIBLE,
    NoticeClosed,
    notice_acknowledge,
    notice_confirm_removed,
    notice_dispute,
    notice_fire_due,
    notice_removal_verified,
    notice_seen_online,
    report_confirm_removal,
    report_dispute_reject,
    report_dispute_uphold,
    report_hosting_changed,
    report_hosting_move_dismiss,
    report_hosting_move_follow,
    report_redeliver_notice,
    report_send_notice,
    report_withdraw_notice,
)
from reports.workflow.triage import (
    report_assess_illegal,
    report_assess_not_actionable,
    report_checks_stop,
    report_claim,
    report_confirm_assessment,
    report_file_as_duplicate,
    report_forward,
    report_mark_duplicate,
    report_release,
    report_set_hosting,
    report_take_over,
)

__all__ = [
    "NOTICE_TRANSITIONS",
    "PROVIDER_VISIBLE",
    "TRANSITIONS",
    "NoticeClosed",
    "NoticeTransitionNotAllowed",
    "Transition",
    "TransitionNotAllowed",
    "message_attempt_claim",
    "message_cancel",
    "message_gave_up",
    "message_handed_off",
    "message_retry",
    "notice_acknowledge",
    "notice_confirm_removed",
    "notice_dispute",
    "notice_fire_due",
    "notice_removal_verified",
    "notice_seen_online",
    "report_assess_illegal",
    "report_assess_illegal_step",
    "report_assess_not_actionable",
    "report_checks_stop",
    "report_claim",
    "report_confirm_assessment",
    "report_confirm_removal",
    "report_dispute_reject",
    "report_dispute_uphold",
    "report_escalate",
    "report_file_as_duplicate",
    "report_forward",
    "report_hold",
    "report_hold_release",
    "report_hosting_changed",
    "report_hosting_move_dismiss",
    "report_hosting_move_follow",
    "report_mark_duplicate",
    "report_redeliver_notice",
    "report_release",
    "report_send_notice",
    "report_set_hosting",
    "report_take_over",
    "report_withdraw_notice",
    "transitions_allowed",
]
