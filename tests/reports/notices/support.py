"""Sending a notice: what the provider receives, and that every message goes out exactly once.

The X-ARF attachments are validated against the X-ARF v4 schemas (tests/xarf_schemas.py), whose
bundled copy is checked here against the reference copy in ``../shared/xarf`` where it exists.
"""

from hotline.actors import Actor
from reports import outbox, workflow
from reports.models import Event, MessageItem, Notice, OutgoingMessage, Report


def counts() -> tuple[int, int, int, int]:
    return (
        Notice.objects.count(),
        Event.objects.count(),
        MessageItem.objects.count(),
        OutgoingMessage.objects.count(),
    )


def send(report: Report, actor: Actor, **kwargs) -> Notice:
    notice = workflow.report_send_notice(report.pk, actor=actor, **kwargs)
    notice.refresh_from_db()
    return notice


def deliver_all() -> int:
    """Deliver what is due now (the delivery queue's task); how many messages went."""
    return outbox.outbox_drain().outcomes.get("sent", 0)
