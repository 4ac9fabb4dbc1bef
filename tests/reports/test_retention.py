"""Reporter e-mail addresses and tracking secrets are erased after HOTLINE_RETENTION_DAYS."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from hotline.actors import Actor
from reports.intake import report_submit, submission_clean
from reports.models import Channel, Event, Report
from reports.retention import personal_data_erase
from reports.selectors.reporter import report_status_for_reporter

pytestmark = pytest.mark.django_db
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def submit(url: str, email: str = "reporter@example.org"):
    return report_submit(
        submission=submission_clean(url=url, reporter_email=email),
        channel=Channel.API,
        actor=Actor.public(),
    )


def test_personal_data_is_erased_after_the_retention_period_and_nothing_else(settings):
    settings.HOTLINE_RETENTION_DAYS = 365
    with time_machine.travel(T0, tick=False):
        old = submit("https://example.com/old")
    with time_machine.travel(T0 + timedelta(days=200), tick=False):
        recent = submit("https://example.com/recent")
    with time_machine.travel(T0 + timedelta(days=364), tick=False):
        assert personal_data_erase() == 0  # one day short: nothing yet
    with time_machine.travel(T0 + timedelta(days=365, seconds=1), tick=False):
        assert personal_data_erase() == 1
        assert personal_data_erase() == 0  # nothing left to do
        # The erased secret no longer opens the status; the recent one still does.
        assert (
            report_status_for_reporter(reference=old.report.reference, secret=old.tracking_secret)
            is None
        )
        assert (
            report_status_for_reporter(
                reference=recent.report.reference, secret=recent.tracking_secret
            )
            is not None
        )

    old_row, recent_row = (
        Report.objects.get(pk=old.report.pk),
        Report.objects.get(pk=recent.report.pk),
    )
    assert (old_row.reporter_email, old_row.tracking_secret_hash) == ("", "")
    assert recent_row.reporter_email == "reporter@example.org"
    # Figures rely on these, and they stay.
    assert old_row.canonical_url == "https://example.com/old"
    assert old_row.received_at == T0
    erased = Event.objects.get(report=old_row, verb="personal_data_erased")
    assert erased.data == {"retention_days": 365}


def test_the_audit_chain_stays_valid_after_erasure(settings, capsys):
    settings.HOTLINE_RETENTION_DAYS = 30
    with time_machine.travel(T0, tick=False):
        for n in range(3):
            submit(f"https://example.com/{n}")
    with time_machine.travel(T0 + timedelta(days=31), tick=False):
        assert personal_data_erase() == 3
    call_command("audit", "seal")
    call_command("audit", "verify")
    assert "OK: 6 events sealed, chain intact" in capsys.readouterr().out


def test_the_beat_schedule_runs_the_erasure(settings):
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "reports.tasks.personal_data_erase" in schedule
