from django.conf import settings
from rest_framework import serializers

from reports.models import DESCRIPTION_MAX_LENGTH, ReporterCategory


class PublicReportSerializer(serializers.Serializer):
    url = serializers.CharField(
        trim_whitespace=True,
        help_text="The web address (http or https) where you saw it. Never the material itself.",
    )
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=DESCRIPTION_MAX_LENGTH,
        help_text="Optional: what you saw and where on the page, in plain words.",
    )
    reporter_email = serializers.EmailField(
        required=False,
        allow_blank=True,
        help_text="Optional: only the hotline sees it; it is never passed to the hosting provider.",
    )
    category = serializers.ChoiceField(
        choices=ReporterCategory.choices, required=False, allow_blank=True
    )


class ReportReceiptSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="The report's public reference, e.g. HL-7KQ2-M9XD.")
    tracking_secret = serializers.CharField(
        help_text="Shown once. Send it as X-Tracking-Secret to see the report's status."
    )
    status = serializers.CharField()
    status_url = serializers.CharField()


class ReporterStatusSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["received", "in_progress", "closed"],
        help_text="received for the first 24 hours, then in_progress until closed.",
    )
    changed_at = serializers.DateTimeField(
        help_text="When you reported it while received; afterwards 00:00 UTC of the day the "
        "status was first shown."
    )
    outcome = serializers.ChoiceField(
        choices=["action_taken", "no_action"],
        allow_null=True,
        help_text="Once closed: whether the hotline had the content taken down or passed on "
        "(action_taken), or found nothing to act on (no_action); null before.",
    )


class PartnerReportItemSerializer(serializers.Serializer):
    """One item of a partner batch (documentation: items are checked one by one by intake)."""

    url = serializers.CharField()
    description = serializers.CharField(required=False, max_length=DESCRIPTION_MAX_LENGTH)
    external_id = serializers.CharField(required=False, max_length=200)


def _unstorable_text(value) -> bool:
    """A NUL or an unpaired surrogate anywhere (PostgreSQL and UTF-8 cannot hold either)."""
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(_unstorable_text(k) or _unstorable_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable_text(item) for item in value)
    return False


class PartnerBatchSerializer(serializers.Serializer):
    # Items stay raw here so that one bad item is rejected alone, not the whole batch.
    reports = serializers.ListField(
        # A null item too: intake rejects it alone, as it does a string or a number.
        child=serializers.JSONField(allow_null=True),
        min_length=1,
        max_length=settings.HOTLINE_PARTNER_BATCH_MAX,
    )

    def validate_reports(self, items):
        # Not text at all, so not an item intake could reject with a reason: the batch is refused.
        bad = [index for index, item in enumerate(items) if _unstorable_text(item)]
        if bad:
            indexes = ", ".join(map(str, bad[:20]))
            raise serializers.ValidationError(
                f"Items {indexes} contain a NUL character (\\u0000) or an unpaired surrogate "
                "(\\ud800-\\udfff): send valid Unicode text."
            )
        return items


class PartnerBatchDocSerializer(serializers.Serializer):
    reports = serializers.ListField(
        child=PartnerReportItemSerializer(),
        min_length=1,
        max_length=settings.HOTLINE_PARTNER_BATCH_MAX,
    )


class PartnerItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=["created", "duplicate", "rejected"])
    reference = serializers.CharField(required=False)
    external_id = serializers.CharField()
    reason = serializers.CharField(required=False)


class PartnerBatchResultSerializer(serializers.Serializer):
    results = PartnerItemResultSerializer(many=True)
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()
