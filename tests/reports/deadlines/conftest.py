"""Fixtures shared by the tests of the removal clock."""

import pytest

from hotline.actors import Actor
from hotline.models import Agency
from tests.reports.factories import (
    ActionableReportFactory,
    AgencyFactory,
    StaffUserFactory,
    notice_send,
)


@pytest.fixture
def policy(settings):
    """The defaults, spelt out: the arithmetic below depends on them."""
    settings.HOTLINE_TAKEDOWN_DEADLINE = "24h"
    settings.HOTLINE_REMINDER_BEFORE = "4h"
    settings.HOTLINE_REPEAT_INTERVAL = "24h"
    settings.HOTLINE_MAX_REPEATS = 3
    settings.HOTLINE_ESCALATE_AFTER = ""
    settings.HOTLINE_ESCALATION_AGENCY = ""
    settings.HOTLINE_LEA_WINDOW = ""
    return settings


@pytest.fixture
def analyst(db):
    return Actor.for_user(StaffUserFactory(username="ann", role="analyst"))


@pytest.fixture
def supervisor(db):
    return Actor.for_user(StaffUserFactory(username="sam", role="supervisor"))


@pytest.fixture
def police(db):
    return AgencyFactory(name="National Police", kind=Agency.Kind.POLICE)


@pytest.fixture
def notice(db, clock, policy, analyst):
    """A notice sent at T0 with a 24 h deadline."""
    report = ActionableReportFactory()
    return notice_send(report.pk, actor=analyst)


@pytest.fixture
def window(policy):
    policy.HOTLINE_LEA_WINDOW = "60m"
    return policy
