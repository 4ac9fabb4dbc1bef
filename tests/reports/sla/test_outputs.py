"""SLA compliance figures: 2. the API, the CSV, the command and the dashboard give the same
figures.
"""

import csv
import io
import json
import re
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from reports.sla.figures import sla_report
from reports.sla.render import COLUMNS, CSV_COLUMNS, sla_csv, sla_markdown
from reports.sla.words import FIGURES, HOTLINE_FIGURES, figure_in_words
from tests.reports.sla.support import (
    ALPHA,
    API,
    BETA,
    DASHBOARD,
    EXPECTED,
    EXPECTED_HOTLINE,
    GAMMA,
    PERIOD,
    QUERY,
    audit_key,
    login,
)

pytestmark = pytest.mark.django_db


# --- 2. the API, the CSV, the command and the dashboard give the same figures -----------------


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def as_text(value) -> str:
    """How the CSV writes a figure."""
    return "" if value is None else str(value)


def expected_csv(group_by: str) -> list[dict]:
    return [
        {**{name: as_text(value) for name, value in row.items()}, "verification": "on"}
        for row in EXPECTED[group_by]
    ]


def test_api_json_and_csv_give_the_selector_figures(dataset, queried, subtests):
    supervisor, auditor = login("supervisor"), login("auditor")
    key_client = APIClient()
    key_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {audit_key()}")
    for group_by in EXPECTED:
        report = json.loads(json.dumps(sla_report(PERIOD, group_by)))
        for who, client in (("supervisor", supervisor), ("auditor", auditor), ("key", key_client)):
            with subtests.test(group_by=group_by, who=who, format="json"):
                response = client.get(f"{API}?{QUERY}&group_by={group_by}")
                assert response.status_code == 200, response.content
                body = response.json()
                assert body["groups"] == EXPECTED[group_by]
                assert body["hotline"] == EXPECTED_HOTLINE
                assert body == report
                assert (body["from"], body["to"], body["as_of"], body["group_by"]) == (
                    "2026-08-01T00:00:00+00:00",
                    "2026-11-01T00:00:00+00:00",
                    "2026-11-01T00:00:00+00:00",
                    group_by,
                )
            with subtests.test(group_by=group_by, who=who, format="csv"):
                response = client.get(f"{API}?{QUERY}&group_by={group_by}&format=csv")
                assert response.status_code == 200
                assert response["Content-Type"].startswith("text/csv")
                assert response["Content-Disposition"] == (
                    f'attachment; filename="sla-2026-08-01-2026-11-01-{group_by}.csv"'
                )
                text = response.content.decode()
                assert text == sla_csv(sla_report(PERIOD, group_by))
                assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
                assert csv_rows(text) == expected_csv(group_by)


def test_command_json_csv_and_markdown(dataset, queried, subtests):
    def run(group_by: str, fmt: str) -> str:
        out = StringIO()
        call_command(
            "sla_report",
            "--from", "2026-08-01", "--to", "2026-11-01",
            "--group-by", group_by, "--format", fmt,
            stdout=out,
        )  # fmt: skip
        return out.getvalue()

    for group_by in EXPECTED:
        with subtests.test(group_by=group_by, format="json"):
            report = json.loads(run(group_by, "json"))
            assert report["groups"] == EXPECTED[group_by]
            assert report["hotline"] == EXPECTED_HOTLINE
            assert report == json.loads(json.dumps(sla_report(PERIOD, group_by)))
        with subtests.test(group_by=group_by, format="csv"):
            assert csv_rows(run(group_by, "csv")) == expected_csv(group_by)
        with subtests.test(group_by=group_by, format="md"):
            markdown = run(group_by, "md")
            assert markdown == sla_markdown(sla_report(PERIOD, group_by))
            lines = markdown.splitlines()
            assert lines[0] == (
                "# SLA compliance 2026-08-01 to 2026-11-01 (as of 2026-11-01T00:00 UTC), "
                f"by {group_by}"
            )
            table = [line for line in lines if line.startswith("| ")]
            assert table[0] == "| " + " | ".join(COLUMNS) + " |"
            assert table[1 : 1 + len(EXPECTED[group_by])] == [
                "| " + " | ".join(cell(value) for value in row.values()) + " |"
                for row in EXPECTED[group_by]
            ]
            for name, value in EXPECTED_HOTLINE.items():
                assert f"| {name} | {value} |" in lines


def test_command_refuses_an_empty_period():
    with pytest.raises(CommandError, match="--to must be after --from"):
        call_command("sla_report", "--from", "2026-10-01", "--to", "2026-10-01")


class Tables(HTMLParser):
    """The text of every cell, per row, of the tables of class ``sla`` (the admin has others)."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.inside = False
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.inside = "sla" in (dict(attrs).get("class") or "").split()
            if self.inside:
                self.tables.append([])
        elif tag == "tr" and self.inside:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.inside:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.inside = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def dashboard_tables(html: str) -> list[list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def cell(value) -> str:
    return "—" if value is None else str(value)


def svg_bars(svg: str) -> list[tuple[str, str]]:
    """(label, value text) of each bar of one chart."""
    texts = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
    return list(zip(texts[::2], texts[1::2], strict=True))


def test_dashboard_shows_the_same_figures_as_inline_svg(dataset, queried, subtests):
    client = login("supervisor")
    for group_by in EXPECTED:
        with subtests.test(group_by=group_by):
            url = f"{DASHBOARD}?start=2026-08-01&end=2026-11-01&group_by={group_by}"
            response = client.get(url)
            assert response.status_code == 200
            html = response.content.decode()
            _evidence, groups, hotline = dashboard_tables(html)
            # In words and units (test_dashboard_words.py checks the wording itself).
            assert groups[0][1:] == [FIGURES[name][0] for name in COLUMNS[1:]]
            assert groups[1:] == [
                [row["group"], *(figure_in_words(n, row[n]) for n in COLUMNS[1:])]
                for row in EXPECTED[group_by]
            ]
            assert hotline == [
                [HOTLINE_FIGURES[name][0], figure_in_words(name, value)]
                for name, value in EXPECTED_HOTLINE.items()
            ]
            # The export button: the same period and grouping, as CSV.
            link = re.search(r'href="(/api/v1/sla/\?[^"]+)"', html).group(1).replace("&amp;", "&")
            assert link == f"{API}?{QUERY}&group_by={group_by}&format=csv"
            exported = client.get(link)
            assert exported.status_code == 200
            assert exported["Content-Disposition"].startswith("attachment; filename=")
            assert csv_rows(exported.content.decode()) == expected_csv(group_by)

    html = login("auditor").get(f"{DASHBOARD}?start=2026-08-01&end=2026-11-01").content.decode()
    charts = re.findall(r"<svg\b[^>]*\brole=\"img\".*?</svg>", html, flags=re.S)
    assert len(charts) == 4
    with subtests.test("the charts"):
        # Compliance per month (EXPECTED["month"] as %), median time to removal per provider in
        # hours (75600 s = 21 h, 43200 s = 12 h, 111600 s = 31 h), still online per provider.
        assert 'aria-label="Compliance rate per month"' in charts[0]
        assert svg_bars(charts[0]) == [
            ("2026-08", "66.7%"),
            ("2026-09", "66.7%"),
            ("2026-10", "33.3%"),
        ]
        assert 'aria-label="Median time to removal per provider"' in charts[1]
        assert svg_bars(charts[1]) == [(ALPHA, "21 h"), (BETA, "12 h"), (GAMMA, "31 h")]
        assert 'aria-label="Notices still online past deadline"' in charts[2]
        assert svg_bars(charts[2]) == [(ALPHA, "0"), (BETA, "0"), (GAMMA, "1")]
        # No check verified any removal of this dataset (the analysts set them all).
        assert 'aria-label="Removals verified by the checks"' in charts[3]
        assert svg_bars(charts[3]) == [(ALPHA, "0%"), (BETA, "0%"), (GAMMA, "0%")]
    with subtests.test("nothing from another origin"):
        references = re.findall(
            r"""\b(?:src|href|xlink:href|action)\s*=\s*["']?([^"'\s>]+)""", html
        )
        assert references, "expected the admin's own static files"
        for reference in references:
            assert not re.match(r"(?i)(https?:)?//", reference), reference
        assert not re.search(r"(?i)<script[^>]+src\s*=\s*[\"']?(https?:)?//", html)
        assert not re.search(r"(?i)@import|url\(\s*[\"']?(https?:)?//", html)
        assert "<img" not in html and "<iframe" not in html


def test_dashboard_with_no_parameters_shows_a_default_period(queried):
    response = login("supervisor").get(DASHBOARD)
    assert response.status_code == 200
    html = response.content.decode()
    # The last six months including this one: July to December 2026 (to tomorrow, exclusive).
    assert "Notices sent from 2026-07-01 to 2026-12-02" in html
    assert html.count("No notices in this period.") == 5  # four charts and the table
    # A period the form refuses is said so, with what was typed (test_dashboard_words.py).
    html = login("supervisor").get(f"{DASHBOARD}?start=2026-11-01&end=2026-08-01").content
    assert "&#x27;To&#x27; must be after &#x27;From&#x27;." in html.decode()
    html = login("supervisor").get(f"{DASHBOARD}?start=2026-02-30&end=2026-08-01").content
    assert 'class="errornote">Enter a valid date as YYYY-MM-DD: 2026-02-30' in html.decode()
