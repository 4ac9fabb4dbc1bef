"""Writes to the directory."""

from django.db import transaction

from hotline.models import (
    AuditAPIKey,
    PartnerAPIKey,
    PartnerHotline,
    Provider,
    ProviderAPIKey,
)
from hotline.validators import directory_name


@transaction.atomic
def partner_api_key_create(*, partner_name: str, key_name: str) -> tuple[PartnerAPIKey, str, bool]:
    """A new key for the named partner (created if needed): (key row, key, partner created).

    Raises ``ValidationError`` for a name that is not one line of visible text.
    """
    partner_name = partner_name.strip()
    directory_name(partner_name)
    partner, created = PartnerHotline.objects.get_or_create(name=partner_name)
    api_key, key = PartnerAPIKey.objects.create_key(partner=partner, name=key_name)
    return api_key, key, created


@transaction.atomic
def provider_api_key_create(*, provider_name: str, key_name: str) -> tuple[ProviderAPIKey, str]:
    """A new key for an existing provider (providers come from the directory)."""
    provider = Provider.objects.filter(name=provider_name.strip()).first()
    if provider is None:
        raise Provider.DoesNotExist(
            f"No provider is named {provider_name!r}: add it to the directory first."
        )
    return ProviderAPIKey.objects.create_key(provider=provider, name=key_name)


def audit_api_key_create(*, holder: str, key_name: str) -> tuple[AuditAPIKey, str]:
    return AuditAPIKey.objects.create_key(holder=holder.strip(), name=key_name)
