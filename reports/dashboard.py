"""The SLA dashboard in the admin (/admin/sla/): a period picker, how the removals are known,
the table and four charts.

Charts are plain SVG drawn by the template from reports.sla.charts, so the page needs no script
and no third-party origin.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse

from reports.sla.charts import sla_charts
from reports.sla.figures import GROUPS, VERIFICATION_NOTES, sla_report
from reports.sla.period import EmptyPeriod, Period, six_months_to_date
from reports.sla.render import COLUMNS


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (exclusive)", widget=forms.DateInput(attrs={"type": "date"}))
    group_by = forms.ChoiceField(
        choices=[(g, g) for g in GROUPS], initial="provider", required=False
    )

    def clean(self):
        data = super().clean()
        data["group_by"] = data.get("group_by") or "provider"  # a link with dates only
        if data.get("start") and data.get("end"):
            try:
                data["period"] = Period.from_dates(data["start"], data["end"])
            except EmptyPeriod:
                raise forms.ValidationError("'To' must be after 'From'.") from None
        return data


def _default_period() -> dict:
    start, end = six_months_to_date()
    return {
        "start": start,
        "end": end,
        "group_by": "provider",
        "period": Period.from_dates(start, end),
    }


def removal_evidence(report: dict) -> list[tuple[str, int]]:
    """The period's removals by how they are known, and the contested claims and re-appearances:
    sums over the groups, which split the cohort whatever the grouping."""

    def total(name: str) -> int:
        return sum(row[name] for row in report["groups"])

    removed = total("removed_within") + total("removed_late")
    verified, claimed = total("removed_verified"), total("removed_claimed_only")
    return [
        ("removed", removed),
        ("verified by the checks", verified),
        ("claimed by the provider only", claimed),
        ("set by an analyst only", removed - verified - claimed),
        ("claims contested by a check", total("claims_contested")),
        ("found online again within 30 days", total("reappearances_30d")),
    ]


def sla_dashboard(request):
    if not request.user.has_perm("reports.view_sla"):
        raise PermissionDenied
    form = PeriodForm(request.GET or None, initial=_default_period())
    params = form.cleaned_data if form.is_valid() else _default_period()
    period = params["period"]
    report = sla_report(period, params["group_by"])
    query = urlencode(
        {
            "from": params["start"].isoformat(),
            "to": params["end"].isoformat(),
            "group_by": params["group_by"],
            "format": "csv",
        }
    )
    context = {
        **admin.site.each_context(request),
        "title": "SLA compliance",
        "form": form,
        "report": report,
        "verification_note": VERIFICATION_NOTES[report["verification"]],
        "evidence": removal_evidence(report),
        "columns": COLUMNS,
        "rows": [[row[name] for name in COLUMNS] for row in report["groups"]],
        "charts": sla_charts(period, report),
        "csv_url": f"{reverse('api:sla')}?{query}",
    }
    return render(request, "admin/sla_dashboard.html", context)
