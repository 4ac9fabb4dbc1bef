"""SLA compliance figures (read-only selectors), computed in the database.

Definitions (the README states them in the same words):
- Cohort: the notices *handed off* in the period [from, to) (the provider's mail server
  accepted them: ``handed_off_at``), withdrawn notices excluded. Everything is
  judged as of the end of the period (or now, if that is earlier), so a past month's figures do
  not change when the report is run again later.
- Removal time (``removed_at``): the verified time where the checks found the content gone
  (the first of the consecutive misses), else the provider's claimed time, but never earlier than
  the last check that saw the content online (a claim before that observation counts at the
  observation and is flagged: contested), else the analyst's.
- Time to removal: from ``handed_off_at`` to ``removed_at``, minus the time the notice was on hold.
- Removed within deadline: removed at or before ``deadline_at`` (which holds already moved).
  Removed late: removed after it. Still online past deadline: not removed by the end of the
  period although the deadline had passed: a miss. Pending: neither removed nor yet due.
- Compliance rate: within deadline / (within + late + still online); pending is left out.
- Repeat notices: repeat messages created for the cohort's notices by the end of the period.
- Verified removals: removed notices whose removal the checks verified; claimed only: removed,
  not verified, but confirmed by the provider; contested claims: a check found the content
  online after the provider said removed, by the end of the period. Verified time to removal:
  the time to removal over the verified removals only.
- Re-appearances (30 days): re-check reports of a removed notice's URL, received within 30 days
  of its removal and assessed illegal by the end of the period.
- Hotline side, for the reports *received* in the period: received, duplicates, actionable
  (assessed illegal), forwarded, each by the end of the period; time from receipt to assessment,
  and from assessment to the first notice handed off (median and 90th percentile).
- Median time to act (EU DSA Art. 15): from the receipt of a report to the removal of the
  content it reported, for the cohort's removed notices.
- Contact failures: notices whose delivery gave up in the period (``undeliverable_at``, the
  first time; by month, the month it gave up): no channel reached the provider, so it is not
  the provider's miss. A notice never handed off has no clock and is in no other figure; one
  delivered again later joins the cohort of its hand-off.
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import TruncMonth

from reports.models import ILLEGAL, Channel, MessageItem, Notice, Report, ReportStatus
from reports.sla.period import Period

GROUPS = {
    "provider": "provider__name",
    "country": "country",  # the notice's own: where the content was when it was sent
    "month": "month",
    "classification": "report__industry_category",
}
COUNTS = ["notices", "removed_within", "removed_late", "online_past_deadline", "pending"]
VERIFICATION_COUNTS = ["removed_verified", "removed_claimed_only", "claims_contested"]
DELIVERY_COUNTS = ["contact_failures"]
PERCENTILES = {"median": 0.5, "p90": 0.9}
REAPPEARANCE_WINDOW = timedelta(days=30)
VERIFICATION_NOTES = {
    "on": "removal times verified by the checks where they found the content gone",
    "off": "removal times are the providers' or analysts'",
}


class Seconds(Func):
    """Seconds from ``start`` to ``end`` as a float, on PostgreSQL and SQLite alike."""

    output_field = FloatField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(f) WITHIN GROUP (ORDER BY x)``."""

    function = "percentile_cont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=fraction, **extra)


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks: the same as ``percentile_cont``."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def _cohort(period: Period):
    return Notice.objects.filter(
        handed_off_at__gte=period.start, handed_off_at__lt=period.end
    ).exclude(status=Notice.Status.WITHDRAWN)


def _outcome_filters(as_of) -> dict[str, Q]:
    removed = Q(removed_at__isnull=False, removed_at__lte=as_of)
    return {
        "removed_within": removed & Q(removed_at__lte=F("deadline_at")),
        "removed_late": removed & Q(removed_at__gt=F("deadline_at")),
        "online_past_deadline": ~removed & Q(deadline_at__lte=as_of),
        "pending": ~removed & Q(deadline_at__gt=as_of),
    }


def _time_to_removal():
    return ExpressionWrapper(
        Seconds(F("removed_at"), F("handed_off_at")) - F("held_seconds"), output_field=FloatField()
    )


def _time_to_act():
    return Seconds(F("removed_at"), F("report__received_at"))


def _verification_filters(as_of, removed: Q) -> dict[str, Q]:
    return {
        "removed_verified": removed & Q(removal_verified_at__isnull=False),
        "removed_claimed_only": removed
        & Q(removal_verified_at__isnull=True, removal_confirmed_at__isnull=False),
        "claims_contested": Q(removal_contested_at__lte=as_of),
    }


def provider_figures(period: Period, group_by: str) -> list[dict]:
    """One row per group: counts, compliance rate, time to removal, repeats, time to act, and
    how the removals are known (verified, claimed only, contested) with the re-appearances."""
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of: {', '.join(GROUPS)}")
    as_of = period.as_of
    outcomes = _outcome_filters(as_of)
    removed = outcomes["removed_within"] | outcomes["removed_late"]
    verification = _verification_filters(as_of, removed)
    key = GROUPS[group_by]
    cohort = _cohort(period)
    if group_by == "month":
        cohort = cohort.annotate(month=TruncMonth("handed_off_at"))
    aggregates = {
        "notices": Count("pk"),
        **{name: Count("pk", filter=condition) for name, condition in outcomes.items()},
        **{name: Count("pk", filter=condition) for name, condition in verification.items()},
    }
    postgres = connection.vendor == "postgresql"
    if postgres:
        for name, fraction in PERCENTILES.items():
            aggregates[f"removal_{name}_seconds"] = PercentileCont(
                _time_to_removal(), fraction, filter=removed
            )
            aggregates[f"verified_removal_{name}_seconds"] = PercentileCont(
                _time_to_removal(), fraction, filter=verification["removed_verified"]
            )
        aggregates["time_to_act_median_seconds"] = PercentileCont(
            _time_to_act(), 0.5, filter=removed
        )
    rows = list(cohort.values(key).annotate(**aggregates).order_by(key))
    if not postgres:
        _percentiles_in_python(rows, cohort, key, removed)
    repeats = _repeats_by_group(cohort, group_by, as_of)
    reappearances = _reappearances_by_group(cohort, key, removed, as_of)
    failures = _contact_failures_by_group(period, group_by)
    rows += _rows_without_cohort(set(failures) - {row[key] for row in rows}, key)
    for row in rows:
        row["repeat_notices"] = repeats.get(row[key], 0)
        row["reappearances_30d"] = reappearances.get(row[key], 0)
        row["contact_failures"] = failures.get(row[key], 0)
    return [_finish(row, key, group_by) for row in rows]


def _contact_failures_by_group(period: Period, group_by: str) -> dict:
    """Notices whose delivery gave up in the period, per group (one grouped query)."""
    failures = Notice.objects.filter(
        undeliverable_at__gte=period.start, undeliverable_at__lt=period.end
    )
    if group_by == "month":
        failures = failures.annotate(month=TruncMonth("undeliverable_at"))
    key = GROUPS[group_by]
    return dict(failures.values(key).annotate(n=Count("pk")).values_list(key, "n"))


def _rows_without_cohort(groups: set, key: str) -> list[dict]:
    """Groups with contact failures and no notice handed off: every other figure is empty. They
    come after the cohort's groups, in order, so that those keep theirs."""
    empty = dict.fromkeys([*COUNTS, *VERIFICATION_COUNTS], 0) | {
        name: None
        for name in (
            "removal_median_seconds",
            "removal_p90_seconds",
            "verified_removal_median_seconds",
            "verified_removal_p90_seconds",
            "time_to_act_median_seconds",
        )
    }
    ordered = sorted(groups, key=lambda group: (group is None, str(group or "")))
    return [{key: group, **empty} for group in ordered]


def _repeats_by_group(cohort, group_by: str, as_of) -> dict:
    """Repeat notices per group, in one grouped query (not a subquery per notice). A repeat sent
    on two channels (e-mail and webhook) is one repeat: counted by (notice, attempt)."""
    repeats = MessageItem.objects.filter(
        kind=MessageItem.Kind.REPEAT, created_at__lte=as_of, notice__in=cohort.values("pk")
    )
    if group_by == "month":
        repeats = repeats.annotate(month=TruncMonth("notice__handed_off_at"))
        key = "month"
    else:
        key = f"notice__{GROUPS[group_by]}"
    # attempt <= HOTLINE_MAX_REPEATS, far below 1000: the pair as one number.
    repeat = Count(F("notice_id") * 1000 + F("attempt"), distinct=True)
    return dict(repeats.values(key).annotate(n=repeat).values_list(key, "n"))


def _reappearances_by_group(cohort, key: str, removed: Q, as_of) -> dict:
    """Re-check reports per group, in one grouped query: of a removed notice's report, received
    within the window after the removal and assessed illegal by ``as_of``."""
    recurrence = "report__recurrences"
    # One filter() call: every condition is on the same re-check report (one join). Implied by
    # the join, "previous is not null" lets the planner start from the few recurrences (its
    # index) instead of reading every report.
    found = cohort.filter(
        removed,
        **{
            f"{recurrence}__previous__isnull": False,
            f"{recurrence}__channel": Channel.RECHECK,
            f"{recurrence}__received_at__gte": F("removed_at"),
            f"{recurrence}__received_at__lte": F("removed_at") + REAPPEARANCE_WINDOW,
            f"{recurrence}__assessed_at__lte": as_of,
            f"{recurrence}__legal_status__in": ILLEGAL,
        },
    )
    counted = found.values(key).annotate(n=Count(recurrence, distinct=True))
    return dict(counted.values_list(key, "n"))


def _percentiles_in_python(rows, cohort, key, removed) -> None:
    """SQLite has no percentile aggregate: the same interpolation, over the removed notices."""
    samples: dict = {}
    for group, removal, act, verified_at in cohort.filter(removed).values_list(
        key, _time_to_removal(), _time_to_act(), "removal_verified_at"
    ):
        entry = samples.setdefault(group, ([], [], []))
        entry[0].append(removal)
        entry[1].append(act)
        if verified_at is not None:
            entry[2].append(removal)
    for row in rows:
        removal, act, verified = samples.get(row[key], ([], [], []))
        for name, fraction in PERCENTILES.items():
            row[f"removal_{name}_seconds"] = percentile(removal, fraction)
            row[f"verified_removal_{name}_seconds"] = percentile(verified, fraction)
        row["time_to_act_median_seconds"] = percentile(act, 0.5)


def _finish(row: dict, key: str, group_by: str) -> dict:
    group = row.pop(key)
    if group_by == "month" and group is not None:
        group = group.strftime("%Y-%m")
    judged = row["removed_within"] + row["removed_late"] + row["online_past_deadline"]
    return {
        "group": group if group not in (None, "") else "(none)",
        **{name: row[name] for name in COUNTS},
        "compliance_rate": round(row["removed_within"] / judged, 4) if judged else None,
        "removal_median_seconds": _round(row["removal_median_seconds"]),
        "removal_p90_seconds": _round(row["removal_p90_seconds"]),
        "repeat_notices": row["repeat_notices"],
        "time_to_act_median_seconds": _round(row["time_to_act_median_seconds"]),
        **{name: row[name] for name in VERIFICATION_COUNTS},
        "verified_removal_median_seconds": _round(row["verified_removal_median_seconds"]),
        "verified_removal_p90_seconds": _round(row["verified_removal_p90_seconds"]),
        "reappearances_30d": row["reappearances_30d"],
        "contact_failures": row["contact_failures"],
    }


def _round(value):
    return None if value is None else round(value, 1)


def _percentiles(queryset, specs: dict[str, tuple]) -> dict[str, float | None]:
    """``specs``: name -> (seconds expression, fraction), over the whole queryset."""
    if connection.vendor == "postgresql":
        return queryset.aggregate(
            **{name: PercentileCont(expr, fraction) for name, (expr, fraction) in specs.items()}
        )
    columns = {name: expr for name, (expr, _fraction) in specs.items()}
    values = list(queryset.annotate(**columns).values_list(*columns))
    return {
        name: percentile([row[i] for row in values], fraction)
        for i, (name, (_expr, fraction)) in enumerate(specs.items())
    }


def hotline_figures(period: Period) -> dict:
    """The hotline's own side, for the reports received in the period."""
    reports = Report.objects.filter(received_at__gte=period.start, received_at__lt=period.end)
    # Each count as of the end of the period, like the notices: a duplicate is final, so the
    # time its status changed is when it became one.
    counts = reports.aggregate(
        received=Count("pk"),
        duplicates=Count(
            "pk", filter=Q(status=ReportStatus.DUPLICATE, status_changed_at__lte=period.as_of)
        ),
        actionable=Count("pk", filter=Q(assessed_at__lte=period.as_of, legal_status__in=ILLEGAL)),
        forwarded=Count("pk", filter=Q(forwarded_at__isnull=False, forwarded_at__lte=period.as_of)),
    )
    assessed = reports.filter(assessed_at__isnull=False, assessed_at__lte=period.as_of)
    to_assessment = Seconds(F("assessed_at"), F("received_at"))
    first_notice = (
        Notice.objects.filter(report=OuterRef("pk"), handed_off_at__isnull=False)
        .order_by("handed_off_at")
        .values("handed_off_at")[:1]
    )
    noticed = assessed.annotate(first_sent=Subquery(first_notice)).filter(
        first_sent__isnull=False, first_sent__lte=period.as_of
    )
    to_notice = Seconds(F("first_sent"), F("assessed_at"))
    figures = {
        **_percentiles(
            assessed,
            {
                "assessment_median_seconds": (to_assessment, 0.5),
                "assessment_p90_seconds": (to_assessment, 0.9),
            },
        ),
        **_percentiles(
            noticed,
            {
                "to_notice_median_seconds": (to_notice, 0.5),
                "to_notice_p90_seconds": (to_notice, 0.9),
            },
        ),
    }
    return {**counts, **{name: _round(value) for name, value in figures.items()}}


def sla_report(period: Period, group_by: str) -> dict:
    return {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "as_of": period.as_of.isoformat(),
        "group_by": group_by,
        # Whether the checks run now: off, the removal times are the providers' or analysts'.
        "verification": "on" if settings.HOTLINE_PROBES_ENABLED else "off",
        "groups": provider_figures(period, group_by),
        "hotline": hotline_figures(period),
    }
