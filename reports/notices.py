"""Compose and send the messages of a notice: the notice itself, reminders, repeats, escalations.

A message is a row first (``OutgoingMessage``, unique per notice, kind and attempt), written in
the transaction that decided to send it; delivery happens after commit and marks the row sent
under a lock, so retries and concurrent sweeps never send it twice. The body is stored as sent,
so the hotline can show exactly what a provider was told. Every X-ARF document is checked
against the X-ARF v4 schema before it is stored and never carries an ``evidence`` payload.
"""

import json
import logging
import re
from datetime import UTC
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from hotline.actors import Actor
from hotline.url import defang
from reports.audit import events_append
from reports.broker import broker_send
from reports.models import Channel, Event, Notice, OutgoingMessage, Report

logger = logging.getLogger(__name__)

XARF_DIR = Path(__file__).resolve().parent / "xarf" / "v4"
XARF_VERSION = "4.2.0"
XARF_CSAM_SCHEMA = "https://xarf.org/schemas/v4/types/content-csam.json"
DELIVER_TASK = "reports.tasks.message_deliver"
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
            f"Notice-and-takedown {report.reference}: remove by {_utc(notice.deadline_at)}."
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
    return {
        "notice": notice,
        "report": report,
        "kind": kind,
        "url": report.canonical_url,
        "url_defanged": defang(report.canonical_url),
        "deadline_utc": _utc(notice.deadline_at) if notice.deadline_at else "",
        "sent_utc": _utc(notice.sent_at) if notice.sent_at else "",
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
    context = _context(notice, kind)
    subject = SUBJECTS[kind].format(ref=notice.report.reference, deadline=context["deadline_utc"])
    try:
        with transaction.atomic():
            message = OutgoingMessage.objects.create(
                notice=notice,
                kind=kind,
                attempt=attempt,
                to_address=to_address or notice.provider.abuse_email,
                subject=subject,
                body_text=render_to_string("reports/email/message.txt", context),
                body_html=render_to_string("reports/email/message.html", context),
                xarf=xarf_document(notice) if kind != OutgoingMessage.Kind.ESCALATION else None,
            )
    except IntegrityError:
        return False
    transaction.on_commit(lambda: _deliver_later(message.pk))
    return True


def _deliver_later(message_id: int) -> None:
    broker_send(DELIVER_TASK, [message_id])  # else the sweep delivers what is left unsent


def message_deliver(message_id: int) -> bool:
    """Hand one message to the mail backend, once. True if this call sent it."""
    with transaction.atomic():
        message = (
            OutgoingMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return False  # already sent, or another worker is sending it right now
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body_text,
            to=[message.to_address],
            reply_to=[settings.HOTLINE_ORG_EMAIL],
        )
        if message.body_html:
            email.attach_alternative(message.body_html, "text/html")
        if message.xarf is not None:
            email.attach(
                f"xarf-{message.notice.report.reference}.json",
                json.dumps(message.xarf, indent=2),
                "application/json",
            )
        try:
            email.send()
        except Exception as exc:  # kept unsent: the next sweep tries again
            message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            message.save(update_fields=["last_error"])
            logger.warning("sending message %s failed: %s", message_id, type(exc).__name__)
            return False
        message_hand_off_record(message, timezone.now())
    return True


def message_hand_off_record(message: OutgoingMessage, at) -> None:
    """Mark the message handed to the mail backend, with its audit event (which records the
    hand-off time and a hash of the body), under the report's lock like every other event."""
    report = Report.objects.select_for_update().get(pk=message.notice.report_id)
    message.sent_at = at
    message.last_error = ""
    message.save(update_fields=["sent_at", "last_error"])
    actor = Actor.system("mailer")
    events_append(
        [
            Event(
                report=report,
                verb="message_handed_off",
                from_status=report.status,
                to_status=report.status,
                at=at,
                actor_kind=actor.kind,
                actor_label=actor.label,
                data={"message": message.pk, "kind": message.kind, "attempt": message.attempt},
            )
        ]
    )
