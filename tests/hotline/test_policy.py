"""Deadline policy: how long a provider has, and durations written like 24h, 90m, 30s, 2d."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from hotline.policy import check_durations, deadline_for, duration_parse, duration_setting
from tests.reports.factories import ProviderFactory


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", timedelta(hours=24)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("30s", timedelta(seconds=30)),
        ("2d", timedelta(days=2)),
        (" 5s ", timedelta(seconds=5)),
    ],
)
def test_durations_parse(text, expected):
    assert duration_parse(text) == expected


@pytest.mark.parametrize("text", ["", "24", "h", "24x", "1.5h", "-1h", "24 hours", "PT24H", "h24"])
def test_bad_durations_are_refused_with_a_message_that_shows_the_format(text):
    with pytest.raises(ValueError) as excinfo:
        duration_parse(text)
    message = str(excinfo.value)
    assert repr(text) in message
    assert "24h" in message and "90m" in message and "30s" in message


def test_an_empty_optional_duration_means_the_feature_is_off(settings):
    settings.HOTLINE_LEA_WINDOW = ""
    settings.HOTLINE_ESCALATE_AFTER = ""
    assert duration_setting("HOTLINE_LEA_WINDOW") is None
    assert duration_setting("HOTLINE_ESCALATE_AFTER") is None
    settings.HOTLINE_LEA_WINDOW = "60m"
    assert duration_setting("HOTLINE_LEA_WINDOW") == timedelta(hours=1)


@pytest.mark.django_db
def test_default_deadline_is_24_hours_and_says_so():
    deadline = deadline_for(ProviderFactory(), "voluntary")
    assert deadline.length == timedelta(hours=24)
    assert deadline.policy == "default: 24h"


@pytest.mark.django_db
def test_a_legal_order_has_12_hours_even_where_the_provider_has_its_own_deadline():
    deadline = deadline_for(ProviderFactory(deadline_hours=48), "legal_order")
    assert deadline.length == timedelta(hours=12)
    assert deadline.policy == "legal order: 12h"


@pytest.mark.django_db
def test_a_provider_override_replaces_the_default():
    provider = ProviderFactory(name="Slow Hosting BV", deadline_hours=48)
    deadline = deadline_for(provider, "voluntary")
    assert deadline.length == timedelta(hours=48)
    assert deadline.policy == "provider Slow Hosting BV: 48h"


@pytest.mark.django_db
def test_the_deadlines_come_from_the_settings(settings):
    settings.HOTLINE_TAKEDOWN_DEADLINE = "30s"
    settings.HOTLINE_LEGAL_ORDER_DEADLINE = "90m"
    provider = ProviderFactory()
    assert deadline_for(provider, "voluntary").length == timedelta(seconds=30)
    assert deadline_for(provider, "voluntary").policy == "default: 30s"
    assert deadline_for(provider, "legal_order").length == timedelta(minutes=90)


def test_the_default_settings_pass_the_check():
    assert check_durations(None) == []


@pytest.mark.parametrize(
    "name",
    [
        "HOTLINE_TAKEDOWN_DEADLINE",
        "HOTLINE_LEGAL_ORDER_DEADLINE",
        "HOTLINE_REMINDER_BEFORE",
        "HOTLINE_REPEAT_INTERVAL",
        "HOTLINE_ESCALATE_AFTER",
        "HOTLINE_LEA_WINDOW",
    ],
)
def test_manage_py_check_reports_a_bad_duration_by_name(settings, name):
    setattr(settings, name, "24 hours")
    errors = check_durations(None)
    assert [error.id for error in errors] == ["hotline.E001"]
    assert name in errors[0].msg and "'24 hours'" in errors[0].msg
    with pytest.raises(SystemCheckError) as excinfo:
        call_command("check")
    assert "hotline.E001" in str(excinfo.value)
    assert name in str(excinfo.value)


@pytest.mark.parametrize("name", ["HOTLINE_ESCALATE_AFTER", "HOTLINE_LEA_WINDOW"])
def test_the_optional_durations_may_be_empty(settings, name):
    setattr(settings, name, "")
    assert check_durations(None) == []


@pytest.mark.parametrize(
    "name", ["HOTLINE_TAKEDOWN_DEADLINE", "HOTLINE_LEGAL_ORDER_DEADLINE", "HOTLINE_REPEAT_INTERVAL"]
)
def test_a_zero_deadline_or_repeat_interval_is_reported(settings, name):
    setattr(settings, name, "0s")
    errors = check_durations(None)
    assert [error.id for error in errors] == ["hotline.E001"]
    assert name in errors[0].msg and "longer than zero" in errors[0].msg
