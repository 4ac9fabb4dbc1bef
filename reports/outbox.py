"""The outbox: every message the service sends, by every channel, with backoff and a failed state
people see.

1. What to say is decided in a workflow transaction, which writes one ``MessageItem`` per notice,
   kind, attempt and channel (unique: a retried task or a second sweep never writes it twice).
2. ``outbox_drain`` (the delivery queue's task, on the beat and kicked after commits) groups the
   items waiting for each target into messages once the first of them has waited
   ``HOTLINE_NOTICE_GROUP_WINDOW``: one e-mail or webhook call per provider for many notices,
   split above ``HOTLINE_NOTICE_GROUP_MAX``. Each notice keeps its own deadline.
3. Each due message is attempted under a lease written before the send: a worker that dies in
   the middle leaves a message whose outcome is unknown, so its next attempt is marked as a
   possible duplicate and keeps its Message-ID (and webhook-id) for the receiver to drop.
   A failed attempt is retried with jittered exponential backoff (30 s up to 6 h) until
   ``HOTLINE_DELIVERY_GIVE_UP`` has passed since the message was formed, or at once gives up
   when the receiving side refuses it for good. A notice none of whose channels could take it is
   "undeliverable" (a workflow transition): the analysts find another contact or channel.
4. A provider's channel failing for ``HOTLINE_DELIVERY_ALERT_AFTER`` raises a ``DeliveryAlert``:
   an e-mail to the supervisors and a banner in the admin.

Delivery never runs inside the deadline sweep and never holds a report lock while it talks to a
mail server or a webhook: a stalled server delays only its own messages.
"""

import hashlib
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail.message import make_msgid
from django.db import IntegrityError, transaction
from django.db.models import Exists, Min, OuterRef
from django.utils import timezone
from django.utils.crypto import salted_hmac

from hotline.integrations import mail
from hotline.integrations.delivery import DeliveryFailed
from hotline.models import DeliveryChannels, Provider
from hotline.policy import duration_setting
from reports import hosting, notices
from reports.audit import event_build, events_append
from reports.broker import broker_send
from reports.models import (
    AnswerLink,
    DeliveryAlert,
    MessageItem,
    Notice,
    OutgoingMessage,
    ReportStatus,
)

logger = logging.getLogger(__name__)

DRAIN_TASK = "reports.tasks.outbox_drain"
Kind = OutgoingMessage.Kind
Status = OutgoingMessage.Status
DeliveryChannel = OutgoingMessage.Channel

# An attempt not recorded by then is taken as lost: the worker died, its outcome is unknown.
ATTEMPT_LEASE = timedelta(minutes=10)
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)
ANSWER_LINK_VALIDITY = timedelta(days=30)
# Failures older than this no longer raise an alert (they were seen, or the provider is gone).
ALERT_LOOKBACK = timedelta(days=7)
# Before these go, the host is looked up again: a moved host holds them.
HOSTING_CHECKED = (Kind.NOTICE, Kind.REPEAT)
# Kinds that speak to the provider about its notices (and so carry an answer link).
PROVIDER_KINDS = (Kind.NOTICE, Kind.REMINDER, Kind.REPEAT, Kind.DISPUTE_REJECTED)
_KICK_SPACING = 1.0  # seconds: at most one kick per process per second
_last_kick = 0.0


# --- what to say (called inside the deciding transaction) -------------------------------------


def items_queue(notice: Notice, kind: str, *, attempt: int = 0, address: str = "") -> int:
    """Record that ``notice`` is to be told ``kind`` on each of its provider's channels (or, for
    an escalation, at ``address``). Returns how many items were new."""
    targets = (
        [(DeliveryChannel.EMAIL, address)] if address else provider_targets(notice.provider, kind)
    )
    written = 0
    for channel, target in targets:
        try:
            with transaction.atomic():
                MessageItem.objects.create(
                    notice=notice, kind=kind, attempt=attempt, channel=channel, target=target
                )
        except IntegrityError:
            continue  # decided before: nothing new
        written += 1
    if written:
        transaction.on_commit(drain_kick)
    return written


def provider_targets(provider: Provider, kind: str) -> list[tuple[str, str]]:
    """Where a provider is told: by webhook, by e-mail (reminders and repeats to its escalation
    contact if it has one), or both, as the directory says. A webhook channel without an endpoint
    falls back to e-mail rather than to silence."""
    webhook = provider.channel != DeliveryChannels.EMAIL and bool(provider.webhook_url)
    email = provider.channel != DeliveryChannels.WEBHOOK or not webhook
    address = provider.abuse_email
    if kind in (Kind.REMINDER, Kind.REPEAT) and provider.escalation_email:
        address = provider.escalation_email
    return [(DeliveryChannel.WEBHOOK, provider.webhook_url)] * webhook + [
        (DeliveryChannel.EMAIL, address)
    ] * email


def test_delivery_queue(provider: Provider) -> list[OutgoingMessage]:
    """A test message on each of the provider's channels (the admin's "test delivery")."""
    notice_targets = provider_targets(provider, Kind.NOTICE)
    messages = [
        _message_create(Kind.TEST, channel, target, provider=provider)
        for channel, target in notice_targets
    ]
    transaction.on_commit(drain_kick)
    return messages


def provider_test_delivery(provider_id: int, *, actor) -> list[OutgoingMessage]:
    """The admin's "Test delivery": a test message on each of the provider's channels, and an
    audit event saying who asked (its outcome shows in the provider's messages)."""
    with transaction.atomic():
        provider = Provider.objects.get(pk=provider_id)
        messages = test_delivery_queue(provider)
        events_append(
            [
                event_build(
                    "provider_test_delivery",
                    actor=actor,
                    at=timezone.now(),
                    data={
                        "provider": provider.pk,
                        "messages": [message.pk for message in messages],
                        "channels": [message.channel for message in messages],
                    },
                )
            ]
        )
    return messages


def drain_kick() -> None:
    """Wake the delivery queue soon (the beat does it anyway): at most once a second here."""
    global _last_kick
    now = time.monotonic()
    if now - _last_kick < _KICK_SPACING:
        return
    _last_kick = now
    broker_send(DRAIN_TASK, [])


def _message_create(kind, channel, target, *, provider=None, language="en") -> OutgoingMessage:
    return OutgoingMessage.objects.create(
        kind=kind,
        channel=channel,
        target=target,
        provider=provider,
        language=provider.language if provider else language,
        message_id=make_msgid(domain=settings.HOTLINE_ORG_DOMAIN),
    )


# --- grouping ---------------------------------------------------------------------------------


def group_window() -> timedelta:
    return duration_setting("HOTLINE_NOTICE_GROUP_WINDOW") or timedelta(0)


def items_group(now: datetime | None = None, *, window: timedelta | None = None) -> int:
    """Form messages from the items whose group's first item has waited the window; returns how
    many messages were formed. Items that must wait (on hold, hosting changed, host moved) stay
    unbound; items whose notice no longer needs them are dropped with the reason."""
    now = now or timezone.now()
    keys = (
        MessageItem.objects.filter(message__isnull=True, dropped="")
        .values("kind", "channel", "target", "notice__provider_id")
        .annotate(first=Min("created_at"))
        .filter(first__lte=now - (group_window() if window is None else window))
        .order_by("first")
    )
    formed = 0
    for key in keys:
        ready = _items_ready(key)
        for start in range(0, len(ready), settings.HOTLINE_NOTICE_GROUP_MAX):
            formed += _group_bind(key, ready[start : start + settings.HOTLINE_NOTICE_GROUP_MAX])
    return formed


def _items_ready(key: dict) -> list[int]:
    """The waiting items of one target that may go now (outside every lock: the hosting check may
    ask DNS and the registries)."""
    items = (
        MessageItem.objects.filter(message__isnull=True, dropped="", **_key(key))
        .select_related("notice__report", "notice__lookup", "notice__provider")
        .order_by("created_at", "id")
    )
    ready, dropped = [], {}
    for item in items:
        why_not = item_why_not(item)
        if why_not is None:
            if item.kind in HOSTING_CHECKED and not hosting.hand_off_allowed(item.notice):
                continue  # the report went to "hosting changed"; the item waits for the decision
            ready.append(item.pk)
        elif why_not != WAIT:
            dropped.setdefault(why_not, []).append(item.pk)
    _items_drop(dropped)
    return ready


def _key(key: dict) -> dict:
    """One group: a target and a provider (two providers sharing an address get a message each:
    each answer link is one provider's)."""
    return {
        "kind": key["kind"],
        "channel": key["channel"],
        "target": key["target"],
        "notice__provider_id": key["notice__provider_id"],
    }


WAIT = "wait"


def item_why_not(item: MessageItem) -> str | None:
    """None if the item may go now; WAIT if it must wait; else why it is no longer needed."""
    notice = item.notice
    report = notice.report
    if report.hosting_changed_id is not None and item.kind != Kind.ESCALATION:
        return WAIT  # an analyst decides where the content is first
    if item.kind == Kind.NOTICE:
        if notice.status == Notice.Status.DELIVERING:
            return WAIT if report.status == ReportStatus.ON_HOLD else None
        if notice.status in (Notice.Status.OPEN, Notice.Status.OVERDUE):
            return None  # handed off on another channel: this one says the same
        return f"the notice is {notice.get_status_display()}"
    if notice.status in (Notice.Status.OPEN, Notice.Status.OVERDUE):
        return None
    return f"the notice is {notice.get_status_display()}"


def _group_bind(key: dict, item_ids: list[int]) -> int:
    """Bind the items nobody else is binding into one new message (0 if none were left)."""
    with transaction.atomic():
        locked = list(
            MessageItem.objects.select_for_update(skip_locked=True)
            .filter(pk__in=item_ids, message__isnull=True, dropped="")
            .values_list("pk", flat=True)
        )
        if not locked:
            return 0
        first = MessageItem.objects.select_related("notice__provider").get(pk=locked[0])
        provider = first.notice.provider if key["kind"] != Kind.ESCALATION else None
        message = _message_create(
            key["kind"],
            key["channel"],
            key["target"],
            provider=provider,
            language=settings.LANGUAGE_CODE,
        )
        MessageItem.objects.filter(pk__in=locked).update(message=message)
        if provider is not None and message.channel == DeliveryChannel.EMAIL:
            answer_link_create(message)
    return 1


# --- the one-click answer link ----------------------------------------------------------------


def answer_token(message: OutgoingMessage) -> str:
    """The message's answer-page token: an HMAC of its uuid, so every attempt carries the same
    link while the database holds only its hash."""
    return salted_hmac("hotline.answer-link", message.uuid.hex, algorithm="sha256").hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def answer_link_create(message: OutgoingMessage) -> AnswerLink:
    return AnswerLink.objects.create(
        token_sha256=token_hash(answer_token(message)),
        message=message,
        provider=message.provider,
        expires_at=message.created_at + ANSWER_LINK_VALIDITY,
    )


def answer_url(message: OutgoingMessage) -> str:
    return f"{settings.HOTLINE_PUBLIC_URL}/notice/{answer_token(message)}/"


# --- delivering -------------------------------------------------------------------------------


@dataclass
class DrainResult:
    formed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        done = ", ".join(f"{count} {what}" for what, count in sorted(self.outcomes.items()))
        return f"formed {self.formed} messages; attempts: {done or 'none due'}"


def outbox_drain(*, batch: int | None = None, window: timedelta | None = None) -> DrainResult:
    """Group what waited long enough (``window`` overrides the setting: the demo's history goes
    at once), then attempt up to ``batch`` due messages. If more are due, the delivery queue is
    kicked again rather than held by this call."""
    batch = batch or settings.HOTLINE_DELIVERY_BATCH
    result = DrainResult(formed=items_group(window=window))
    due = list(
        OutgoingMessage.objects.filter(
            status__in=(Status.PENDING, Status.SENDING), next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[: batch + 1]
    )
    for message_id in due[:batch]:
        outcome = message_attempt(message_id)
        if outcome:
            result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
    alerts_raise()
    if len(due) > batch:
        broker_send(DRAIN_TASK, [])
    return result


def message_attempt(message_id: int) -> str:
    """One attempt at one message: "sent", "retry", "failed", "cancelled", or "" if it is not due
    or another worker has it."""
    from reports import workflow  # the transitions of a message (the workflow imports this)

    message = workflow.message_attempt_claim(message_id, lease=ATTEMPT_LEASE)
    if message is None:
        return ""
    at = timezone.now()
    entries = _entries(message)
    if message.kind in (*PROVIDER_KINDS, Kind.ESCALATION) and not entries:
        workflow.message_cancel(message, "nothing left to say")
        return "cancelled"
    try:
        rendered = notices.message_render(message, entries, at)
        _send(message, rendered)
    except DeliveryFailed as failure:
        return _failed_attempt(message, entries, failure)
    except notices.XARFInvalid as invalid:
        # Nothing went; retried with backoff (the report may be corrected) and, like any failed
        # delivery, shown and given up on in time, rather than stopping the drain at each lease.
        failure = DeliveryFailed(f"not sent, a notice's X-ARF document is invalid: {invalid}")
        return _failed_attempt(message, entries, failure)
    except Exception as exc:  # a defect here must not leave the message in "sending" for good
        logger.exception("attempt %s of message %s broke", message.attempts, message.pk)
        return _failed_attempt(message, entries, DeliveryFailed(f"{type(exc).__name__}: {exc}"))
    workflow.message_handed_off(message, rendered, entries, at)
    return "sent"


def _entries(message: OutgoingMessage) -> list[MessageItem]:
    """The message's items that still apply, each with its notice; items that must wait again
    are put back to be grouped later, those no longer needed are dropped with the reason."""
    entries, waiting, dropped = [], [], {}
    items = message.items.filter(dropped="").select_related(
        "notice__report", "notice__provider", "notice__lookup"
    )
    for item in items.order_by("notice__report_id"):
        why_not = item_why_not(item)
        if why_not is None:
            entries.append(item)
        elif why_not == WAIT:
            waiting.append(item.pk)
        else:
            dropped.setdefault(why_not, []).append(item.pk)
    MessageItem.objects.filter(pk__in=waiting).update(message=None)
    _items_drop(dropped)
    return entries


def _items_drop(dropped: dict[str, list[int]]) -> None:
    """Leave items out for good, one statement per reason (not one per item)."""
    for why_not, item_ids in dropped.items():
        MessageItem.objects.filter(pk__in=item_ids, dropped="").update(dropped=why_not)


def _send(message: OutgoingMessage, rendered: "notices.Rendered") -> None:
    if message.channel == DeliveryChannel.WEBHOOK:
        from reports import webhooks

        webhooks.message_post(message, rendered)
        return
    mail.mail_send(notices.email_build(message, rendered))


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... up to 6 h, each jittered by up to a fifth either way so that a
    provider's messages do not all come back at the same second."""
    base = min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)
    return base * random.uniform(0.8, 1.2)  # noqa: S311 (spreading retries, not a secret)


def give_up_after() -> timedelta:
    return duration_setting("HOTLINE_DELIVERY_GIVE_UP") or timedelta(hours=72)


def _failed_attempt(message: OutgoingMessage, entries, failure: DeliveryFailed) -> str:
    from reports import workflow

    now = timezone.now()
    logger.warning(
        "message %s (%s to provider %s) attempt %s failed: %s",
        message.pk,
        message.channel,
        message.provider_id,
        message.attempts,
        failure.detail[:200],
    )
    if failure.permanent or now - message.created_at >= give_up_after():
        workflow.message_gave_up(message, entries, failure, now)
        return "failed"
    workflow.message_retry(message, failure, now, retry_at=now + backoff(message.attempts))
    return "retry"


# --- supervisors are told ---------------------------------------------------------------------


def alerts_raise(now: datetime | None = None) -> int:
    """Raise an alert for every provider channel that has been failing for the alert period (a
    message on it failed that long ago, and nothing went on it since) and has none open; the
    supervisors get an e-mail. Returns how many were raised."""
    now = now or timezone.now()
    after = duration_setting("HOTLINE_DELIVERY_ALERT_AFTER") or timedelta(hours=1)
    delivered_since = OutgoingMessage.objects.filter(
        provider=OuterRef("provider"),
        channel=OuterRef("channel"),
        status=Status.SENT,
        sent_at__gt=OuterRef("first_failed_at"),
    )
    failing = (
        OutgoingMessage.objects.filter(
            provider__isnull=False,
            status__in=(Status.PENDING, Status.SENDING, Status.FAILED),
            first_failed_at__lte=now - after,
            first_failed_at__gte=now - ALERT_LOOKBACK,
        )
        .exclude(Exists(delivered_since))
        .values("provider_id", "channel")
        .annotate(since=Min("first_failed_at"))
        .order_by()
    )
    open_alerts = set(
        DeliveryAlert.objects.filter(cleared_at__isnull=True).values_list("provider_id", "channel")
    )
    raised = 0
    for row in failing:
        if (row["provider_id"], row["channel"]) in open_alerts:
            continue
        try:
            with transaction.atomic():
                alert = DeliveryAlert.objects.create(
                    provider_id=row["provider_id"],
                    channel=row["channel"],
                    failing_since=row["since"],
                    last_error=_last_error(row["provider_id"], row["channel"]),
                )
                _alert_messages_queue(alert)
        except IntegrityError:
            continue  # raised by another worker a moment ago
        raised += 1
    return raised


def _last_error(provider_id: int, channel: str) -> str:
    return (
        OutgoingMessage.objects.filter(provider_id=provider_id, channel=channel)
        .exclude(last_error="")
        .order_by("-id")
        .values_list("last_error", flat=True)
        .first()
        or ""
    )


def supervisor_addresses() -> list[str]:
    users = get_user_model().objects.filter(is_active=True, groups__name="supervisor", email__gt="")
    return sorted(set(users.values_list("email", flat=True)))


def _alert_messages_queue(alert: DeliveryAlert) -> None:
    """One staff e-mail per supervisor, by the hotline's own mail server (a failing webhook, or a
    provider's mail server refusing, says nothing about it); the admin banner shows it too."""
    subject, body = notices.alert_text(alert)
    for address in supervisor_addresses():
        message = _message_create(
            Kind.ALERT, DeliveryChannel.EMAIL, address, language=settings.LANGUAGE_CODE
        )
        message.subject, message.body_text = subject, body
        message.save(update_fields=["subject", "body_text"])
    transaction.on_commit(drain_kick)


def alerts_clear(provider_id: int, channel: str, at: datetime) -> None:
    DeliveryAlert.objects.filter(
        provider_id=provider_id, channel=channel, cleared_at__isnull=True
    ).update(cleared_at=at)


def outbox_health() -> dict:
    """The /healthz detail: what waits, how late, what gave up, which channels are failing."""
    now = timezone.now()
    waiting = OutgoingMessage.objects.filter(status__in=(Status.PENDING, Status.SENDING))
    oldest = waiting.aggregate(first=Min("created_at"))["first"]
    return {
        "waiting": waiting.count(),
        "oldest_waiting_seconds": int((now - oldest).total_seconds()) if oldest else 0,
        "retrying": waiting.filter(attempts__gt=0).count(),
        "failed_24h": OutgoingMessage.objects.filter(
            status=Status.FAILED, failed_at__gte=now - timedelta(hours=24)
        ).count(),
        "alerts": [
            {"provider": name, "channel": channel, "failing_since": since.isoformat()}
            for name, channel, since in DeliveryAlert.objects.filter(
                cleared_at__isnull=True
            ).values_list("provider__name", "channel", "failing_since")
        ],
    }
