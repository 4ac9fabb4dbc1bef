"""What a message says: its subject, text and HTML bodies, its X-ARF v4 documents and its webhook
payload, in the provider's language. A message may carry many notices (reports/outbox.py groups
them per provider); each keeps its own reference and deadline.

A message is rendered at each attempt (a retry states what is true when it goes), and a notice
about to be handed off states the deadline that starts at this attempt. Every X-ARF document is
checked against the X-ARF v4 schema before it goes and never carries an ``evidence`` payload:
one document per URL, each its own attachment, since X-ARF defines a report as one JSON object
and abuse-desk parsers read one per attachment.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from hotline.classification import CLASSIFICATION_CODES, classification_legend
from hotline.url import defang
from reports import deadlines
from reports.models import (
    Channel,
    ContentType,
    DeliveryAlert,
    MessageItem,
    Notice,
    OutgoingMessage,
)

XARF_DIR = Path(__file__).resolve().parent / "xarf" / "v4"
XARF_VERSION = "4.2.0"
XARF_CSAM_SCHEMA = "https://xarf.org/schemas/v4/types/content-csam.json"
Kind = OutgoingMessage.Kind
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


# ICCAM's content type -> X-ARF's media_type; a link page and "other" carry none (it is optional).
XARF_MEDIA_TYPES = {
    ContentType.IMAGE: "image",
    ContentType.VIDEO: "video",
    ContentType.TEXT: "text",
    ContentType.CONTAINER: "mixed",
}


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
    media_type = XARF_MEDIA_TYPES.get(report.content_type)
    if media_type:
        document["media_type"] = media_type
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


def message_reference(message: OutgoingMessage) -> str:
    """The token abuse desks keep in their replies: the same on every attempt."""
    return message.uuid.hex[:12].upper()


@dataclass
class Rendered:
    subject: str
    body_text: str
    body_html: str
    xarf_files: list[tuple[str, dict]]  # (attachment name, X-ARF document), one per URL
    payload: dict

    @property
    def xarf(self) -> list[dict]:
        return [document for _name, document in self.xarf_files]


def _entry(item: MessageItem, at) -> dict:
    notice = item.notice
    report = notice.report
    if notice.status == Notice.Status.DELIVERING:
        deadlines.notice_clock_start(notice, at)  # in memory: what the hand-off will record
    # The provider is never told a deadline a hold moved; the agency that asked for it is.
    deadline = notice.deadline_at if item.kind == Kind.ESCALATION else notice.stated_deadline_at
    return {
        "notice": notice,
        "report": report,
        "url": report.canonical_url,
        "url_defanged": defang(report.canonical_url),
        "legend": (
            classification_legend(report.industry_category)
            if report.industry_category in CLASSIFICATION_CODES
            else ""
        ),
        "deadline": deadline,
        # The repeat's own number (its item's), not the notice's count at sending, which a
        # later repeat may have moved on.
        "repeat_number": item.attempt if item.kind == Kind.REPEAT else None,
        "deadline_utc": _utc(deadline) if deadline else "",
        "sent_utc": _utc(notice.handed_off_at) if notice.handed_off_at else "",
        "contested_utc": _utc(notice.removal_contested_at) if notice.removal_contested_at else "",
        "xarf": xarf_document(notice) if item.kind != Kind.ESCALATION else None,
    }


def _subject(message: OutgoingMessage, entries: list[dict]) -> str:
    ref = message_reference(message)
    if message.kind == Kind.TEST:
        return _("[HL-ref:%(ref)s] Test delivery from %(org)s") % {
            "ref": ref,
            "org": settings.HOTLINE_ORG_NAME,
        }
    first = min(entries, key=lambda entry: entry["deadline"])
    values = {
        "ref": ref,
        "count": len(entries),
        "reference": first["report"].reference,
        "deadline": first["deadline_utc"],
    }
    one = len(entries) == 1
    subjects = {
        Kind.NOTICE: (
            _("[HL-ref:%(ref)s] Notice and takedown %(reference)s: remove by %(deadline)s")
            if one
            else _("[HL-ref:%(ref)s] Notice and takedown: %(count)s URLs, first due %(deadline)s")
        ),
        Kind.REMINDER: (
            _("[HL-ref:%(ref)s] Reminder %(reference)s: removal due by %(deadline)s")
            if one
            else _("[HL-ref:%(ref)s] Reminder: removal of %(count)s URLs due, first %(deadline)s")
        ),
        Kind.REPEAT: (
            _("[HL-ref:%(ref)s] Repeat notice %(reference)s: removal overdue since %(deadline)s")
            if one
            else _("[HL-ref:%(ref)s] Repeat notice: %(count)s URLs overdue since %(deadline)s")
        ),
        Kind.DISPUTE_REJECTED: (
            _("[HL-ref:%(ref)s] Dispute answered %(reference)s: remove by %(deadline)s")
            if one
            else _(
                "[HL-ref:%(ref)s] Disputes answered: %(count)s notices stand, first %(deadline)s"
            )
        ),
        Kind.ESCALATION: (
            _("[HL-ref:%(ref)s] Non-compliance %(reference)s: not removed by %(deadline)s")
            if one
            else _(
                "[HL-ref:%(ref)s] Non-compliance: %(count)s URLs not removed, first %(deadline)s"
            )
        ),
    }
    return subjects[message.kind] % values


def message_render(message: OutgoingMessage, items: list[MessageItem], at) -> Rendered:
    """The message as it goes now, in its language."""
    if message.kind == Kind.ALERT:  # written when the alert was raised, in the staff's language
        return Rendered(message.subject, message.body_text, "", [], {})
    from reports.outbox import answer_url  # the outbox sends what this renders

    with translation.override(message.language):
        entries = [_entry(item, at) for item in items]
        context = {
            "kind": message.kind,
            "entries": entries,
            "message_ref": message_reference(message),
            "provider": message.provider,
            "legal_order": any(e["notice"].kind == "legal_order" for e in entries),
            "answer_url": answer_url(message) if hasattr(message, "answer_link") else "",
            "api_docs": f"{settings.HOTLINE_PUBLIC_URL}/api/docs/",
            "org_name": settings.HOTLINE_ORG_NAME,
            "org_email": settings.HOTLINE_ORG_EMAIL,
        }
        subject = _subject(message, entries)
        text = render_to_string("reports/email/message.txt", context)
        html = render_to_string("reports/email/message.html", context)
    files = [
        (f"xarf-{entry['report'].reference}.json", entry["xarf"])
        for entry in entries
        if entry["xarf"] is not None
    ]
    return Rendered(subject, text, html, files, _payload(message, entries, at))


WEBHOOK_TYPES = {
    Kind.NOTICE: "notice.created",
    Kind.REMINDER: "notice.reminder",
    Kind.REPEAT: "notice.repeat",
    Kind.ESCALATION: "notice.escalation",
    Kind.DISPUTE_REJECTED: "notice.dispute_rejected",
    Kind.TEST: "delivery.test",
}


def _payload(message: OutgoingMessage, entries: list[dict], at) -> dict:
    """The webhook body (Standard Webhooks' type/timestamp/data shape)."""
    return {
        "type": WEBHOOK_TYPES.get(message.kind, message.kind),
        "timestamp": _utc(at),
        "data": {
            "reference": message_reference(message),
            "possible_duplicate": message.possible_duplicate,
            "notices": [
                {
                    "id": entry["notice"].pk,
                    "reference": entry["report"].reference,
                    "url": entry["url"],
                    "deadline": entry["deadline_utc"],
                    **(
                        {"dispute_answer": entry["notice"].dispute_answer_reason}
                        if message.kind == Kind.DISPUTE_REJECTED
                        else {}
                    ),
                    "removed_api": (
                        f"{settings.HOTLINE_PUBLIC_URL}/api/v1/provider/notices/"
                        f"{entry['notice'].pk}/removed/"
                    ),
                    "xarf": entry["xarf"],
                }
                for entry in entries
            ],
        },
    }


def email_build(message: OutgoingMessage, rendered: Rendered) -> EmailMultiAlternatives:
    """The e-mail of one attempt: the row's Message-ID, one X-ARF attachment per URL."""
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.body_text,
        to=[message.target],
        reply_to=[settings.HOTLINE_ORG_EMAIL],
        headers={"Message-ID": message.message_id},
    )
    if rendered.body_html:
        email.attach_alternative(rendered.body_html, "text/html")
    for name, document in rendered.xarf_files:
        email.attach(name, json.dumps(document, indent=2), "application/json")
    return email


def alert_text(alert: DeliveryAlert) -> tuple[str, str]:
    """The supervisors' e-mail when a provider's channel keeps failing."""
    provider = alert.provider
    since = _utc(alert.failing_since)
    subject = f"Delivery to {provider.name} failing since {since} ({alert.channel})"
    body = (
        f"Messages to {provider.name} by {alert.get_channel_display()} have been failing since "
        f"{since} (UTC).\n\nLast error: {alert.last_error or 'none recorded'}\n\n"
        'Notices that cannot be delivered wait in the admin\'s "delivery failed" queue: check '
        "the provider's contact and channel in the directory, then deliver them again.\n"
        f"{settings.HOTLINE_PUBLIC_URL}/admin/\n\n{settings.HOTLINE_ORG_NAME}\n"
    )
    return subject, body
