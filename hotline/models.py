"""The directory: who reports to the hotline and with which credentials."""

from django.db import models
from rest_framework_api_key.models import AbstractAPIKey


class PartnerHotline(models.Model):
    """Another hotline or trusted flagger that submits reports through the partner API."""

    name = models.CharField(max_length=200, unique=True)
    contact_email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "partner hotline"

    def __str__(self):
        return self.name


class PartnerAPIKey(AbstractAPIKey):
    """A partner's API key; only its hash is stored."""

    partner = models.ForeignKey(PartnerHotline, on_delete=models.PROTECT, related_name="api_keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "partner API key"
        verbose_name_plural = "partner API keys"
