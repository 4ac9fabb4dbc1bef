"""The report list as an analyst reads it at 1280 px: short columns, time left in days and
hours, and the queues "awaiting removal" and "due within 4 h" with their counts."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from reports.models import Hold, Notice, Report
from tests.reports.factories import (
    ActionableReportFactory,
    AgencyFactory,
    ProviderFactory,
    StaffUserFactory,
)
from tests.reports.triage_admin.support import S, client_for, page

pytestmark = pytest.mark.django_db
LIST = "/admin/reports/report/"
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam (CET)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ann():
    return client_for(StaffUserFactory(username="ann", role="analyst"))


def with_notice(status: str, deadline: timedelta | None, report_status=S.TAKEDOWN_REQUESTED):
    provider = ProviderFactory()
    report = ActionableReportFactory(status=report_status, provider=provider)
    Notice.objects.create(
        report=report,
        provider=provider,
        status=status,
        created_by_label="test",
        sent_at=NOW - timedelta(hours=1),
        handed_off_at=NOW - timedelta(hours=1) if status != Notice.Status.DELIVERING else None,
        deadline_at=NOW + deadline if deadline is not None else None,
    )
    return report


@pytest.fixture
def cases():
    held = with_notice(Notice.Status.OPEN, timedelta(hours=2), report_status=S.ON_HOLD)
    Hold.objects.create(
        report=held, agency=AgencyFactory(), started_at=NOW, until=NOW + timedelta(days=3)
    )
    return {
        "due_in_2h": with_notice(Notice.Status.OPEN, timedelta(hours=2)),
        "due_in_27h": with_notice(Notice.Status.OPEN, timedelta(days=1, hours=3)),
        "overdue_2h": with_notice(Notice.Status.OVERDUE, -timedelta(hours=2), S.OVERDUE),
        "delivering": with_notice(Notice.Status.DELIVERING, None),
        "scheduled": with_notice(Notice.Status.SCHEDULED, None, S.ACTIONABLE),
        "held": held,
        "no_notice": ActionableReportFactory(),
    }


def listed(text: str, cases) -> set[str]:
    return {name for name, report in cases.items() if report.reference in text}


def row_of(text: str, report) -> str:
    rows = re.findall(r"<tr>.*?</tr>", text, flags=re.S)
    return next(row for row in rows if report.reference in row)


def test_awaiting_removal_lists_the_notices_the_provider_has_while_their_clock_runs(ann, cases):
    text = page(ann, f"{LIST}?queue=awaiting_removal")

    assert listed(text, cases) == {"due_in_2h", "due_in_27h", "overdue_2h", "delivering"}


def test_due_within_4_hours_lists_running_deadlines_not_yet_passed_soonest_first(ann, cases):
    cases["due_in_3h"] = with_notice(Notice.Status.OPEN, timedelta(hours=3, minutes=59))
    cases["due_in_4h01"] = with_notice(Notice.Status.OPEN, timedelta(hours=4, minutes=1))

    text = page(ann, f"{LIST}?queue=due_soon")

    assert listed(text, cases) == {"due_in_2h", "due_in_3h"}
    assert text.index(cases["due_in_2h"].reference) < text.index(cases["due_in_3h"].reference)


def test_the_new_queues_show_their_counts_on_the_list_and_the_admin_index(ann, cases):
    listing, index = page(ann, LIST), page(ann, "/admin/")

    assert "Awaiting removal (4)" in listing
    assert "Due within 4 h (1)" in listing
    assert re.search(r"Awaiting removal</a></th><td>4<", index)
    assert re.search(r"Due within 4 h</a></th><td>1<", index)


def test_time_left_is_written_in_days_and_hours(ann, cases):
    text = page(ann, LIST)

    # A number and its unit stay together (a no-break space) when the column wraps.
    assert ">1\u00a0d 3\u00a0h<" in row_of(text, cases["due_in_27h"])
    assert ">2\u00a0h<" in row_of(text, cases["due_in_2h"])
    assert "overdue by 2\u00a0h" in row_of(text, cases["overdue_2h"])


def test_time_left_sorts_soonest_first_with_no_deadline_last(ann, cases):
    header = re.search(r'column-deadline_left">.*?href="(\?o=[^"]+)"', page(ann, LIST), re.S)
    text = page(ann, f"{LIST}{header.group(1)}")  # the column's own sort link

    order = sorted(
        ("overdue_2h", "due_in_2h", "due_in_27h", "no_notice"),
        key=lambda name: text.index(cases[name].reference),
    )
    assert order == ["overdue_2h", "due_in_2h", "due_in_27h", "no_notice"]


def test_a_row_shows_its_reference_unbroken_its_provider_its_category_and_a_short_date(ann, cases):
    report = cases["due_in_2h"]
    row = row_of(page(ann, LIST), report)

    assert f'<span class="reference">{report.reference}</span>' in row
    assert report.provider.name in row
    assert ">A1<" in row
    # Received today: its time in Amsterdam; the day and UTC on hover.
    assert (
        '<time datetime="2026-12-02T09:00:00+00:00"'
        ' title="2 Dec 10:00 CET (2026-12-02 09:00 UTC)">10:00 CET</time>'
    ) in row


def test_an_earlier_day_is_shown_as_the_day_alone(ann, cases):
    earlier = cases["no_notice"]
    Report.objects.filter(pk=earlier.pk).update(received_at=NOW - timedelta(days=3))

    row = row_of(page(ann, LIST), earlier)

    assert 'title="29 Nov 10:00 CET (2026-11-29 09:00 UTC)">29 Nov</time>' in row
