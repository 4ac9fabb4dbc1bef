"""Helpers of the answer-page tests."""

import re
from urllib.parse import urlsplit

from django.core import mail

from reports import outbox, workflow
from reports.models import Notice, Report

PUBLIC_URL = "https://hotline.example.org"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/notice/[0-9a-f]{64}/")


def notices_mail(*reports: Report, actor) -> list[Notice]:
    """Send each report's notice, then let the outbox group and deliver them (one message per
    provider, since the group window is 0 and they all wait together)."""
    sent = [workflow.report_send_notice(report.pk, actor=actor) for report in reports]
    outbox.outbox_drain()
    for notice in sent:
        notice.refresh_from_db()
        assert notice.status == Notice.Status.OPEN, notice.status
    return sent


def link_for(address: str) -> str:
    """The answer page's path, from the newest e-mail to ``address`` (its text body)."""
    [email, *_] = [email for email in reversed(mail.outbox) if address in email.to]
    [url] = set(LINK.findall(email.body))
    return urlsplit(url).path


def form(answer: str, notice: Notice, **fields) -> dict:
    return {"notice": str(notice.pk), "answer": answer, **fields}


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]
