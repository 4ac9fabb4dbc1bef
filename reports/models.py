"""The case: reports and their audit trail. Data and invariants only; workflow lives elsewhere."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.url import MAX_URL_LENGTH

DESCRIPTION_MAX_LENGTH = 2000


class ReportStatus(models.TextChoices):
    NEW = "new", _("new")
    IN_REVIEW = "in_review", _("in review")
    DUPLICATE = "duplicate", _("duplicate")
    CLOSED = "closed", _("closed")
    ACTIONABLE = "actionable", _("actionable")
    ON_HOLD = "on_hold", _("on hold")
    FORWARDED = "forwarded", _("forwarded")
    TAKEDOWN_REQUESTED = "takedown_requested", _("takedown requested")
    OVERDUE = "overdue", _("overdue")
    REMOVED = "removed", _("removed")


OPEN_STATUSES = (
    ReportStatus.NEW,
    ReportStatus.IN_REVIEW,
    ReportStatus.ACTIONABLE,
    ReportStatus.ON_HOLD,
    ReportStatus.TAKEDOWN_REQUESTED,
    ReportStatus.OVERDUE,
)


class Channel(models.TextChoices):
    WEB = "web", _("web form")
    API = "api", _("public API")
    PARTNER = "partner", _("partner")


class ReporterCategory(models.TextChoices):
    """What the reporter believes they saw; the analyst's assessment is separate."""

    ABUSE_IMAGERY = "abuse_imagery", _("Images or videos of child sexual abuse")
    DRAWN_OR_GENERATED = "drawn_or_generated", _("Drawn or computer-generated images of children")
    GROOMING = "grooming", _("Grooming, sexual extortion or solicitation of a child")
    OTHER = "other", _("Something else involving a child")


class Report(models.Model):
    reference = models.CharField(max_length=16, unique=True, editable=False)
    submitted_url = models.CharField(max_length=MAX_URL_LENGTH, editable=False)
    canonical_url = models.CharField(max_length=MAX_URL_LENGTH, editable=False)
    url_sha256 = models.CharField(max_length=64, db_index=True, editable=False)
    host = models.CharField(max_length=255, db_index=True, editable=False)
    channel = models.CharField(max_length=16, choices=Channel.choices, editable=False)
    partner = models.ForeignKey(
        "hotline.PartnerHotline", null=True, blank=True, on_delete=models.PROTECT, editable=False
    )
    external_id = models.CharField(max_length=200, blank=True, editable=False)
    category = models.CharField(max_length=32, choices=ReporterCategory.choices, blank=True)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    reporter_email = models.EmailField(blank=True)
    tracking_secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(
        max_length=32, choices=ReportStatus.choices, default=ReportStatus.NEW, editable=False
    )
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        editable=False,
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recurrences",
        editable=False,
        help_text=_("The closed report of the same URL that this one recurs after."),
    )
    times_reported = models.PositiveIntegerField(
        default=1, editable=False, help_text=_("This report plus the duplicates attached to it.")
    )
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            # Two identical submissions at the same moment cannot both open a report.
            models.UniqueConstraint(
                fields=["url_sha256"],
                condition=Q(status__in=OPEN_STATUSES),
                name="one_open_report_per_url",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.DUPLICATE) | Q(duplicate_of__isnull=False),
                name="duplicate_points_at_original",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="report_queue_idx"),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Event(models.Model):
    """One line of the audit trail. Structured data only: never a reporter's free text."""

    class ActorKind(models.TextChoices):
        USER = "user", _("user")
        API_KEY = "api_key", _("API key")
        PUBLIC = "public", _("public reporter")
        SYSTEM = "system", _("system")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="events")
    verb = models.CharField(max_length=64)
    from_status = models.CharField(max_length=32, choices=ReportStatus.choices, blank=True)
    to_status = models.CharField(max_length=32, choices=ReportStatus.choices, blank=True)
    at = models.DateTimeField(default=timezone.now)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_label = models.CharField(max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.report_id} {self.verb} at {self.at:%Y-%m-%d %H:%M:%S}"


class PartnerSubmission(models.Model):
    """A partner batch sent with an Idempotency-Key: a retry gets this stored answer back."""

    partner = models.ForeignKey("hotline.PartnerHotline", on_delete=models.PROTECT)
    idempotency_key = models.CharField(max_length=200)
    body_sha256 = models.CharField(max_length=64)
    response = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "idempotency_key"], name="one_submission_per_idempotency_key"
            )
        ]

    def __str__(self):
        return f"{self.partner_id}:{self.idempotency_key}"
