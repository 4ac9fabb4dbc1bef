"""Fixtures shared by the tests of the outbox."""

import pytest

from hotline.actors import Actor
from tests.mail_server import mail_server  # noqa: F401 (a fixture)
from tests.reports.factories import StaffUserFactory


@pytest.fixture
def actor(db):
    return Actor.for_user(StaffUserFactory(username="ann", role="analyst"))


@pytest.fixture
def grouped(settings):
    """Notices to one provider within five minutes go in one e-mail (the service's default)."""
    settings.HOTLINE_NOTICE_GROUP_WINDOW = "5m"
