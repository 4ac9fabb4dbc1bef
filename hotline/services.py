"""Writes to the directory."""

from django.db import transaction

from hotline.models import PartnerAPIKey, PartnerHotline


@transaction.atomic
def partner_api_key_create(*, partner_name: str, key_name: str) -> tuple[PartnerAPIKey, str, bool]:
    """A new key for the named partner (created if needed): (key row, key, partner created)."""
    partner, created = PartnerHotline.objects.get_or_create(name=partner_name.strip())
    api_key, key = PartnerAPIKey.objects.create_key(partner=partner, name=key_name)
    return api_key, key, created
