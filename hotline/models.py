"""The directory: providers, partner hotlines, agencies, and their API keys."""

import ipaddress

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from hotline.validators import directory_name, validate_country_code


class Provider(models.Model):
    """A hosting provider that receives notices. Matched to reports by domain, network or ASN."""

    name = models.CharField(max_length=200, unique=True, validators=[directory_name])
    country = models.CharField(max_length=2, validators=[validate_country_code])
    abuse_email = models.EmailField()
    asns = models.JSONField(default=list, blank=True, help_text=_("Autonomous system numbers."))
    deadline_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Overrides the hotline's removal deadline.")
    )
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ProviderDomain(models.Model):
    """A domain suffix the provider hosts: ``example.com`` matches ``a.b.example.com``."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="domains")
    suffix = models.CharField(max_length=253, unique=True)

    def __str__(self):
        return self.suffix


def address_key(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """A fixed-width key that sorts like the address: IPv4 is placed in IPv4-mapped IPv6 space."""
    if address.version == 4:
        address = ipaddress.IPv6Address(f"::ffff:{address}")
    return f"{int(address):032x}"


class ProviderNetwork(models.Model):
    """An IPv4 or IPv6 range (CIDR) the provider hosts; its bounds make look-ups an index scan."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="networks")
    cidr = models.CharField(max_length=49, unique=True)
    first_address = models.CharField(max_length=32, editable=False)
    last_address = models.CharField(max_length=32, editable=False)
    prefix_length = models.PositiveSmallIntegerField(editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["first_address", "last_address"], name="network_bounds_idx")
        ]

    def __str__(self):
        return self.cidr

    def save(self, *args, **kwargs):
        network = ipaddress.ip_network(self.cidr, strict=False)
        self.cidr = str(network)
        self.first_address = address_key(network.network_address)
        self.last_address = address_key(network.broadcast_address)
        # Mapped into IPv6 space, an IPv4 /24 is a /120: compare lengths in that space.
        self.prefix_length = network.prefixlen + (96 if network.version == 4 else 0)
        super().save(*args, **kwargs)


class PartnerHotline(models.Model):
    """Another hotline or trusted flagger: sends reports, takes those hosted in its countries."""

    name = models.CharField(max_length=200, unique=True, validators=[directory_name])
    countries = models.JSONField(default=list, blank=True, help_text=_("ISO codes it covers."))
    contact_email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "partner hotline"

    def __str__(self):
        return self.name


class Agency(models.Model):
    """A law-enforcement agency or regulator that receives escalations."""

    class Kind(models.TextChoices):
        POLICE = "police", _("police")
        REGULATOR = "regulator", _("regulator")

    name = models.CharField(max_length=200, unique=True, validators=[directory_name])
    country = models.CharField(max_length=2, validators=[validate_country_code])
    kind = models.CharField(max_length=16, choices=Kind.choices)
    contact_email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self):
        return self.name


class PartnerAPIKey(AbstractAPIKey):
    """A partner's API key; only its hash is stored."""

    partner = models.ForeignKey(PartnerHotline, on_delete=models.PROTECT, related_name="api_keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "partner API key"
        verbose_name_plural = "partner API keys"


class ProviderAPIKey(AbstractAPIKey):
    """A provider's API key: it sees and answers that provider's notices only."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="api_keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "provider API key"
        verbose_name_plural = "provider API keys"


class AuditAPIKey(AbstractAPIKey):
    """A read-only key for auditors and regulators: SLA figures, nothing else."""

    holder = models.CharField(max_length=200, help_text=_("Who holds it, e.g. the regulator."))

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "audit API key"
        verbose_name_plural = "audit API keys"
