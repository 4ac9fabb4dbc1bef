"""Fixtures shared by the tests of the triage workflow."""

import pytest

from tests.reports.factories import (
    AgencyFactory,
    PartnerHotlineFactory,
    ProviderFactory,
    ReportFactory,
    StaffUserFactory,
)
from tests.reports.workflow.support import World


@pytest.fixture
def world(settings):
    settings.HOTLINE_COUNTRY = "NL"
    return World(
        report=ReportFactory(),
        other=ReportFactory(),
        supervisor=StaffUserFactory(username="sam", role="supervisor"),
        analyst=StaffUserFactory(username="ann", role="analyst"),
        analyst2=StaffUserFactory(username="bob", role="analyst"),
        auditor=StaffUserFactory(username="aud", role="auditor"),
        provider=ProviderFactory(name="Share Example GmbH", country="DE"),
        partner=PartnerHotlineFactory(name="German Partner", countries=["DE", "AT"]),
        agency=AgencyFactory(name="National Police"),
    )
