"""The case: reports and their audit trail. Data and invariants only; workflow lives elsewhere."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.policy import NoticeKind
from hotline.url import MAX_URL_LENGTH

DESCRIPTION_MAX_LENGTH = 2000
GENESIS_HASH = "0" * 64


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
    RECHECK = "recheck", _("found online again by a re-check")
    ANALYST = "analyst", _("pasted by an analyst")


class ReporterCategory(models.TextChoices):
    """What the reporter believes they saw; the analyst's assessment is separate."""

    ABUSE_IMAGERY = "abuse_imagery", _("Images or videos of child sexual abuse")
    DRAWN_OR_GENERATED = "drawn_or_generated", _("Drawn or computer-generated images of children")
    GROOMING = "grooming", _("Grooming, sexual extortion or solicitation of a child")
    OTHER = "other", _("Something else involving a child")


class NotActionableReason(models.TextChoices):
    NOT_ILLEGAL = "not_illegal", _("not illegal")
    OUT_OF_REMIT = "out_of_remit", _("out of remit")
    UNREACHABLE = "unreachable", _("unreachable")
    ALREADY_REMOVED = "already_removed", _("already removed")
    INSUFFICIENT_INFORMATION = "insufficient_information", _("insufficient information")


class LegalStatus(models.TextChoices):
    BASELINE = "baseline", _("baseline (illegal everywhere)")
    NATIONAL = "national", _("national (illegal under national law)")
    NOT_ILLEGAL = "not_illegal", _("not illegal")


# Assessed as illegal (a not-illegal assessment has a legal status too: ICCAM's classification).
ILLEGAL = (LegalStatus.BASELINE, LegalStatus.NATIONAL)


class IndustryCategory(models.TextChoices):
    A1 = "A1", _("A1: prepubescent, sexual act")
    A2 = "A2", _("A2: prepubescent, lascivious exhibition")
    B1 = "B1", _("B1: pubescent, sexual act")
    B2 = "B2", _("B2: pubescent, lascivious exhibition")


class NotIllegalReason(models.TextChoices):
    """Why content assessed as not illegal is not: sent to partners with ICCAM's NotIllegal
    action (or ContentUnavailable for ``not_found``), see docs/iccam.md."""

    ADULT = "adult", _("adult content: no child involved")
    AGE_UNDETERMINED = "age_undetermined", _("age cannot be determined")
    NOT_SEXUAL = "not_sexual", _("not sexual (family, medical, art)")
    LEGAL_HERE = "legal_here", _("not illegal under the law that applies")
    NOT_FOUND = "not_found", _("content not found")
    OTHER = "other", _("other")


class ContentType(models.TextChoices):
    """ICCAM's content types (its ids in docs/iccam.md); X-ARF's ``media_type`` is derived."""

    IMAGE = "image", _("image")
    VIDEO = "video", _("video")
    LINK = "link", _("link (a page linking to the content)")
    CONTAINER = "container", _("container (archive, gallery)")
    TEXT = "text", _("text")
    OTHER = "other", _("other")


class SiteType(models.TextChoices):
    """ICCAM's site types (its ids in docs/iccam.md)."""

    WEBSITE = "website", _("website")
    WEB_PAGE = "web_page", _("web page")
    FILE_HOST = "file_host", _("file host")
    IMAGE_HOST = "image_host", _("image host")
    IMAGE_STORE = "image_store", _("image store")
    IMAGE_BOARD = "image_board", _("image board")
    FORUM = "forum", _("forum")
    BLOG = "blog", _("blog")
    SOCIAL_NETWORK = "social_network", _("social network")
    BANNER_SITE = "banner_site", _("banner site")
    LINK_SITE = "link_site", _("link site")
    REDIRECTOR = "redirector", _("redirector")
    WEB_ARCHIVE = "web_archive", _("web archive")
    SEARCH_PROVIDER = "search_provider", _("search provider")
    NOT_APPLICABLE = "not_applicable", _("not applicable")
    NOT_DETERMINED = "not_determined", _("not determined")


class Commerciality(models.TextChoices):
    COMMERCIAL = "commercial", _("commercial")
    NON_COMMERCIAL = "non_commercial", _("non-commercial")
    NOT_DETERMINED = "not_determined", _("not determined")


class PaymentMethod(models.TextChoices):
    AMEX = "amex", "AMEX"
    DINERS = "diners", "Diners"
    MASTERCARD = "mastercard", "Mastercard"
    PAYPAL = "paypal", "PayPal"
    VISA = "visa", "Visa"
    WESTERN_UNION = "western_union", "Western Union"
    SMS = "sms", "SMS"
    EMAIL = "email", _("e-mail")
    LIBERTY_RESERVE = "liberty_reserve", "Liberty Reserve"
    BITCOIN = "bitcoin", "Bitcoin"
    OTHER = "other", _("other")
    NONE = "none", _("none")


class AgeGroup(models.TextChoices):
    INFANT = "infant", _("infant or toddler")
    PREPUBESCENT = "prepubescent", _("prepubescent")
    PUBESCENT = "pubescent", _("pubescent")
    NOT_DETERMINED = "not_determined", _("not determined")


class Gender(models.TextChoices):
    FEMALE = "female", _("female")
    MALE = "male", _("male")
    BOTH = "both", _("both")
    NOT_DETERMINED = "not_determined", _("not determined")


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
    # Triage (reports/workflow.py sets every one of these).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text=_("The analyst who claimed it."),
    )
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    assessed_at = models.DateTimeField(null=True, blank=True, editable=False)
    not_actionable_reason = models.CharField(
        max_length=32, choices=NotActionableReason.choices, blank=True, editable=False
    )
    legal_status = models.CharField(
        max_length=16, choices=LegalStatus.choices, blank=True, editable=False
    )
    industry_category = models.CharField(
        max_length=2, choices=IndustryCategory.choices, blank=True, editable=False
    )
    not_illegal_reason = models.CharField(
        max_length=32,
        choices=NotIllegalReason.choices,
        blank=True,
        db_default="",
        editable=False,
    )
    content_type = models.CharField(
        max_length=16, choices=ContentType.choices, blank=True, editable=False
    )
    site_type = models.CharField(
        max_length=16, choices=SiteType.choices, blank=True, editable=False
    )
    commerciality = models.CharField(
        max_length=16, choices=Commerciality.choices, blank=True, db_default="", editable=False
    )
    payment_methods = models.JSONField(
        default=list,
        db_default=[],
        blank=True,
        editable=False,
        help_text=_("PaymentMethod values."),
    )
    is_virtual = models.BooleanField(
        null=True, blank=True, editable=False, help_text=_("Drawn or computer-generated.")
    )
    is_user_generated = models.BooleanField(null=True, blank=True, editable=False)
    is_child_modeling = models.BooleanField(null=True, blank=True, editable=False)
    age_group = models.CharField(
        max_length=16, choices=AgeGroup.choices, blank=True, db_default="", editable=False
    )
    gender = models.CharField(
        max_length=16, choices=Gender.choices, blank=True, db_default="", editable=False
    )
    # The four-eyes rule (HOTLINE_FOUR_EYES): a second analyst's confirmation of the assessment.
    assessment_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    assessment_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    provider = models.ForeignKey(
        "hotline.Provider",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        editable=False,
        related_name="reports",
    )
    hosting_country = models.CharField(max_length=2, blank=True, editable=False)
    hosting_lookup = models.ForeignKey(
        "HostingLookup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
        help_text=_("The newest finished hosting lookup."),
    )
    hosting_changed = models.ForeignKey(
        "HostingLookup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        editable=False,
        related_name="+",
        help_text=_(
            "A lookup before a hand-off found the host elsewhere: the message waits for an analyst."
        ),
    )
    forwarded_to = models.ForeignKey(
        "hotline.PartnerHotline",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        editable=False,
        related_name="forwarded_reports",
    )
    forwarded_reference = models.CharField(max_length=200, blank=True, editable=False)
    forwarded_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_before_hold = models.CharField(
        max_length=32, choices=ReportStatus.choices, blank=True, editable=False
    )
    probes_off = models.BooleanField(
        default=False,
        db_default=False,
        editable=False,
        help_text=_("Never check this URL (e.g. a partner forbids it)."),
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
            # Queues: a status, worked oldest first; the unfiltered list: newest first.
            models.Index(fields=["status", "status_changed_at"], name="report_queue_idx"),
            models.Index(fields=["received_at"], name="report_received_idx"),
            models.Index(fields=["assigned_to", "status"], name="report_assignee_idx"),
            # The "ready to send" queue: a few thousand rows of a million, oldest first. Without
            # it the planner ANDs the status index with provider's (all assessed reports).
            models.Index(
                fields=["status_changed_at"],
                condition=Q(status=ReportStatus.ACTIONABLE, provider__isnull=False),
                name="report_ready_idx",
            ),
            models.Index(
                fields=["status_changed_at"],
                condition=Q(hosting_changed__isnull=False),
                name="report_hosting_changed_idx",
            ),
            # Open reports never looked up (their lookup task lost): the resume task's query.
            models.Index(
                fields=["received_at"],
                condition=Q(hosting_lookup__isnull=True, status__in=OPEN_STATUSES),
                name="report_unlooked_idx",
            ),
        ]
        permissions = [
            ("triage_report", "Can claim, assess, mark duplicate, set hosting and forward"),
            ("escalate_report", "Can escalate to law enforcement and regulators"),
            ("hold_report", "Can put on hold and release at an agency's request"),
            ("override_report", "Can take over or release another analyst's claim"),
            ("view_sla", "Can see SLA compliance figures"),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def assessment_unconfirmed(self) -> bool:
        """Under the four-eyes rule (HOTLINE_FOUR_EYES): no second analyst has confirmed the
        assessment yet, so no notice may go out."""
        return settings.HOTLINE_FOUR_EYES and self.assessment_confirmed_at is None


class HostingLookup(models.Model):
    """One run of the hosting lookup for a report (reports/hosting.py): each step it took, what
    it found, and what it suggests. Never the URL's content: only DNS and registry data."""

    class Purpose(models.TextChoices):
        INTAKE = "intake", _("on intake")
        ON_DEMAND = "on_demand", _("asked for by an analyst")
        DELIVERY = "delivery", _("before a hand-off")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting to run")
        DONE = "done", _("done")
        FAILED = "failed", _("failed, not retried")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="lookups")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    # When a worker may next take it: a claimed lookup is leased, so one lost with its worker or
    # with the broker is taken again by the resume task.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    steps = models.JSONField(default=list)
    cnames = models.JSONField(default=list)
    addresses = models.JSONField(default=list)
    provider = models.ForeignKey(
        "hotline.Provider", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    candidate = models.ForeignKey(
        "hotline.ProviderCandidate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lookups",
    )
    partner = models.ForeignKey(
        "hotline.PartnerHotline",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Hosted abroad in a country this partner covers: forward to it."),
    )
    country = models.CharField(max_length=2, blank=True)
    behind_cdn = models.BooleanField(default=False)
    abuse_email = models.EmailField(blank=True)
    reason = models.CharField(max_length=500, blank=True)
    resolved = models.BooleanField(
        default=False, help_text=_("DNS (or the URL itself) gave at least one public address.")
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(state="pending"), name="lookup_pending_idx"
            )
        ]
        constraints = [
            # One waiting per report: intake, the resume task and "look up again" share it.
            models.UniqueConstraint(
                fields=["report"], condition=Q(state="pending"), name="one_pending_lookup"
            )
        ]

    def __str__(self):
        return f"hosting lookup {self.get_purpose_display()} ({self.get_state_display()})"

    @property
    def attribution(self) -> tuple:
        """Where it says the content is: compared before a hand-off to spot a moved host. A
        candidate approved since counts as the provider it became."""
        provider = self.provider_id
        if provider is None and self.candidate_id is not None:
            provider = self.candidate.provider_id or f"candidate {self.candidate_id}"
        return (provider, self.country)


class Event(models.Model):
    """One line of the audit trail. Structured data only: never a reporter's free text.

    Written with its ``content_hash`` in the request; the sealer (``reports.audit``) later gives
    it its place in the chain (``AuditSeal``). The database refuses to change or delete it.
    """

    class ActorKind(models.TextChoices):
        USER = "user", _("user")
        API_KEY = "api_key", _("API key")
        PUBLIC = "public", _("public reporter")
        SYSTEM = "system", _("system")

    # None for a change that belongs to no report (the directory's).
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
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
    # The report's SLA timestamps, holds, escalations and messages after this event.
    state = models.JSONField(null=True, blank=True, editable=False)
    # Personal fields enter the content hash as hashes salted with this, not as their values.
    salt = models.CharField(max_length=32, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.verb} on {self.report} at {self.at:%Y-%m-%d %H:%M:%S} UTC"


class AuditSeal(models.Model):
    """An event's place in the chain: each chain hash covers the one before and the event's
    content hash. Written by the sealer only; the database refuses to change or delete it."""

    seq = models.PositiveBigIntegerField(primary_key=True)
    event = models.OneToOneField(Event, on_delete=models.PROTECT, related_name="seal")
    content_hash = models.CharField(max_length=64)
    chain_hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=timezone.now)
    # The chain from before sealing existed, linked with its own formula (reports.audit).
    legacy = models.BooleanField(default=False)

    class Meta:
        ordering = ["seq"]

    def __str__(self):
        return f"seal {self.seq}"


class AuditPending(models.Model):
    """An event written but not sealed yet: the sealer's queue, small and cheap to read."""

    event = models.OneToOneField(
        Event, primary_key=True, on_delete=models.PROTECT, related_name="pending"
    )
    at = models.DateTimeField()

    def __str__(self):
        return f"event {self.event_id} waiting to be sealed"


class AuditChainHead(models.Model):
    """One row: the newest seal's sequence number and chain hash. The sealer's lock row on
    SQLite; on PostgreSQL an advisory lock keeps sealers apart."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self):
        return f"audit chain at {self.seq}"


class AuditCheckpoint(models.Model):
    """A signed statement of the chain at one sequence number, also handed outside the database
    (HOTLINE_AUDIT_ANCHOR). ``line`` is the documented format: the signed text, then its
    signature."""

    seq = models.PositiveBigIntegerField()
    chain_hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    line = models.TextField()

    class Meta:
        ordering = ["seq", "id"]

    def __str__(self):
        return f"checkpoint at {self.seq}"


class Escalation(models.Model):
    """A report passed to law enforcement or a regulator. Never edited or deleted: a correction
    is a new entry that refers to the one it corrects."""

    class Kind(models.TextChoices):
        NOTIFICATION = "notification", _("notification")
        URGENT = "urgent", _("urgent: a child may be in danger")
        NON_COMPLIANCE = "non_compliance", _("non-compliance: not removed in time")

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        PHONE = "phone", _("phone")
        PORTAL = "portal", _("agency portal")
        IN_PERSON = "in_person", _("in person")
        SYSTEM = "system", _("sent by the service")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="escalations")
    agency = models.ForeignKey("hotline.Agency", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    agency_reference = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    note = models.TextField(max_length=2000, blank=True)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.created_at:%Y-%m-%d %H:%M} UTC"


class Hold(models.Model):
    """An agency asked the hotline to wait (e.g. not to alert the provider during an inquiry)."""

    class EndReason(models.TextChoices):
        RELEASED = "released", _("released at the agency's request")
        EXPIRED = "expired", _("expired")
        REMOVED = "removed", _("content removed during the hold")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="holds")
    notice = models.ForeignKey(
        "Notice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="holds",
        help_text=_("The notice whose clock this hold paused, if one was running."),
    )
    agency = models.ForeignKey("hotline.Agency", on_delete=models.PROTECT, related_name="+")
    agency_reference = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField()
    until = models.DateTimeField(help_text=_("When the hold ends unless released earlier."))
    released_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report"], condition=Q(released_at__isnull=True), name="one_active_hold"
            )
        ]
        indexes = [
            models.Index(
                fields=["until"], condition=Q(released_at__isnull=True), name="hold_expiry_idx"
            )
        ]

    def __str__(self):
        return f"hold until {self.until:%Y-%m-%d %H:%M} UTC"

    @property
    def seconds(self) -> int:
        end = self.released_at or self.until
        return int((end - self.started_at).total_seconds())


# A notice that has not ended: at most one per report.
# An undeliverable notice still holds its report (the analysts find another contact or channel).
RUNNING_NOTICE_STATUSES = ("scheduled", "delivering", "undeliverable", "open", "overdue")
# Handed over (or being handed over) to the provider: the hotline waits for the removal.
CLOCK_RUNNING_NOTICE_STATUSES = ("delivering", "open", "overdue")
# A notice the provider has been handed and may answer (acknowledge, removed, dispute).
ANSWERABLE_NOTICE_STATUSES = ("open", "overdue")
# A dispute the hotline has not answered yet (the "disputed" queue, its index, the triage box).
DISPUTE_WAITING = Q(disputed_at__isnull=False, dispute_answered_at__isnull=True)


class DisputeAnswer(models.TextChoices):
    UPHELD = "upheld", _("upheld: notice withdrawn")
    REJECTED = "rejected", _("rejected: notice runs on")


class Notice(models.Model):
    """A notice-and-takedown to a hosting provider, and the removal clock it starts.

    The clock starts at the hand-off (``handed_off_at``: the provider's mail server accepted
    the notice); until then the notice is ``delivering`` and nothing is due on it.
    ``due_at`` is the next moment a timer must act on the notice (send it after the police
    window, remind, mark overdue, repeat, escalate); the sweep selects by it alone, so its cost
    follows what is due, not what is open.
    """

    Kind = NoticeKind

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled (police window)")
        DELIVERING = "delivering", _("delivering (not yet accepted by the provider)")
        UNDELIVERABLE = "undeliverable", _("undeliverable (no channel reached the provider)")
        OPEN = "open", _("open")
        OVERDUE = "overdue", _("overdue")
        REMOVED = "removed", _("removed")
        WITHDRAWN = "withdrawn", _("withdrawn")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="notices")
    provider = models.ForeignKey(
        "hotline.Provider", on_delete=models.PROTECT, related_name="notices"
    )
    # Database defaults too: bulk and raw writers need not know these columns.
    country = models.CharField(
        max_length=2,
        blank=True,
        default="",
        db_default="",
        help_text=_("The hosting country when the notice was made."),
    )
    lookup = models.ForeignKey(
        HostingLookup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The hosting lookup the notice was based on."),
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.VOLUNTARY)
    status = models.CharField(max_length=16, choices=Status.choices)
    created_at = models.DateTimeField(default=timezone.now)
    created_by_label = models.CharField(max_length=200)
    scheduled_for = models.DateTimeField(
        null=True, blank=True, help_text=_("Police window: not sent before this time.")
    )
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the hotline sent it (the e-mail may leave later).")
    )
    handed_off_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the provider's mail server accepted it: the clock runs from here."),
    )
    deadline_at = models.DateTimeField(null=True, blank=True)
    policy = models.CharField(
        max_length=200, blank=True, help_text=_("The rule the deadline was computed from.")
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    removal_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The removal time the provider confirmed.")
    )
    removed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Removal time: verified by the checks, else confirmed or set by an analyst."),
    )
    # Removal verification (reports/verification.py).
    removal_verified_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the checks found it gone (the first of the misses)."),
    )
    removal_contested_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("A check found it online after the provider said removed."),
    )
    last_seen_online_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The last check that found it online.")
    )
    undeliverable_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Delivery gave up (first time): a contact failure, not the provider's miss."),
    )
    disputed_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = models.TextField(max_length=2000, blank=True)
    dispute_answer = models.CharField(
        max_length=16, choices=DisputeAnswer.choices, blank=True, db_default="", editable=False
    )
    dispute_answered_at = models.DateTimeField(null=True, blank=True, editable=False)
    dispute_answer_reason = models.TextField(
        max_length=2000, blank=True, db_default="", editable=False
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.CharField(max_length=500, blank=True)
    moved = models.BooleanField(
        default=False,
        db_default=False,
        help_text=_("Withdrawn because the content moved to another host: not this provider's."),
    )
    repeats_sent = models.PositiveIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    held_seconds = models.PositiveIntegerField(
        default=0, help_text=_("Time on hold while the clock ran: moved the deadline.")
    )
    due_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(due_at__isnull=False), name="notice_due_idx"
            ),
            models.Index(fields=["provider", "-sent_at", "-id"], name="notice_provider_idx"),
            # The "scheduled" and "disputed" queues find their reports through these (small).
            models.Index(
                fields=["report"], condition=Q(status="scheduled"), name="notice_scheduled_idx"
            ),
            # The "due within 4 h" and "awaiting removal" queues: the notices whose clock runs.
            models.Index(
                fields=["deadline_at", "report"],
                condition=Q(status__in=CLOCK_RUNNING_NOTICE_STATUSES),
                name="notice_clock_running_idx",
            ),
            models.Index(
                fields=["report"],
                condition=Q(
                    status__in=["scheduled", "open", "overdue"],
                    disputed_at__isnull=False,
                    dispute_answered_at__isnull=True,
                ),
                name="notice_disputed_idx",
            ),
        ]
        constraints = [
            # One running notice per report; repeats are messages of the same notice.
            models.UniqueConstraint(
                fields=["report"],
                condition=Q(status__in=RUNNING_NOTICE_STATUSES),
                name="one_running_notice_per_report",
            )
        ]

    def __str__(self):
        # Names the report and the provider, never database ids (the admin shows it).
        return f"notice on {self.report} to {self.provider}"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_NOTICE_STATUSES

    @property
    def dispute_waiting(self) -> bool:
        """Disputed by the provider and not answered yet (``DISPUTE_WAITING``)."""
        return self.disputed_at is not None and self.dispute_answered_at is None

    @property
    def messages(self) -> models.QuerySet:
        """The outbox messages that spoke about this notice (one may carry many notices)."""
        return OutgoingMessage.objects.filter(items__notice=self)

    # What the provider is shown. A hold moves ``deadline_at`` (the hotline's own clock) but
    # never the deadline the provider was given, so that nothing on the notice reveals a hold.
    @property
    def stated_deadline_at(self) -> datetime | None:
        if self.deadline_at is None:
            return None
        return self.deadline_at - timedelta(seconds=self.held_seconds)

    @property
    def provider_status(self) -> str:
        if self.status in (self.Status.OPEN, self.Status.OVERDUE):
            overdue = timezone.now() >= self.stated_deadline_at
            return self.Status.OVERDUE if overdue else self.Status.OPEN
        return self.status


class RemovalCheck(models.Model):
    """One status-only check of a report's URL (hotline/integrations/probe.py): scheduled as a row
    (``due_at``), run by the probes queue, and kept with what it saw. Never the content: the
    status line and a few identifying headers."""

    class Purpose(models.TextChoices):
        HANDED_OFF = "handed_off", _("after the hand-off")
        INTERVAL = "interval", _("while the notice runs")
        DEADLINE = "deadline", _("at the deadline")
        CLAIMED = "claimed", _("after the provider said removed")
        CONFIRM = "confirm", _("confirming a miss")
        RECHECK = "recheck", _("after removal")

    class Outcome(models.TextChoices):
        ONLINE = "online", _("online")
        GONE = "gone", _("gone")
        CHANGED = "changed", _("changed (an analyst decides)")
        UNREACHABLE = "unreachable", _("unreachable")
        ERROR = "error", _("error")
        SKIPPED = "skipped", _("not run (on hold, opted out or probes off)")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="checks")
    notice = models.ForeignKey(
        "Notice", null=True, blank=True, on_delete=models.PROTECT, related_name="checks"
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    due_at = models.DateTimeField()
    checked_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    url = models.CharField(max_length=MAX_URL_LENGTH, blank=True)
    address = models.CharField(max_length=45, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    redirected_to = models.CharField(max_length=MAX_URL_LENGTH, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    elapsed_ms = models.PositiveIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    recheck_day = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(checked_at__isnull=True), name="check_due_idx"
            ),
            models.Index(fields=["report", "-checked_at"], name="check_report_idx"),
        ]

    def __str__(self):
        return f"check {self.get_purpose_display()} ({self.outcome or 'due'})"


class MessageKind(models.TextChoices):
    NOTICE = "notice", _("notice")
    REMINDER = "reminder", _("reminder")
    REPEAT = "repeat", _("repeat notice")
    ESCALATION = "escalation", _("escalation")
    DISPUTE_REJECTED = "dispute_rejected", _("answer to a dispute")
    TEST = "test", _("test delivery")
    ALERT = "alert", _("staff alert")


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    WEBHOOK = "webhook", _("webhook")


class OutgoingMessage(models.Model):
    """One delivery in the outbox (reports/outbox.py): an e-mail or a webhook call to one target,
    covering one or more notices (its items). Written when its items are grouped, delivered by
    the delivery queue with backoff until it is sent or gives up (``failed``); subject, bodies and
    X-ARF documents are rendered at each attempt and stored as the accepted one was sent. The
    Message-ID (and the webhook-id, the uuid) stays the same on every attempt, so a receiver can
    drop a retry whose first attempt did arrive (``possible_duplicate``).
    """

    Kind = MessageKind
    Channel = DeliveryChannel

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed (gave up)")
        CANCELLED = "cancelled", _("cancelled (nothing left to say)")

    # Sent, or still being tried.
    LIVE_STATUSES = (Status.PENDING, Status.SENDING, Status.SENT)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    target = models.CharField(
        max_length=500, help_text=_("The e-mail address or the webhook endpoint.")
    )
    provider = models.ForeignKey(
        "hotline.Provider",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        default=timezone.now,
        help_text=_("When the next attempt is due (while sending: when it counts as lost)."),
    )
    possible_duplicate = models.BooleanField(
        default=False, help_text=_("An earlier attempt's outcome is unknown: it may have arrived.")
    )
    message_id = models.CharField(
        max_length=255, blank=True, help_text=_("The Message-ID header, the same on every retry.")
    )
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    xarf = models.JSONField(null=True, blank=True, help_text=_("The X-ARF documents it carried."))
    created_at = models.DateTimeField(default=timezone.now)
    first_failed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="message_due_idx",
            ),
            models.Index(
                fields=["-failed_at"], condition=Q(status="failed"), name="message_failed_idx"
            ),
            # The alert check reads recent failures only.
            models.Index(
                fields=["first_failed_at"],
                condition=Q(first_failed_at__isnull=False),
                name="message_failing_idx",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.channel} message {self.pk} ({self.status})"


class MessageItem(models.Model):
    """What one message says about one notice: unique per purpose (notice, kind, attempt,
    channel), written in the transaction that decided it. Items wait unbound until their group's
    window closes; then the outbox binds them to one message per target."""

    Kind = MessageKind

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="message_items")
    message = models.ForeignKey(
        OutgoingMessage,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    attempt = models.PositiveIntegerField(default=0, help_text=_("The repeat's number."))
    channel = models.CharField(
        max_length=16, choices=DeliveryChannel.choices, default=DeliveryChannel.EMAIL
    )
    target = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    dropped = models.CharField(
        max_length=200, blank=True, help_text=_("Why it was left out when its message went.")
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "kind", "attempt", "channel"],
                name="one_item_per_notice_kind_attempt_channel",
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(message__isnull=True), name="item_unbound_idx"
            )
        ]

    def __str__(self):
        return f"{self.kind} #{self.attempt} ({self.channel})"


class AnswerLink(models.Model):
    """A provider's personal link to the one-click answer page for one message's notices.

    The token is derived from the message (an HMAC of its uuid), so every attempt carries the
    same link; only its SHA-256 is stored."""

    token_sha256 = models.CharField(max_length=64, unique=True)
    message = models.OneToOneField(
        OutgoingMessage, on_delete=models.PROTECT, related_name="answer_link"
    )
    provider = models.ForeignKey("hotline.Provider", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self):
        return f"answer link of message {self.message_id}"


class DeliveryAlert(models.Model):
    """A provider's channel has been failing for a while: the supervisors were told (by staff
    e-mail and an admin banner). Cleared when a delivery on that channel succeeds."""

    provider = models.ForeignKey("hotline.Provider", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, choices=DeliveryChannel.choices)
    failing_since = models.DateTimeField()
    raised_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "channel"],
                condition=Q(cleared_at__isnull=True),
                name="one_open_alert_per_channel",
            )
        ]

    def __str__(self):
        return f"{self.provider_id} {self.channel} failing since {self.failing_since}"


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


class WorkerHeartbeat(models.Model):
    """When a Celery worker last finished a beat sweep: proof that somebody runs the clock.

    Operational state, not case history: overwritten at every sweep, so no audit event."""

    node = models.CharField(max_length=255, unique=True)  # celery@hostname
    swept_at = models.DateTimeField()

    def __str__(self):
        return f"{self.node} at {self.swept_at:%Y-%m-%d %H:%M:%S}"
