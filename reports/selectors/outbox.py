"""What the admin shows of the outbox: the open delivery alerts (the banner) and a notice's
messages on the report page (read queries)."""

from reports.models import DeliveryAlert, MessageItem, Notice, OutgoingMessage

MESSAGES_SHOWN = 20  # the newest messages of the running notice on the report page


def delivery_alerts_open() -> list[DeliveryAlert]:
    """Every channel failing now, oldest failure first, with its provider (one query)."""
    return list(
        DeliveryAlert.objects.filter(cleared_at__isnull=True)
        .select_related("provider")
        .order_by("failing_since", "id")
    )


def notice_delivery_context(notice: Notice | None) -> dict:
    """The report page's "Delivery": the running notice's messages, newest first, and for an
    undeliverable notice the failure that made it so (one query, none without a notice)."""
    if notice is None:
        return {"items": [], "failure": None}
    items = list(
        MessageItem.objects.filter(notice=notice)
        .select_related("message")
        .order_by("-created_at", "-id")[:MESSAGES_SHOWN]
    )
    failure = None
    if notice.status == Notice.Status.UNDELIVERABLE:
        failure = next(
            (
                item.message
                for item in items
                if item.kind == MessageItem.Kind.NOTICE
                and item.message is not None
                and item.message.status == OutgoingMessage.Status.FAILED
            ),
            None,
        )
    return {"items": items, "failure": failure}
