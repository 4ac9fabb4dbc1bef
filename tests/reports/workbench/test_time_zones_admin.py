"""The admin in the hotline's zone (HOTLINE_TIME_ZONE, default Europe/Amsterdam): times shown
say their zone with UTC on hover, and a time typed into a date field is the hotline's time.
Storage, the SLA periods and what providers get stay in UTC."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import transaction

from reports.audit import events_append
from reports.models import Event, Hold, Notice
from tests.reports.factories import ActionableReportFactory, AgencyFactory, StaffUserFactory
from tests.reports.triage_admin.support import S, change_url, client_for, page, post

pytestmark = pytest.mark.django_db
WINTER = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 10:00 CET
SUMMER = datetime(2026, 7, 2, 9, 0, tzinfo=UTC)  # 11:00 CEST


@pytest.fixture
def sam(clock):  # signed in at the test's moment: the session would have expired by then
    return client_for(StaffUserFactory(username="sam", role="supervisor"))


@pytest.fixture
def running(clock):
    """A report whose notice the provider has, handed off an hour ago."""
    report = ActionableReportFactory(status=S.TAKEDOWN_REQUESTED)
    Notice.objects.create(
        report=report,
        provider=report.provider,
        status=Notice.Status.OPEN,
        created_by_label="test",
        sent_at=WINTER - timedelta(hours=1),
        handed_off_at=WINTER - timedelta(hours=1),
        deadline_at=WINTER + timedelta(hours=23),
    )
    with transaction.atomic():
        events_append(
            [Event(report=report, verb="claim", actor_kind="user", actor_label="ann", data={})]
        )
    return report


@pytest.fixture
def clock():
    with time_machine.travel(WINTER, tick=False) as traveller:
        yield traveller


def test_a_hold_until_typed_as_18_00_in_amsterdam_in_winter_is_stored_as_17_00_utc(sam, running):
    agency = AgencyFactory()

    post(sam, running, "hold", agency=agency.pk, until="2026-12-05T18:00")

    hold = Hold.objects.get(report=running)
    assert hold.until == datetime(2026, 12, 5, 17, 0, tzinfo=UTC)


def test_a_removal_time_typed_in_summer_is_read_as_cest(sam, running, clock):
    clock.move_to(SUMMER + timedelta(days=1))
    Notice.objects.filter(report=running).update(
        handed_off_at=SUMMER - timedelta(hours=1), sent_at=SUMMER - timedelta(hours=1)
    )

    sam.post(
        f"/admin/reports/report/{running.pk}/transition/confirm_removal/",
        # Confirmed on the page that asks first.
        urlencode({"confirm_removal-removed_at": "2026-07-02T12:30", "_confirmed": "1"}),
        content_type="application/x-www-form-urlencoded",
    )

    notice = Notice.objects.get(report=running)
    assert notice.removed_at == datetime(2026, 7, 2, 10, 30, tzinfo=UTC)


def test_the_date_fields_say_which_zone_they_read(sam, running):
    text = page(sam, change_url(running))

    assert "Time in Europe/Amsterdam (CET), e.g. 2026-12-01 18:00" in text  # the hold's until
    assert "Time in Europe/Amsterdam (CET); empty means now." in text  # the removal time
    assert "UTC, e.g." not in text


def test_the_report_page_shows_times_in_the_hotline_zone_naming_it(sam, running):
    text = page(sam, change_url(running))

    # A read-only field (received), the notice's deadline, the timeline's time with UTC on hover.
    assert "2 Dec 2026, 10:00 CET" in text
    assert "3 Dec 2026, 09:00 CET" in text  # the notice's deadline: 08:00 UTC
    assert 'title="2026-12-02 09:00 UTC">2 Dec 10:00 CET</time>' in text


def test_another_zone_is_shown_when_configured(sam, running, settings):
    settings.HOTLINE_TIME_ZONE = "America/New_York"

    text = page(sam, change_url(running))

    assert 'title="2026-12-02 09:00 UTC">2 Dec 04:00 EST</time>' in text


def test_pages_outside_the_admin_stay_in_utc(client, running):
    from django.utils import timezone

    response = client.get("/report/")

    assert response.status_code == 200
    assert timezone.get_current_timezone_name() == "UTC"
    assert django_settings.TIME_ZONE == "UTC"


def test_the_sla_dashboard_says_its_periods_are_whole_utc_days(sam):
    text = page(sam, "/admin/sla/")

    assert "Periods are whole days in UTC" in text


def test_an_unknown_zone_stops_the_service_at_start():
    env = os.environ | {"HOTLINE_TIME_ZONE": "Europe/Atlantis", "DJANGO_SETTINGS_MODULE": ""}
    started = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env=env,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
    )

    assert started.returncode != 0
    assert "HOTLINE_TIME_ZONE='Europe/Atlantis'" in started.stderr
