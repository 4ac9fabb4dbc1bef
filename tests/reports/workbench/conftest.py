"""Fixtures of the workbench's tests: the roles, a provider the demo host belongs to, and a
report with a notice the provider has disputed."""

import pytest

from hotline.actors import Actor
from reports import workflow
from tests.reports.factories import ActionableReportFactory, AgencyFactory, notice_send
from tests.reports.triage_admin import conftest as triage_admin
from tests.reports.triage_admin.support import client_for

# The roles ("bob" a second analyst), their clients and the provider of the demo host, as the
# triage admin's tests have them.
people = triage_admin.people
ann = triage_admin.ann
sam = triage_admin.sam
provider = triage_admin.provider


@pytest.fixture
def bob(people):
    return client_for(people["bob"])


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
