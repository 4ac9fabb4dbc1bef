"""Fixtures of the answer-page tests: real notices, sent through the workflow and the outbox to
Django's locmem mail backend, and the link taken from the e-mail, as a provider would."""

import pytest

from hotline.actors import Actor
from tests.reports.answer_page.support import PUBLIC_URL
from tests.reports.factories import StaffUserFactory


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.HOTLINE_PUBLIC_URL = PUBLIC_URL


@pytest.fixture
def actor(db):
    return Actor.for_user(StaffUserFactory(username="ann", role="analyst"))
