"""The report page's "Removal checks": what each check saw, newest first, and the next one due."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.times import local_text
from reports.models import RemovalCheck
from tests.reports.factories import ActionableReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def checks_on(settings):
    settings.HOTLINE_PROBES_ENABLED = True  # the page shows the checks (none runs here)


def _page(client, report) -> str:
    return client.get(f"/admin/reports/report/{report.pk}/change/").content.decode()


def _rows(page: str) -> list[list[str]]:
    cells = re.findall(r'<tr class="removal-check">(.*?)</tr>', page, flags=re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in cells
    ]


def _next_check(page: str) -> str:
    return re.search(r"Next check: (.*?)</p>", page, flags=re.S).group(1).strip()


def _check(report, minutes_ago: int, purpose="interval", **fields) -> RemovalCheck:
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    return RemovalCheck.objects.create(
        report=report, purpose=purpose, due_at=moment, checked_at=moment, **fields
    )


@pytest.fixture
def report():
    return ActionableReportFactory()


def test_the_history_newest_first_with_what_each_check_saw(admin_client, report):
    _check(
        report, 90, outcome="online", status_code=200,
        headers={"content-type": "text/html; charset=utf-8", "content-length": "5120"},
    )  # fmt: skip
    _check(
        report, 30, purpose="confirm", outcome="changed", status_code=302,
        redirected_to="https://removed.example.net/notice",
        headers={"content-type": "text/html", "location": "https://removed.example.net/notice"},
    )  # fmt: skip
    _check(report, 10, purpose="claimed", outcome="unreachable", detail="connection refused")
    page = _page(admin_client, report)
    # In the hotline's zone, saying it (its UTC on hover).
    checked = [
        local_text(check.checked_at) for check in RemovalCheck.objects.order_by("-checked_at")
    ]
    assert _rows(page) == [
        [checked[0], "after the provider said removed", "unreachable", "—", "", "", ""],
        [
            checked[1], "confirming a miss", "changed (an analyst decides)", "302",
            "hxxps://removed[.]example[.]net/notice", "text/html", "",
        ],
        [checked[2], "while the notice runs", "online", "200", "", "text/html; charset=utf-8",
         "5120"],
    ]  # fmt: skip
    # A redirect target is a URL like the reported one: text, never a link.
    assert "https://removed.example.net" not in page
    assert _next_check(page) == "none scheduled"


def test_at_most_fifty_checks_are_shown_and_the_next_one_due(admin_client, report):
    for minutes in range(1, 56):
        _check(report, minutes, outcome="online", status_code=200 + minutes)
    due = timezone.now() + timedelta(hours=3)
    for moment in (due + timedelta(hours=1), due):
        RemovalCheck.objects.create(report=report, purpose="deadline", due_at=moment)
    page = _page(admin_client, report)
    rows = _rows(page)
    assert len(rows) == 50
    assert [row[3] for row in rows] == [str(200 + minutes) for minutes in range(1, 51)]
    assert _next_check(page) == f"{due:%Y-%m-%d %H:%M:%S} UTC (at the deadline)"


def test_with_the_checks_off_the_page_says_so(admin_client, report, settings):
    settings.HOTLINE_PROBES_ENABLED = False
    RemovalCheck.objects.create(report=report, purpose="deadline", due_at=timezone.now())
    page = _page(admin_client, report)
    assert _next_check(page) == "checks are off"
    assert "No check has run yet." in page
