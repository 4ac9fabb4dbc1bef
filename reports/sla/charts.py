"""The data of the dashboard's bar charts; the template draws them as plain SVG."""

from hotline.models import Provider
from hotline.policy import NoticeKind, deadline_for
from reports.sla.figures import provider_figures
from reports.sla.period import Period

CHART_WIDTH = 320  # pixels for the longest bar
BAR_X = 170  # where the bars start, after their labels (the template draws them there)
BAR_HEIGHT = 22  # pixels per bar, gap included


def _bars(rows, value_key, label_key="group", scale=None, unit="", deadlines=None):
    """``deadlines``: each row's deadline in the value's unit, drawn as a line across its bar."""
    values = [row[value_key] for row in rows if row[value_key] is not None]
    top = scale or max([*values, *(deadlines or {}).values()], default=0) or 1
    bars = []
    for index, row in enumerate(rows):
        value = row[value_key]
        bar = {
            "label": row[label_key],
            "value": value,
            "text": "—" if value is None else f"{value:g}{unit}",
            "width": 0 if value is None else round(CHART_WIDTH * value / top),
            "y": index * BAR_HEIGHT,
        }
        if deadlines is not None:
            deadline = deadlines[row[label_key]]
            bar["deadline_x"] = BAR_X + round(CHART_WIDTH * deadline / top)
            bar["deadline_title"] = f"{row[label_key]}: deadline {deadline:g}{unit}"
        bars.append(bar)
    return bars


def _hours(deadline) -> float:
    return deadline.length.total_seconds() / 3600


def _deadline_hours(names) -> dict[str, float]:
    """Each provider's takedown deadline (its own, else the default), in hours."""
    providers = {p.name: p for p in Provider.objects.filter(name__in=names)}
    return {
        name: _hours(deadline_for(providers.get(name, Provider()), NoticeKind.VOLUNTARY))
        for name in names
    }


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
    deadline_note = (
        "The line is the provider's deadline: its own, else the default "
        f"({_hours(deadline_for(Provider(), NoticeKind.VOLUNTARY)):g} h); a legal order's is "
        f"{_hours(deadline_for(None, NoticeKind.LEGAL_ORDER)):g} h."
    )
    charts = [
        ("Compliance rate per month", _bars(compliance, "percent", scale=100, unit="%")),
        (
            "Median time to removal per provider",
            _bars(
                hours,
                "median_hours",
                unit=" h",
                deadlines=_deadline_hours([row["group"] for row in hours]),
            ),
        ),
        ("Notices still online past deadline", _bars(by_provider, "online_past_deadline")),
        ("Removals verified by the checks", _bars(verified, "percent", scale=100, unit="%")),
    ]
    return [
        {
            "title": title,
            "bars": bars,
            "height": max(len(bars), 1) * BAR_HEIGHT,
            "note": deadline_note if any("deadline_x" in bar for bar in bars) else "",
        }
        for title, bars in charts
    ]
