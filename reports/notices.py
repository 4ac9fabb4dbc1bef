"""Compose and send the messages of a notice: the notice itself, reminders, repeats, escalations.

A message is a row first (``OutgoingMessage``, unique per notice, kind and attempt), written in
the transaction that decided to send it; delivery happens after commit and marks the row sent
under a lock, so retries and concurrent sweeps never send it twice. It is rendered when it is
handed to the mail server (a notice states the deadline that starts then) and stored as sent,
so the hotline can show exactly what a provider was told. Every X-ARF document is checked
against the X-ARF v4 schema before it is stored and never carries an ``evidence`` payload.
"""

import json
import logging
import re
from datetime import UTC, timedelta
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from hotline.actors import Actor
from hotline.url import defang
from reports import hosting
from reports.audit import event_build, events_append
from reports.broker import broker_send
from reports.models import Channel, Notice, OutgoingMessage, Report, ReportStatus

logger = logging.getLogger(__name__)

XARF_DIR = Path(__file__).resolve().parent / "xarf" / "v4"
XARF_VERSION = "4.2.0"
XARF_CSAM_SCHEMA = "https://xarf.org/schemas/v4/types/content-csam.json"
DELIVER_TASK = "reports.tasks.message_deliver"
# Before these go, the host is looked up again: a moved host stops them.
HOSTING_CHECKED = (OutgoingMessage.Kind.NOTICE, OutgoingMessage.Kind.REPEAT)
# X-ARF's pattern for its optional `domain` field (IP literals and odd names are left out).
DOMAIN_NAME = re.compile(r"([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}")


class XARFInvalid(Exception):
    pass


@cache
def xarf_validator() -> Draft202012Validator:
    resources = []
    for path in XARF_DIR.rglob("*.json"):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    registry = Registry().with_resources(resources)
    schema = registry.contents(XARF_CSAM_SCHEMA)
    return Draft202012Validator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _utc(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def xarf_document(notice: Notice) -> dict:
    """The notice as an X-ARF v4 ``content/csam`` report: URL and metadata, no evidence."""
    report = notice.report
    organisation = {
        "org": settings.HOTLINE_ORG_NAME,
        "contact": settings.HOTLINE_ORG_EMAIL,
        "domain": settings.HOTLINE_ORG_DOMAIN,
    }
    document = {
        "xarf_version": XARF_VERSION,
        "report_id": str(notice.uuid),
        "timestamp": _utc(report.received_at),
        "reporter": organisation,
        "sender": organisation,
        "source_identifier": report.host,
        "category": "content",
        "type": "csam",
        "url": report.canonical_url,
        "classification": report.industry_category,
        "detection_method": "manual_review" if report.channel == Channel.PARTNER else "user_report",
        "verification_method": "manual",
        "hosting_provider": notice.provider.name,
        "content_removed": notice.status == Notice.Status.REMOVED,
        "description": (
            f"Notice-and-takedown {report.reference}: remove by {_utc(notice.stated_deadline_at)}."
        ),
        "tags": [f"classification:{report.industry_category.lower()}", f"notice:{notice.kind}"],
    }
    if report.media_type:
        document["media_type"] = report.media_type
    if report.assessed_at:
        document["verified_at"] = _utc(report.assessed_at)
    if report.hosting_country:
        document["country_code"] = report.hosting_country
    if _is_domain_name(report.host):
        document["domain"] = report.host
    errors = sorted(xarf_validator().iter_errors(document), key=lambda e: list(e.path))
    if errors or "evidence" in document:
        raise XARFInvalid("; ".join(error.message for error in errors) or "evidence present")
    return document


def _is_domain_name(host: str) -> bool:
    return DOMAIN_NAME.fullmatch(host) is not None


def _context(notice: Notice, kind: str) -> dict:
    report = notice.report
    api = f"{settings.HOTLINE_PUBLIC_URL}/api/v1/provider/notices/{notice.pk}/removed/"
    # The provider is never told a deadline a hold moved; the agency that asked for it is.
    escalation = kind == OutgoingMessage.Kind.ESCALATION
    deadline = notice.deadline_at if escalation else notice.stated_deadline_at
    return {
        "notice": notice,
        "report": report,
        "kind": kind,
        "url": report.canonical_url,
        "url_defanged": defang(report.canonical_url),
        "deadline_utc": _utc(deadline) if deadline else "",
        "sent_utc": _utc(notice.handed_off_at) if notice.handed_off_at else "",
        "contested_utc": _utc(notice.removal_contested_at) if notice.removal_contested_at else "",
        "removed_api": api,
        "org_name": settings.HOTLINE_ORG_NAME,
        "org_email": settings.HOTLINE_ORG_EMAIL,
    }


SUBJECTS = {
    OutgoingMessage.Kind.NOTICE: "Notice and takedown {ref}: remove by {deadline}",
    OutgoingMessage.Kind.REMINDER: "Reminder {ref}: removal due by {deadline}",
    OutgoingMessage.Kind.REPEAT: "Repeat notice {ref}: removal overdue since {deadline}",
    OutgoingMessage.Kind.ESCALATION: "Non-compliance {ref}: not removed by {deadline}",
}


def message_queue(notice: Notice, kind: str, *, attempt: int = 0, to_address: str = "") -> bool:
    """Record one message and deliver it after commit. False if that message already exists."""
    try:
        with transaction.atomic():
            message = OutgoingMessage.objects.create(
                notice=notice,
                kind=kind,
                attempt=attempt,
                to_address=to_address or notice.provider.abuse_email,
                message_id=make_msgid(domain=settings.HOTLINE_ORG_DOMAIN),
            )
    except IntegrityError:
        return False
    transaction.on_commit(lambda: message_deliver_later(message.pk))
    return True


def message_deliver_later(message_id: int) -> None:
    broker_send(DELIVER_TASK, [message_id])  # else redelivery finds what is left unsent


# A message left unsent this long (its delivery task lost, or its attempt failed) is tried again
# by the redelivery task.
UNSENT_GRACE = timedelta(seconds=60)


def messages_redeliver() -> int:
    """Deliver every message left unsent past the grace period; how many went. Runs on its own
    beat entry, never inside the deadline sweep: a slow mail server cannot delay a deadline."""
    unsent = OutgoingMessage.objects.filter(
        sent_at__isnull=True,
        created_at__lte=timezone.now() - UNSENT_GRACE,
        # Held until an analyst decides where the content is now.
        notice__report__hosting_changed__isnull=True,
    ).values_list("pk", flat=True)
    return sum(message_deliver(pk) for pk in unsent)


def message_deliver(message_id: int) -> bool:
    """Hand one message to the mail backend, once. True if this call sent it.

    A notice's own message is its hand-off, a transition of the report: the workflow renders
    it with the deadline that starts now, under the report's lock.
    """
    from reports.workflow import notice_hand_off  # a transition (the workflow imports this module)

    message = (
        OutgoingMessage.objects.select_related("notice__report", "notice__lookup")
        .filter(pk=message_id, sent_at__isnull=True)
        .first()
    )
    if message is None:
        return False
    kind, report_id = message.kind, message.notice.report_id
    # Where the content is now, before the provider is told (outside every lock: it may ask DNS
    # and the registries).
    if (
        kind in HOSTING_CHECKED
        and _would_go(message)
        and not hosting.hand_off_allowed(message.notice)
    ):
        return False
    with transaction.atomic():
        # Locked before the message, in the order every transition takes them: a hand-off is
        # recorded in the report's audit trail.
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        message = (
            # The message row only: a lock on the provider's row would hold up every notice
            # being written for that provider meanwhile.
            OutgoingMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("notice__report", "notice__provider")
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return False  # already sent, or another worker is sending it right now
        if kind == OutgoingMessage.Kind.NOTICE:
            return notice_hand_off(message)
        at = timezone.now()
        if not message_send(message, message.notice, at):
            return False
        _hand_off_event_append(message, report, at)
        return True


def _would_go(message: OutgoingMessage) -> bool:
    """A notice waiting for a hold's release, or a message of a notice that ended, is not about
    to be handed off: no lookup for it."""
    notice = message.notice
    if message.kind == OutgoingMessage.Kind.NOTICE:
        return notice.status == Notice.Status.DELIVERING and notice.report.status not in (
            ReportStatus.ON_HOLD,
        )
    return notice.is_running


def message_send(message: OutgoingMessage, notice: Notice, at) -> bool:
    """Render the message from the notice as it stands and send it; stored as sent if accepted.

    Every attempt is rendered anew (a retry states what is true when it goes) and carries the
    row's Message-ID, so a provider's desk can tell a retry from a new message.
    """
    context = _context(notice, message.kind)
    message.subject = SUBJECTS[message.kind].format(
        ref=notice.report.reference, deadline=context["deadline_utc"]
    )
    message.body_text = render_to_string("reports/email/message.txt", context)
    message.body_html = render_to_string("reports/email/message.html", context)
    if message.kind != OutgoingMessage.Kind.ESCALATION:
        message.xarf = xarf_document(notice)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        to=[message.to_address],
        reply_to=[settings.HOTLINE_ORG_EMAIL],
        headers={"Message-ID": message.message_id},
    )
    email.attach_alternative(message.body_html, "text/html")
    if message.xarf is not None:
        email.attach(
            f"xarf-{notice.report.reference}.json",
            json.dumps(message.xarf, indent=2),
            "application/json",
        )
    try:
        email.send()
    except Exception as exc:  # kept unsent: the next sweep tries again
        message.last_error = f"{type(exc).__name__}: {exc}"[:500]
        message.save(update_fields=["last_error"])
        logger.warning("sending message %s failed: %s", message.pk, type(exc).__name__)
        return False
    message.sent_at = at
    message.last_error = ""
    message.save(
        update_fields=["subject", "body_text", "body_html", "xarf", "sent_at", "last_error"]
    )
    return True


def _hand_off_event_append(message: OutgoingMessage, report: Report, at) -> None:
    """A reminder, repeat or escalation handed to the mail backend: its audit event records the
    hand-off time and a hash of the body. (A notice's own hand-off is a workflow transition.)"""
    actor = Actor.system("mailer")
    events_append(
        [
            event_build(
                "message_handed_off",
                actor=actor,
                at=at,
                report=report,
                from_status=report.status,
                to_status=report.status,
                data={"message": message.pk, "kind": message.kind, "attempt": message.attempt},
            )
        ]
    )
