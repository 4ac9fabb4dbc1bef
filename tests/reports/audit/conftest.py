"""Fixtures shared by the tests of the audit trail."""

import pytest
from django.contrib.auth import get_user_model

from hotline.actors import Actor
from reports import workflow
from reports.audit import audit_seal
from reports.models import Event
from tests.reports.audit.support import submit
from tests.reports.factories import AgencyFactory


@pytest.fixture
def sam(db):
    return Actor.for_user(get_user_model().objects.create_superuser("sam", "sam@hotline.example"))


@pytest.fixture
def history(sam):
    """Ten events from intake (with a duplicate) and the workflow, sealed."""
    agency = AgencyFactory(name="National Police")
    first = submit("https://images.example.com/a/1")
    submit("https://images.example.com/a/1")  # a duplicate of the first
    second = submit("https://files.example.org/b/2")
    workflow.report_claim(first.pk, actor=sam)
    workflow.report_assess_illegal(
        first.pk,
        actor=sam,
        legal_status="baseline",
        industry_category="A2",
        content_type="image",
        site_type="image_host",
        commerciality="non_commercial",
    )
    workflow.report_escalate(
        first.pk, actor=sam, agency_id=agency.pk, kind="urgent", channel="phone"
    )
    workflow.report_set_hosting(first.pk, actor=sam, provider_id=None, country="NL")
    workflow.report_claim(second.pk, actor=sam)
    workflow.report_release(second.pk, actor=sam)
    workflow.report_claim(second.pk, actor=sam)
    assert audit_seal() == 10
    return list(Event.objects.order_by("seal__seq"))
