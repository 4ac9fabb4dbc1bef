"""Fixtures shared by the tests of the provider API."""

import pytest
import time_machine

from tests.reports.factories import ProviderFactory, StaffUserFactory
from tests.reports.provider_api.support import T0, World, key_create


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(clock, settings):
    settings.HOTLINE_LEA_WINDOW = ""
    alpha = ProviderFactory(name="Alpha Hosting BV", country="NL")
    beta = ProviderFactory(name="Beta Cloud GmbH", country="DE")
    return World(
        clock=clock,
        supervisor=StaffUserFactory(username="sam", role="supervisor"),
        alpha=alpha,
        beta=beta,
        key_alpha=key_create(alpha.name),
        key_beta=key_create(beta.name),
    )
