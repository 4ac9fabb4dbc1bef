"""Fixtures shared by the tests of the triage admin."""

import pytest

from tests.reports.factories import ProviderFactory, StaffUserFactory
from tests.reports.triage_admin.support import client_for, submit


@pytest.fixture
def people():
    """Staff in the groups the roles migration made; "bob" is a second analyst."""
    return {
        "analyst": StaffUserFactory(username="ann", role="analyst"),
        "bob": StaffUserFactory(username="bob", role="analyst"),
        "supervisor": StaffUserFactory(username="sam", role="supervisor"),
        "auditor": StaffUserFactory(username="aud", role="auditor"),
    }


@pytest.fixture
def ann(people):
    return client_for(people["analyst"])


@pytest.fixture
def sam(people):
    return client_for(people["supervisor"])


@pytest.fixture
def aud(people):
    return client_for(people["auditor"])


@pytest.fixture
def report():
    return submit()


@pytest.fixture
def provider():
    provider = ProviderFactory(name="Example Images BV", country="NL")
    provider.domains.create(suffix="example.com")
    return provider
