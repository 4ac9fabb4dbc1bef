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
from reports.sla.words import FIGURES, GROUP_HEADINGS, HOTLINE_FIGURES, figure_in_words


class TypedDateField(forms.DateField):
    """A date whose error says what was typed and how to write it."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                "Enter a valid date as YYYY-MM-DD: %(typed)s is not one.",
                code="invalid",
                params={"typed": value},
            ) from None


class PeriodForm(forms.Form):
    """The API's query names, `from` and `to` (the dashboard's old `start` and `end` are read
    as their aliases)."""

    ALIASES = {"start": "from", "end": "to"}

    group_by = forms.ChoiceField(
        choices=[(g, g) for g in GROUPS], initial="provider", required=False
    )

    def __init__(self, data=None, **kwargs):
        if data is not None:
            data = data.copy()
            for old, new in self.ALIASES.items():
                if old in data and new not in data:
                    data[new] = data[old]
        super().__init__(data, **kwargs)
        date = forms.DateInput(attrs={"type": "date"})
        self.fields = {
            "from": TypedDateField(label="From", widget=date, required=False),
            "to": TypedDateField(label="To (exclusive)", widget=date, required=False),
            **self.fields,
        }

    def clean(self):
        data = super().clean()
        data["group_by"] = data.get("group_by") or "provider"  # a link with dates only
        if "from" in data and "to" in data:  # both typed as dates, or left empty
            default = _default_period()
            data["from"] = data["from"] or default["from"]
            data["to"] = data["to"] or default["to"]
            try:
                data["period"] = Period.from_dates(data["from"], data["to"])
            except EmptyPeriod:
                raise forms.ValidationError("'To' must be after 'From'.") from None
        return data


def _default_period() -> dict:
    start, end = six_months_to_date()
    return {
        "from": start,
        "to": end,
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
    context = {**admin.site.each_context(request), "title": "SLA compliance", "form": form}
    if form.is_bound and not form.is_valid():
        # What was typed stays in the form with what is wrong; no other period's figures.
        return render(request, "admin/sla_dashboard.html", context, status=400)
    params = form.cleaned_data if form.is_bound else _default_period()
    period = params["period"]
    report = sla_report(period, params["group_by"])
    query = urlencode(
        {
            "from": params["from"].isoformat(),
            "to": params["to"].isoformat(),
            "group_by": params["group_by"],
            "format": "csv",
        }
    )
    context |= {
        "report": report,
        "verification_note": VERIFICATION_NOTES[report["verification"]],
        "evidence": removal_evidence(report),
        "headings": [GROUP_HEADINGS[report["group_by"]], *(FIGURES[n][0] for n in COLUMNS[1:])],
        "rows": [
            [row["group"], *(figure_in_words(n, row[n]) for n in COLUMNS[1:])]
            for row in report["groups"]
        ],
        "hotline": [
            (HOTLINE_FIGURES[name][0], figure_in_words(name, value))
            for name, value in report["hotline"].items()
        ],
        "definitions": [*(FIGURES[n] for n in COLUMNS[1:]), *HOTLINE_FIGURES.values()],
        "charts": sla_charts(period, report),
        "csv_url": f"{reverse('api:sla')}?{query}",
    }
    return render(request, "admin/sla_dashboard.html", context)
