"""The SLA dashboard in plain words and units: headings and definitions on the page, rates as
percentages and times in minutes, hours or days; each provider's deadline drawn on the time
chart; the API's `from`/`to` names (the old `start`/`end` still work); a wrong query keeps what
was typed and says what is wrong. The figures are the API's (test_outputs.py)."""

import re

import pytest
import time_machine
from django.db import connection

from hotline.models import Provider
from tests.reports.sla.support import (
    ALPHA,
    BETA,
    DASHBOARD,
    GAMMA,
    QUERIED_AT,
    login,
)
from tests.reports.sla.test_outputs import dashboard_tables

pytestmark = pytest.mark.django_db
# The dashboard's queries by grouping: (SQLite, PostgreSQL); SQLite's percentiles take more.
QUERIES = {"provider": (19, 17), "month": (24, 21)}


def page(query: str, role="supervisor") -> tuple[int, str]:
    with time_machine.travel(QUERIED_AT, tick=False):
        response = login(role).get(f"{DASHBOARD}?{query}")
    return response.status_code, response.content.decode()


@pytest.mark.usefixtures("dataset")
def test_the_table_says_its_figures_in_words_and_units():
    status, html = page("from=2026-08-01&to=2026-11-01&group_by=provider")

    assert status == 200
    _evidence, groups, hotline = dashboard_tables(html)
    heading, alpha, beta, gamma = groups
    assert heading[:11] == [
        "Provider",
        "Notices",
        "Removed in time",
        "Removed late",
        "Online past deadline",
        "Pending",
        "In time",
        "Time to removal, median",
        "Time to removal, 90th percentile",
        "Repeat notices",
        "Time to act, median",
    ]
    # 0.75, 75600 s, 235440 s, 111600 s; 0.6667, 43200 s, 129600 s, 45600 s; 0.0, 111600 s.
    assert alpha[:11] == [ALPHA, "5", "3", "1", "0", "1", "75 %", "21 h", "2.7 days", "3", "31 h"]
    assert beta[:11] == [BETA, "3", "2", "1", "0", "0", "66.7 %", "12 h", "36 h", "2", "12.7 h"]
    assert gamma[6:8] == ["0 %", "31 h"]
    # 3000 s, 12960 s, 3600 s, 5400 s
    assert hotline[4:] == [
        ["Time to assessment, median", "50 min"],
        ["Time to assessment, 90th percentile", "3.6 h"],
        ["Time to notice, median", "1 h"],
        ["Time to notice, 90th percentile", "1.5 h"],
    ]
    assert "_seconds" not in html.split('<table class="sla">', 1)[1]


@pytest.mark.usefixtures("queried")
def test_each_figure_is_defined_on_the_page():
    _status, html = page("from=2026-08-01&to=2026-11-01")
    definitions = dict(re.findall(r"<dt>([^<]+)</dt>\s*<dd>([^<]+)</dd>", html))
    assert definitions["In time"].startswith("removed in time, as a share of")
    assert definitions["Online past deadline"].endswith("a miss")
    assert "hold time left out" in definitions["Time to removal, median"]
    assert "Time to notice, median" in definitions
    assert len(definitions) == 25  # every column but the group, and the hotline's side


@pytest.mark.usefixtures("dataset")
def test_the_time_chart_draws_each_provider_s_deadline():
    Provider.objects.filter(name=BETA).update(deadline_hours=12)

    _status, html = page("from=2026-08-01&to=2026-11-01")

    charts = re.findall(r"<figure>.*?</figure>", html, flags=re.S)
    median = next(chart for chart in charts if "Median time to removal" in chart)
    lines = re.findall(r'<line class="deadline" x1="(\d+)"[^>]*><title>([^<]+)</title>', median)
    assert [title for _x, title in lines] == [
        f"{ALPHA}: deadline 24 h",
        f"{BETA}: deadline 12 h",
        f"{GAMMA}: deadline 24 h",
    ]
    alpha, beta, gamma = (int(x) for x, _title in lines)
    assert alpha == gamma and beta - 170 == pytest.approx((alpha - 170) / 2, abs=1)
    assert "The line is the provider&#x27;s deadline" in median


@pytest.mark.usefixtures("dataset")
def test_from_and_to_are_the_api_s_names_and_start_and_end_still_work():
    _status, by_new_names = page("from=2026-08-01&to=2026-11-01&group_by=month")
    _status, by_old_names = page("start=2026-08-01&end=2026-11-01&group_by=month")

    assert dashboard_tables(by_new_names) == dashboard_tables(by_old_names)
    assert 'name="from" value="2026-08-01"' in by_new_names
    assert 'name="to" value="2026-11-01"' in by_old_names


@pytest.mark.usefixtures("queried")
def test_a_wrong_date_keeps_what_was_typed_and_says_what_is_wrong():
    status, html = page("from=2026-02-30&to=2026-08-01&group_by=month")

    assert status == 400
    assert 'name="from" value="2026-02-30"' in html
    assert 'name="to" value="2026-08-01"' in html
    assert '<option value="month" selected>' in html
    assert "Enter a valid date as YYYY-MM-DD: 2026-02-30 is not one." in html
    assert '<table class="sla' not in html  # no figures of another period beside what was typed


@pytest.mark.usefixtures("queried")
def test_an_end_before_the_start_keeps_both():
    status, html = page("from=2026-11-01&to=2026-08-01&group_by=country")

    assert status == 400
    assert 'name="from" value="2026-11-01"' in html and 'name="to" value="2026-08-01"' in html
    assert '<option value="country" selected>' in html
    assert "&#x27;To&#x27; must be after &#x27;From&#x27;." in html


@pytest.mark.usefixtures("dataset")
@pytest.mark.parametrize("group_by", ["provider", "month"])
def test_the_dashboard_needs_a_fixed_number_of_queries(group_by, django_assert_num_queries):
    """Session and user, the figures (test_verification.py), the charts' month and provider
    figures where the grouping is not theirs, the hotline's side, and one query for every
    provider's deadline; not one per row."""
    client = login("supervisor")
    client.get(DASHBOARD)  # the session's first use
    expected = QUERIES[group_by][connection.vendor == "postgresql"]
    with time_machine.travel(QUERIED_AT, tick=False), django_assert_num_queries(expected):
        client.get(f"{DASHBOARD}?from=2026-08-01&to=2026-11-01&group_by={group_by}")
