"""The data of the dashboard's bar charts; the template draws them as plain SVG."""

from reports.sla.figures import provider_figures
from reports.sla.period import Period

CHART_WIDTH = 320  # pixels for the longest bar
BAR_HEIGHT = 22  # pixels per bar, gap included


def _bars(rows, value_key, label_key="group", scale=None, unit=""):
    values = [row[value_key] for row in rows if row[value_key] is not None]
    top = scale or max(values, default=0) or 1
    return [
        {
            "label": row[label_key],
            "value": row[value_key],
            "text": "—" if row[value_key] is None else f"{row[value_key]:g}{unit}",
            "width": 0 if row[value_key] is None else round(CHART_WIDTH * row[value_key] / top),
            "y": index * BAR_HEIGHT,
        }
        for index, row in enumerate(rows)
    ]


def sla_charts(period: Period, report: dict) -> list[dict]:
    """Compliance per month, median time to removal, notices online past deadline and the share
    of removals the checks verified per provider; ``report`` is the period's sla_report, whose
    groups are reused when by provider."""
    by_month = provider_figures(period, "month")
    by_provider = (
        report["groups"]
        if report["group_by"] == "provider"
        else provider_figures(period, "provider")
    )
    hours = [
        {
            **row,
            "median_hours": None
            if row["removal_median_seconds"] is None
            else round(row["removal_median_seconds"] / 3600, 1),
        }
        for row in by_provider
    ]
    compliance = [
        {
            **row,
            "percent": None
            if row["compliance_rate"] is None
            else round(row["compliance_rate"] * 100, 1),
        }
        for row in by_month
    ]
    verified = [
        {
            **row,
            "percent": round(100 * row["removed_verified"] / removed, 1) if removed else None,
        }
        for row in by_provider
        for removed in [row["removed_within"] + row["removed_late"]]
    ]
    charts = [
        ("Compliance rate per month", _bars(compliance, "percent", scale=100, unit="%")),
        ("Median time to removal per provider", _bars(hours, "median_hours", unit=" h")),
        ("Notices still online past deadline", _bars(by_provider, "online_past_deadline")),
        ("Removals verified by the checks", _bars(verified, "percent", scale=100, unit="%")),
    ]
    return [
        {"title": title, "bars": bars, "height": max(len(bars), 1) * BAR_HEIGHT}
        for title, bars in charts
    ]
