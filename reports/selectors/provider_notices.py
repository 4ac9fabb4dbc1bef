"""A provider's own notices, for the provider API: every query starts from the provider, so
another provider's notice is simply not found."""

from collections.abc import Iterable
from datetime import UTC, datetime

from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Func, Q, QuerySet
from django.utils import timezone

from hotline.models import Provider
from reports.models import ANSWERABLE_NOTICE_STATUSES, Notice
from reports.workflow import PROVIDER_VISIBLE


class Seconds(Func):
    """A whole number of seconds as a duration (SQLite keeps durations as microseconds)."""

    template = "(%(expressions)s * INTERVAL '1 second')"
    output_field = DurationField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="(%(expressions)s * 1000000)")


# Open and overdue by the deadline the notice gave (Notice.stated_deadline_at), not by the
# hotline's own clock, which a hold stops: the filter agrees with what each notice shows.
STATED_DEADLINE = ExpressionWrapper(
    F("deadline_at") - Seconds("held_seconds"), output_field=DateTimeField()
)
STATUS_GROUPS = {
    "open": lambda now: Q(status__in=ANSWERABLE_NOTICE_STATUSES, stated_deadline__gt=now),
    "overdue": lambda now: Q(status__in=ANSWERABLE_NOTICE_STATUSES, stated_deadline__lte=now),
    "closed": lambda now: Q(status__in=[Notice.Status.REMOVED, Notice.Status.WITHDRAWN]),
}
NOTICE_COLUMNS = {field.name for field in Notice._meta.concrete_fields}


def provider_notices(provider: Provider, *, shown: Iterable[str] | None = None) -> QuerySet:
    """The notices the provider may see, newest first.

    ``shown``: the notice fields a list shows; the rows then read only those, and what the
    stated deadline and the report's reference and URL need, not the wide report and provider
    rows. Without it, one notice's whole rows.
    """
    notices = Notice.objects.filter(provider=provider, status__in=PROVIDER_VISIBLE).order_by(
        "-sent_at", "-id"
    )
    if shown is None:
        return notices.select_related("report", "provider")
    return notices.select_related("report").only(
        *(name for name in shown if name in NOTICE_COLUMNS),
        "held_seconds",  # for the deadline the notice gave
        "report__reference",
        "report__canonical_url",
    )


def notices_in_status_group(notices: QuerySet, group: str) -> QuerySet:
    """``group``: one of STATUS_GROUPS, judged now."""
    return notices.alias(stated_deadline=STATED_DEADLINE).filter(
        STATUS_GROUPS[group](timezone.now())
    )


def notices_sent_since(notices: QuerySet, moment: datetime) -> QuerySet:
    """Raises OverflowError when ``moment`` in UTC falls outside the years 1 to 9999."""
    # In UTC: PostgreSQL refuses offsets beyond 15:59 that Python accepts (up to 23:59).
    return notices.filter(sent_at__gte=moment.astimezone(UTC))
