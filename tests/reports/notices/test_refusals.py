"""Sending a notice: refusals."""

import pytest

from hotline.actors import Actor
from hotline.errors import DomainError
from reports import workflow
from reports.models import Notice, ReportStatus
from tests.reports.factories import ActionableReportFactory, ProviderFactory, StaffUserFactory
from tests.reports.notices.support import counts, send

pytestmark = pytest.mark.django_db


# --- refusals ---------------------------------------------------------------------------------


def test_sending_needs_a_hosting_provider(actor):
    report = ActionableReportFactory(provider=None)
    before = counts()
    with pytest.raises(DomainError, match="Set the hosting provider first"):
        workflow.report_send_notice(report.pk, actor=actor)
    assert counts() == before
    report.refresh_from_db()
    assert report.status == ReportStatus.ACTIONABLE


def test_sending_to_an_inactive_provider_is_refused(actor):
    report = ActionableReportFactory(provider=ProviderFactory(active=False))
    before = counts()
    with pytest.raises(DomainError, match="active"):
        workflow.report_send_notice(report.pk, actor=actor)
    assert counts() == before


def test_a_second_send_while_the_notice_runs_is_refused_and_writes_nothing(actor, clock):
    report = ActionableReportFactory()
    send(report, actor)
    before = counts()
    with pytest.raises(DomainError, match="takedown requested"):
        workflow.report_send_notice(report.pk, actor=actor)
    assert counts() == before
    assert Notice.objects.get().status == Notice.Status.DELIVERING


def test_a_second_send_while_a_notice_is_scheduled_is_refused_and_writes_nothing(
    actor, clock, settings
):
    settings.HOTLINE_LEA_WINDOW = "60m"
    report = ActionableReportFactory()
    supervisor = Actor.for_user(StaffUserFactory(username="sam", role="supervisor"))
    from tests.reports.factories import AgencyFactory

    workflow.report_escalate(
        report.pk,
        actor=supervisor,
        agency_id=AgencyFactory().pk,
        kind="notification",
        channel="email",
    )
    scheduled = send(report, actor)
    assert scheduled.status == Notice.Status.SCHEDULED
    before = counts()
    with pytest.raises(
        DomainError, match=f"The notice to {report.provider.name} is already scheduled"
    ):
        workflow.report_send_notice(report.pk, actor=actor)
    assert counts() == before


def test_an_unknown_notice_kind_is_refused(actor):
    report = ActionableReportFactory()
    with pytest.raises(DomainError, match="voluntary, legal_order"):
        workflow.report_send_notice(report.pk, actor=actor, kind="polite_request")
    assert counts() == (0, 0, 0, 0)
