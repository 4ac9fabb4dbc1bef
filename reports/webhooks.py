"""Delivering an outbox message by webhook: the provider's endpoint, its secret read back, and the
same name resolution, non-public-address guard and outside routing as the removal checks."""

import json

from django.conf import settings
from django.utils import timezone

from hotline import outside, secrets
from hotline.integrations import probe, webhooks
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
        message_id=f"msg_{message.uuid.hex}",  # the same on every attempt: receivers drop repeats
        timestamp=int(timezone.now().timestamp()),
        resolve=_resolve,
        address_check=verification.address_refusal,
        route=outside.outside_route,
        ca_file=outside.outside_ca_file(),
        allow_http=not settings.PRODUCTION,
        timeout=settings.HOTLINE_WEBHOOK_TIMEOUT,
        user_agent=_user_agent(),
    )


def _resolve(host: str) -> list[str]:
    """A name that does not resolve now may resolve later (a DNS outage): retried, not final."""
    try:
        return verification.address_resolve(host)
    except probe.ProbeError as exc:
        raise DeliveryFailed(f"{host} could not be resolved: {exc}") from None


def _user_agent() -> str:
    name = settings.HOTLINE_ORG_NAME.encode("ascii", "replace").decode()
    return f"{name} webhook (+{settings.HOTLINE_PUBLIC_URL})"
