"""Delivering an outbox message by webhook: the provider's endpoint, its secret read back, and the
same non-public-address guard and outside routing as the removal checks."""

import json

from django.conf import settings
from django.utils import timezone

from hotline import outside, secrets
from hotline.integrations import webhooks
from reports import verification
from reports.models import OutgoingMessage


def message_post(message: OutgoingMessage, rendered) -> int:
    """Post the rendered payload to the message's endpoint; raises DeliveryFailed."""
    body = json.dumps(rendered.payload, separators=(",", ":"), sort_keys=True).encode()
    return webhooks.webhook_post(
        message.target,
        body,
        secret=secrets.secret_decrypt(message.provider.webhook_secret),
        message_id=str(message.uuid),
        timestamp=int(timezone.now().timestamp()),
        resolve=verification.address_resolve,
        address_check=verification.address_refusal,
        route=outside.outside_route,
        ca_file=outside.outside_ca_file(),
        allow_http=not settings.PRODUCTION,
        timeout=settings.HOTLINE_WEBHOOK_TIMEOUT,
    )
