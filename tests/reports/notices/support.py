"""Sending a notice: what the provider receives, and that every message goes out exactly once.

The X-ARF attachment is validated against the X-ARF v4 schemas (tests/xarf_schemas.py), whose
bundled copy is checked here against the reference copy in ``../shared/xarf`` where it exists.
"""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend

from hotline.actors import Actor
from reports import outbox, workflow
from reports.models import Event, Notice, OutgoingMessage, Report


class FailingBackend(BaseEmailBackend):
    """A mail server that is down. Remembers the Message-ID of every message it was given."""

    message_ids: list[str] = []

    def send_messages(self, email_messages):
        FailingBackend.message_ids.extend(m.message()["Message-ID"] for m in email_messages)
        raise smtplib.SMTPServerDisconnected("mail.example.net closed the connection")


def counts() -> tuple[int, int, int]:
    return Notice.objects.count(), Event.objects.count(), OutgoingMessage.objects.count()


def send(report: Report, actor: Actor, **kwargs) -> Notice:
    notice = workflow.report_send_notice(report.pk, actor=actor, **kwargs)
    notice.refresh_from_db()
    return notice


def deliver_all() -> int:
    """Deliver what is due now (the delivery queue's task); how many messages went."""
    return outbox.outbox_drain().outcomes.get("sent", 0)
