"""Delivering an outbox message by webhook: the provider's endpoint, its secret read back, and the
same non-public-address guard and outside routing as the removal checks."""

import json

from django.conf import settings
from django.utils import timezone

from hotline import outside, secrets
from hotline.integrations import webhooks
from hotline.integrations.delivery import DeliveryFailed
from reports import verification
from reports.models import OutgoingMessage


def message_post(message: OutgoingMessage, rendered) -> int:
    """Post the rendered payload to the message's endpoint; raises DeliveryFailed."""
    if not message.provider.webhook_secret:
        raise DeliveryFailed(
            f"{message.provider.name} has no webhook secret: a supervisor generates one on the "
            "provider's page.",
            permanent=True,
        )
    try:
        secret = secrets.secret_decrypt(message.provider.webhook_secret)
    except secrets.SecretUnreadable as exc:
        raise DeliveryFailed(f"the webhook secret cannot be read: {exc}", permanent=True) from None
    body = json.dumps(rendered.payload, separators=(",", ":"), sort_keys=True).encode()
    return webhooks.webhook_post(
        message.target,
        body,
        secret=secret,
        message_id=str(message.uuid),
        timestamp=int(timezone.now().timestamp()),
        resolve=verification.address_resolve,
        address_check=verification.address_refusal,
        route=outside.outside_route,
        ca_file=outside.outside_ca_file(),
        allow_http=not settings.PRODUCTION,
        timeout=settings.HOTLINE_WEBHOOK_TIMEOUT,
    )
