"""The directory: providers, partner hotlines, agencies, and their API keys."""

import ipaddress

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from hotline.validators import directory_name, validate_country_code


class DeliveryChannels(models.TextChoices):
    EMAIL = "email", _("e-mail")
    WEBHOOK = "webhook", _("webhook")
    BOTH = "both", _("e-mail and webhook")


NOTICE_LANGUAGES = [("en", "English"), ("nl", "Nederlands"), ("de", "Deutsch"), ("fr", "Français")]


class Provider(models.Model):
    """A hosting provider that receives notices. Matched to reports by domain, network or ASN."""

    name = models.CharField(max_length=200, unique=True, validators=[directory_name])
    country = models.CharField(max_length=2, validators=[validate_country_code])
    abuse_email = models.EmailField()
    escalation_email = models.EmailField(
        blank=True, help_text=_("Where reminders and repeat notices go, if not the abuse address.")
    )
    channel = models.CharField(
        max_length=16,
        choices=DeliveryChannels.choices,
        default=DeliveryChannels.EMAIL,
        db_default=DeliveryChannels.EMAIL,
    )
    webhook_url = models.URLField(
        max_length=500, blank=True, help_text=_("Signed deliveries (Standard Webhooks) go here.")
    )
    # Encrypted (hotline/secrets.py): the service signs with it, nobody reads it back.
    webhook_secret = models.TextField(blank=True, editable=False)
    language = models.CharField(
        max_length=8,
        choices=NOTICE_LANGUAGES,
        default="en",
        db_default="en",
        help_text=_("The language of its notices and answer page."),
    )
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


def address_key(address: ipaddress.IPv4Address | ipaddress.IPv6Address | str) -> str:
    """A fixed-width key that sorts like the address: IPv4 is placed in IPv4-mapped IPv6 space."""
    if isinstance(address, str):
        address = ipaddress.ip_address(address)
    if address.version == 4:
        address = ipaddress.IPv6Address(f"::ffff:{address}")
    return f"{int(address):032x}"


class AddressRange(models.Model):
    """An IPv4 or IPv6 range (CIDR); its bounds make "which ranges hold this address" an index
    scan."""

    cidr = models.CharField(max_length=49)
    first_address = models.CharField(max_length=32, editable=False)
    last_address = models.CharField(max_length=32, editable=False)
    prefix_length = models.PositiveSmallIntegerField(editable=False)

    class Meta:
        abstract = True

    def __str__(self):
        return self.cidr

    def save(self, *args, **kwargs):
        self.prefix_length = _bounds_set(self)
        super().save(*args, **kwargs)


def _bounds_set(row) -> int:
    """Normalise ``row.cidr`` and set its bounds; returns its prefix length in IPv6 space."""
    network = ipaddress.ip_network(row.cidr, strict=False)
    row.cidr = str(network)
    row.first_address = address_key(network.network_address)
    row.last_address = address_key(network.broadcast_address)
    # Mapped into IPv6 space, an IPv4 /24 is a /120: compare lengths in that space.
    return network.prefixlen + (96 if network.version == 4 else 0)


class ProviderNetwork(AddressRange):
    """A range the provider hosts."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="networks")
    cidr = models.CharField(max_length=49, unique=True)

    class Meta:
        indexes = [
            models.Index(fields=["first_address", "last_address"], name="network_bounds_idx")
        ]


class ProviderASN(models.Model):
    """An autonomous system the provider operates: addresses it originates are the provider's."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="asns")
    asn = models.PositiveBigIntegerField(unique=True)

    class Meta:
        ordering = ["asn"]
        verbose_name = "provider ASN"

    def __str__(self):
        return f"AS{self.asn}"


class HostRule(models.Model):
    """What the directory knows about a host that the addresses alone would get wrong.

    A CDN or reverse proxy (by AS or range) stands in front of the real host: notices go to the
    CDN's abuse channel and the report says so. A platform (by domain) is where its users'
    content is, wherever its addresses point. A host rule (by domain) names the provider outright.
    """

    class Kind(models.TextChoices):
        CDN = "cdn", _("CDN or reverse proxy (by AS or range)")
        PLATFORM = "platform", _("platform: its domain decides (by domain)")
        HOST = "host", _("this host belongs to the provider (by domain)")
        NO_PROBES = "no_probes", _("never check URLs of this domain, or of this provider")
        REMOVAL_PAGE = "removal_page", _("a redirect to this path means removed (by domain)")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        related_name="host_rules",
        help_text=_("Who receives the notices: the CDN, the platform or the host's provider."),
    )
    domain = models.CharField(
        max_length=253,
        blank=True,
        help_text=_("A domain suffix: example.com matches a.example.com."),
    )
    asn = models.PositiveBigIntegerField(null=True, blank=True)
    cidr = models.CharField(max_length=49, blank=True)
    first_address = models.CharField(max_length=32, blank=True, editable=False)
    last_address = models.CharField(max_length=32, blank=True, editable=False)
    removal_path = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("For a removal page: the path a removed file redirects to, e.g. /removed."),
    )
    note = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "domain", "asn", "cidr"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="cdn", domain="")
                    & (Q(asn__isnull=False, cidr="") | (Q(asn__isnull=True) & ~Q(cidr="")))
                )
                | (
                    Q(kind__in=["platform", "host", "removal_page"])
                    & Q(asn__isnull=True, cidr="")
                    & ~Q(domain="")
                )
                # No probes: for a domain, or (no domain) for everything the provider hosts.
                | Q(kind="no_probes", asn__isnull=True, cidr=""),
                name="host_rule_matches_one_thing",
            ),
            models.UniqueConstraint(
                fields=["kind", "domain"], condition=~Q(domain=""), name="one_rule_per_domain"
            ),
            models.UniqueConstraint(
                fields=["asn"], condition=Q(asn__isnull=False), name="one_rule_per_asn"
            ),
            models.UniqueConstraint(
                fields=["cidr"], condition=~Q(cidr=""), name="one_rule_per_cidr"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.domain or self.cidr or f'AS{self.asn}'}"

    def save(self, *args, **kwargs):
        if self.cidr:
            _bounds_set(self)
        super().save(*args, **kwargs)


class ProviderCandidate(models.Model):
    """A provider the hosting lookup found in registry data (RDAP) that the directory does not
    know. No notice goes to a candidate: a supervisor checks the contact and approves it, which
    creates (or extends) a directory entry."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("waiting for a supervisor")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    network_handle = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, blank=True, help_text=_("The holder's country."))
    abuse_email = models.EmailField(blank=True)
    abuse_note = models.CharField(max_length=300, blank=True)
    networks = models.JSONField(default=list)
    asn = models.PositiveBigIntegerField(null=True, blank=True)
    source_url = models.CharField(max_length=500)
    looked_up_at = models.DateTimeField()
    decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.PENDING)
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="candidates"
    )
    decided_by_label = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "provider candidate"
        permissions = [("decide_providercandidate", "Can approve or reject provider candidates")]

    def __str__(self):
        return f"{self.name} ({self.network_handle})"


# The hosting lookup's cache: what DNS and the registries said, kept for HOTLINE_LOOKUP_TTL so
# that a batch of URLs on one host costs one lookup. Operational data, refreshed in place.


class HostResolution(models.Model):
    host = models.CharField(max_length=255, unique=True)
    cnames = models.JSONField(default=list)
    addresses = models.JSONField(default=list)
    error = models.CharField(max_length=32, blank=True, help_text=_("The DNS failure, if any."))
    looked_up_at = models.DateTimeField()

    def __str__(self):
        return self.host


class AddressLookup(models.Model):
    """Per address: the AS that originates it, and the last registry failure (not retried at
    once)."""

    address = models.CharField(max_length=45, unique=True)
    asn = models.PositiveBigIntegerField(null=True, blank=True)
    asn_prefix = models.CharField(max_length=49, blank=True)
    asn_error = models.CharField(max_length=32, blank=True)
    looked_up_at = models.DateTimeField()
    rdap_error = models.CharField(max_length=32, blank=True)
    rdap_retry_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.address


class RegistryNetwork(AddressRange):
    """An IP network as its registry describes it (RDAP): holder, country, abuse contact."""

    handle = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True)
    holder = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True)
    cidrs = models.JSONField(default=list)
    abuse_email = models.EmailField(blank=True)
    abuse_note = models.CharField(max_length=300, blank=True)
    source_url = models.CharField(max_length=500)
    looked_up_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["first_address", "last_address"], name="registry_bounds_idx")
        ]


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
