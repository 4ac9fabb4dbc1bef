"""Fixtures of the delivery admin: staff, a provider whose mail server refuses its notices."""

import pytest
from django.test import Client

from tests.reports.delivery_admin.support import RefusingMailServer
from tests.reports.factories import ProviderFactory, StaffUserFactory


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def people(db):
    return {
        "analyst": StaffUserFactory(username="ann", role="analyst"),
        "supervisor": StaffUserFactory(
            username="sam", role="supervisor", email="sam@hotline.example"
        ),
    }


@pytest.fixture
def ann(people):
    return client_for(people["analyst"])


@pytest.fixture
def sam(people):
    return client_for(people["supervisor"])


@pytest.fixture
def provider(db):
    return ProviderFactory(name="Example Images BV", abuse_email="abuse@images.example")


@pytest.fixture
def refusing_mail_server(settings):
    """Every e-mail goes to a server that refuses its recipient for good, until the test sets
    another backend."""
    with RefusingMailServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield server


@pytest.fixture
def mail_accepted(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
