"""Helpers of the outbox tests: sending notices, and reading the e-mails a real SMTP server got."""

import json
from email.message import EmailMessage

from reports import outbox, workflow
from reports.models import Notice


def send(report, actor, **kwargs) -> Notice:
    notice = workflow.report_send_notice(report.pk, actor=actor, **kwargs)
    notice.refresh_from_db()
    return notice


def drain() -> dict[str, int]:
    """One run of the delivery queue's task: how many attempts ended how."""
    return outbox.outbox_drain().outcomes


def text_body(email: EmailMessage) -> str:
    return email.get_body(("plain",)).get_content().replace("\r\n", "\n")


def xarf_attachments(email: EmailMessage) -> dict[str, dict]:
    """File name -> X-ARF document, for every attachment."""
    parts = email.iter_attachments()
    return {part.get_filename(): json.loads(part.get_content()) for part in parts}
