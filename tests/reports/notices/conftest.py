"""Fixtures shared by the tests of sending a notice."""

import pytest

from hotline.actors import Actor
from reports import outbox
from tests.mail_server import mail_server  # noqa: F401 (a fixture)
from tests.reports.factories import StaffUserFactory


@pytest.fixture
def analyst(db):
    return StaffUserFactory(username="ann", role="analyst")


@pytest.fixture
def actor(analyst):
    return Actor.for_user(analyst)


@pytest.fixture
def sent_task(monkeypatch):
    """Celery tasks handed to the broker, recorded instead of sent: (name, args, eta)."""
    calls = []

    def send_task(self, name, args=None, kwargs=None, eta=None, **options):
        calls.append((name, list(args or []), eta))

    monkeypatch.setattr("celery.app.base.Celery.send_task", send_task)
    monkeypatch.setattr(outbox, "_last_kick", float("-inf"))  # an earlier test's kick is gone
    return calls
