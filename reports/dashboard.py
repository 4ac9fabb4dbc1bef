"""The SLA dashboard in the admin (/admin/sla/): a period picker, the table and three charts.

Charts are plain SVG drawn here, so the page needs no script and no third-party origin.
"""

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from reports.sla import COLUMNS, GROUPS, Period, provider_figures, sla_report

CHART_WIDTH = 320  # pixels for the longest bar


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (exclusive)", widget=forms.DateInput(attrs={"type": "date"}))
    group_by = forms.ChoiceField(
        choices=[(g, g) for g in GROUPS], initial="provider", required=False
    )

    def clean(self):
        data = super().clean()
        data["group_by"] = data.get("group_by") or "provider"  # a link with dates only
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise forms.ValidationError("'To' must be after 'From'.")
        return data


def _default_period() -> dict:
    today = timezone.now().date()
    start = date(today.year - (today.month <= 5), (today.month - 6) % 12 + 1, 1)
    return {"start": start, "end": date.fromordinal(today.toordinal() + 1), "group_by": "provider"}


def _bars(rows, value_key, label_key="group", scale=None, unit=""):
    values = [row[value_key] for row in rows if row[value_key] is not None]
    top = scale or max(values, default=0) or 1
    return [
        {
            "label": row[label_key],
            "value": row[value_key],
            "text": "—" if row[value_key] is None else f"{row[value_key]:g}{unit}",
            "width": 0 if row[value_key] is None else round(CHART_WIDTH * row[value_key] / top),
            "y": index * 22,
        }
        for index, row in enumerate(rows)
    ]


def sla_dashboard(request):
    if not request.user.has_perm("reports.view_sla"):
        raise PermissionDenied
    form = PeriodForm(request.GET or None, initial=_default_period())
    params = form.cleaned_data if form.is_valid() else _default_period()
    period = Period.from_dates(params["start"], params["end"])
    report = sla_report(period, params["group_by"])
    by_month = provider_figures(period, "month")
    by_provider = (
        report["groups"]
        if params["group_by"] == "provider"
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
    query = urlencode(
        {
            "from": params["start"].isoformat(),
            "to": params["end"].isoformat(),
            "group_by": params["group_by"],
            "format": "csv",
        }
    )
    charts = [
        ("Compliance rate per month", _bars(compliance, "percent", scale=100, unit="%")),
        ("Median time to removal per provider", _bars(hours, "median_hours", unit=" h")),
        ("Notices still online past deadline", _bars(by_provider, "online_past_deadline")),
    ]
    context = {
        **admin.site.each_context(request),
        "title": "SLA compliance",
        "form": form,
        "report": report,
        "columns": COLUMNS,
        "rows": [[row[name] for name in COLUMNS] for row in report["groups"]],
        "charts": [
            {"title": title, "bars": bars, "height": max(len(bars), 1) * 22}
            for title, bars in charts
        ],
        "csv_url": f"{reverse('api:sla')}?{query}",
    }
    return render(request, "admin/sla_dashboard.html", context)
