"""The SLA figures in plain words and units, for people (the dashboard): a heading and what it
counts for each column, rates as percentages and times in minutes, hours or days. The API, the
CSV and the command keep the machine names and raw values (reports/sla/render.py)."""

GROUP_HEADINGS = {
    "provider": "Provider",
    "country": "Hosting country",
    "month": "Month",
    "classification": "Classification",
}

# column: (heading, what it counts), in the order of reports.sla.render.COLUMNS.
FIGURES = {
    "notices": (
        "Notices",
        "notices handed off to the provider in the period (withdrawn ones "
        "left out): removed in time + removed late + online past deadline + pending",
    ),
    "removed_within": (
        "Removed in time",
        "removed at or before the deadline (a hold moves the deadline)",
    ),
    "removed_late": ("Removed late", "removed after the deadline"),
    "online_past_deadline": (
        "Online past deadline",
        "not removed by the end of the period although the deadline had passed: a miss",
    ),
    "pending": ("Pending", "neither removed nor yet due"),
    "compliance_rate": (
        "In time",
        "removed in time, as a share of removed in time + removed "
        "late + online past deadline (pending left out)",
    ),
    "removal_median_seconds": (
        "Time to removal, median",
        "from the notice's hand-off to the "
        "removal, hold time left out; half the removals took longer",
    ),
    "removal_p90_seconds": (
        "Time to removal, 90th percentile",
        "the same time that 9 in 10 removals took at most",
    ),
    "repeat_notices": (
        "Repeat notices",
        "repeat notices sent for these notices by the end of the period",
    ),
    "time_to_act_median_seconds": (
        "Time to act, median",
        "from the receipt of the report to the removal of its content (EU DSA Art. 15)",
    ),
    "removed_verified": (
        "Removals verified",
        "removed, and the service's own checks found the content gone",
    ),
    "removed_claimed_only": (
        "Removals claimed only",
        "removed on the provider's word, not verified by a check",
    ),
    "claims_contested": (
        "Claims contested",
        "a check found the content online after the provider said it was removed",
    ),
    "verified_removal_median_seconds": (
        "Verified time to removal, median",
        "time to removal over the verified removals only",
    ),
    "verified_removal_p90_seconds": (
        "Verified time to removal, 90th percentile",
        "the same, 9 in 10 verified removals at most",
    ),
    "reappearances_30d": (
        "Found again within 30 days",
        "re-check reports of a removed URL "
        "received within 30 days of its removal and assessed illegal",
    ),
    "contact_failures": (
        "Contact failures",
        "notices whose delivery gave up in the period: "
        "no channel reached the provider, so not the provider's miss",
    ),
}
HOTLINE_FIGURES = {
    "received": ("Reports received", "reports received in the period"),
    "duplicates": ("Duplicates", "of those, marked duplicate of another report"),
    "actionable": ("Assessed illegal", "of those, assessed illegal"),
    "forwarded": ("Forwarded", "of those, passed to the partner hotline of the hosting country"),
    "assessment_median_seconds": ("Time to assessment, median", "from receipt to assessment"),
    "assessment_p90_seconds": ("Time to assessment, 90th percentile", "9 in 10 at most"),
    "to_notice_median_seconds": (
        "Time to notice, median",
        "from assessment to the first notice handed off",
    ),
    "to_notice_p90_seconds": ("Time to notice, 90th percentile", "9 in 10 at most"),
}
HOUR = 3600


def _number(value: float) -> str:
    """One decimal, none when it is .0: 21, 3.6."""
    return f"{value:.1f}".removesuffix(".0")


def duration_in_words(seconds: float | None) -> str:
    """Minutes under an hour, hours under two days, else days: 50 min, 3.6 h, 2.7 days."""
    if seconds is None:
        return "—"
    if seconds < HOUR:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * HOUR:
        return f"{_number(seconds / HOUR)} h"
    return f"{_number(seconds / (24 * HOUR))} days"


def figure_in_words(name: str, value) -> str:
    if value is None:
        return "—"
    if name.endswith("_seconds"):
        return duration_in_words(value)
    if name.endswith("_rate"):
        return f"{_number(value * 100)} %"
    return str(value)
