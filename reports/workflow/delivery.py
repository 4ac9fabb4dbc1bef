"""An outgoing message's own transitions (reports/outbox.py decides, these write): claimed for an
attempt, retried later, cancelled, handed off (its notices open) or given up (a notice no channel
delivered becomes undeliverable). Only here does a message's status change."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hotline.actors import Actor
from reports import deadlines, outbox, verification
from reports.audit import event_build, events_append
from reports.models import MessageItem, Notice, OutgoingMessage, Report
from reports.workflow.engine import TransitionNotAllowed, _run, notice_status_move


def message_attempt_claim(message_id: int, *, lease: timedelta) -> OutgoingMessage | None:
    """Take the message for one attempt (``sending`` until ``lease`` has passed), committed
    before anything is sent; None if it is not due or another worker has it. An attempt found
    still ``sending`` never came back: its outcome is unknown, the next is a possible duplicate."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            # The message row only (PostgreSQL cannot lock the nullable side of the provider join).
            OutgoingMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                pk=message_id,
                status__in=(OutgoingMessage.Status.PENDING, OutgoingMessage.Status.SENDING),
                next_attempt_at__lte=now,
            )
            .select_related("provider")
            .first()
        )
        if message is None:
            return None
        if message.status == OutgoingMessage.Status.SENDING:  # an attempt that never came back
            message.possible_duplicate = True
            message.last_error = message.last_error or "an attempt was lost (worker stopped)"
        message.status = OutgoingMessage.Status.SENDING
        message.attempts += 1
        message.next_attempt_at = now + lease
        message.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "possible_duplicate",
                "last_error",
            ]
        )
    return message


def message_retry(message: OutgoingMessage, failure, at, *, retry_at) -> None:
    """The attempt failed and may be tried again at ``retry_at``."""
    _failure_note(message, failure, at)
    message.status = OutgoingMessage.Status.PENDING
    message.next_attempt_at = retry_at
    message.save(
        update_fields=[
            "status",
            "next_attempt_at",
            "last_error",
            "first_failed_at",
            "possible_duplicate",
        ]
    )


def message_cancel(message: OutgoingMessage, reason: str) -> None:
    """Nothing is left to say (every notice it carried ended or waits again)."""
    message.status = OutgoingMessage.Status.CANCELLED
    message.last_error = reason
    message.save(update_fields=["status", "last_error"])


def _failure_note(message: OutgoingMessage, failure, at) -> None:
    message.last_error = failure.detail[:500]
    message.first_failed_at = message.first_failed_at or at
    message.possible_duplicate = message.possible_duplicate or failure.outcome_unknown


def message_handed_off(message: OutgoingMessage, rendered, items: list[MessageItem], at) -> None:
    """The receiving side accepted ``message`` at ``at``: it is stored as it went, and each of its
    notices still being delivered opens, its clock running from ``at`` (the deadline the message
    stated). Every report it spoke about records the hand-off. One transaction, reports locked in
    id order (as every multi-report writer takes them)."""
    mail = Actor.system("mail delivery")
    with transaction.atomic():
        message.status = OutgoingMessage.Status.SENT
        message.sent_at = at
        message.subject = rendered.subject[:300]
        message.body_text = rendered.body_text
        message.body_html = rendered.body_html
        message.xarf = rendered.xarf or None
        message.save()
        if message.provider_id is not None:
            outbox.alerts_clear(message.provider_id, message.channel, at)
        for item in sorted(items, key=lambda item: item.notice.report_id):
            if item.kind == OutgoingMessage.Kind.NOTICE:
                _notice_open(item, message, at, mail)
            else:
                _message_event_append("message_handed_off", item, message, at, mail)


def _notice_open(item: MessageItem, message: OutgoingMessage, at, actor: Actor) -> None:
    notice_id = item.notice_id

    def apply(report, now):
        notice = report.notices.get(pk=notice_id)
        if notice.status not in (Notice.Status.DELIVERING, Notice.Status.UNDELIVERABLE):
            # Withdrawn while the message went, or already handed off on another channel.
            return {"notice": notice_id, "message": message.pk, "already": notice.status}
        deadlines.notice_clock_start(notice, at)
        if notice.status == Notice.Status.UNDELIVERABLE:
            notice_status_move(notice, Notice.Status.DELIVERING)
        notice_status_move(notice, Notice.Status.OPEN)
        notice.due_at = deadlines.notice_due_at(notice)
        notice.save()
        verification.checks_after_hand_off(notice, at)
        return {
            "notice": notice.pk,
            "message": message.pk,
            "channel": message.channel,
            "handed_off_at": at.isoformat(),
            "deadline_at": notice.deadline_at.isoformat(),
            "policy": notice.policy,
        }

    try:
        _run(item.notice.report_id, "hand_off_notice", actor, apply)
    except TransitionNotAllowed:  # the report moved on (e.g. closed) while the message went
        _message_event_append("message_handed_off", item, message, at, actor)


def _message_event_append(verb: str, item: MessageItem, message: OutgoingMessage, at, actor):
    """A message about the report went (``message_handed_off``: a reminder, repeat, escalation,
    or a notice's second channel) or was given up (``message_gave_up``): the event records the
    time, the channel and, once sent, the state with a hash of what was said."""
    report = Report.objects.get(pk=item.notice.report_id)
    data = {"message": message.pk, "kind": item.kind, "attempt": item.attempt}
    data |= {"channel": message.channel}
    if verb == "message_gave_up":
        data["error"] = message.last_error[:200]
    events_append(
        [
            event_build(
                verb,
                actor=actor,
                at=at,
                report=report,
                from_status=report.status,
                to_status=report.status,
                data=data,
            )
        ]
    )


def message_gave_up(message: OutgoingMessage, items: list[MessageItem], failure, at) -> None:
    """The outbox gave up on ``message``. A notice that no other channel delivered or is still
    trying becomes undeliverable: the analysts find another contact (a contact failure on the
    provider's record, not its miss)."""
    actor = Actor.system("mail delivery")
    with transaction.atomic():
        _failure_note(message, failure, at)
        message.status = OutgoingMessage.Status.FAILED
        message.failed_at = at
        message.save()
        for item in sorted(items, key=lambda item: item.notice.report_id):
            if item.kind == OutgoingMessage.Kind.NOTICE and not _other_channel_alive(item):
                _notice_undeliverable(item, message, actor)
            else:
                _message_event_append("message_gave_up", item, message, at, actor)


def _other_channel_alive(item: MessageItem) -> bool:
    siblings = MessageItem.objects.filter(notice_id=item.notice_id, kind=item.kind).exclude(
        pk=item.pk
    )
    return siblings.filter(
        Q(message__isnull=True, dropped="") | Q(message__status__in=OutgoingMessage.LIVE_STATUSES)
    ).exists()


def _notice_undeliverable(item: MessageItem, message: OutgoingMessage, actor: Actor) -> None:
    notice_id = item.notice_id

    def apply(report, now):
        notice = report.notices.get(pk=notice_id)
        if notice.status != Notice.Status.DELIVERING:
            return {"notice": notice_id, "message": message.pk, "already": notice.status}
        notice_status_move(notice, Notice.Status.UNDELIVERABLE)
        notice.undeliverable_at = notice.undeliverable_at or now
        notice.save(update_fields=["status", "undeliverable_at"])
        return {
            "notice": notice_id,
            "message": message.pk,
            "channel": message.channel,
            "error": message.last_error[:200],
        }

    _run(item.notice.report_id, "undeliverable_notice", actor, apply)
