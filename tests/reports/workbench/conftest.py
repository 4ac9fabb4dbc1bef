"""Fixtures of the workbench's tests: the roles, a provider the demo host belongs to, and a
report with a notice the provider has disputed."""

import pytest

from hotline.actors import Actor
from reports import workflow
from tests.reports.factories import (
    ActionableReportFactory,
    AgencyFactory,
    ProviderFactory,
    StaffUserFactory,
    notice_send,
)
from tests.reports.triage_admin.support import client_for


@pytest.fixture
def people():
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
def bob(people):
    return client_for(people["bob"])


@pytest.fixture
def sam(people):
    return client_for(people["supervisor"])


@pytest.fixture
def provider():
    provider = ProviderFactory(name="Example Images BV", country="NL", language="en")
    provider.domains.create(suffix="example.com")
    return provider


@pytest.fixture
def agency():
    return AgencyFactory(name="National Police")


@pytest.fixture
def disputed(people, provider):
    """A report whose notice reached the provider, which disputes it."""
    report = ActionableReportFactory(provider=provider, hosting_country="NL")
    notice = notice_send(report.pk, actor=Actor.for_user(people["analyst"]))
    workflow.notice_dispute(
        notice.pk, actor=Actor.provider_link(provider), reason="This is an adult model, aged 23."
    )
    report.refresh_from_db()
    return report
