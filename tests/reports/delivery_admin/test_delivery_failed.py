"""A notice no channel could deliver: the "Delivery failed" queue, the report page that says why
and links to the provider, and "Deliver again" once the contact is fixed."""

import re
from urllib.parse import urlencode

import pytest

from hotline.actors import Actor
from reports import outbox, workflow
from reports.models import Notice, OutgoingMessage, ReportStatus
from tests.reports.delivery_admin.support import REFUSAL
from tests.reports.factories import ActionableReportFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/reports/report/"


def post(client, url: str, data: dict | None = None):
    return client.post(url, urlencode(data or {}), content_type="application/x-www-form-urlencoded")


def undeliverable_report(provider, people):
    """A notice sent to ``provider`` whose mail server refuses it: the outbox gives up at once."""
    report = ActionableReportFactory(provider=provider, assigned_to=people["analyst"])
    workflow.report_send_notice(report.pk, actor=Actor.for_user(people["analyst"]))
    outbox.outbox_drain()
    report.refresh_from_db()
    return report


@pytest.fixture
def failed(provider, people, refusing_mail_server):
    return undeliverable_report(provider, people)


def redeliver_url(report) -> str:
    return f"{LIST}{report.pk}/transition/redeliver_notice/"


def test_a_refused_notice_is_undeliverable_and_waits_in_the_delivery_failed_queue(ann, failed):
    notice = failed.notices.get()
    assert (notice.status, notice.handed_off_at) == (Notice.Status.UNDELIVERABLE, None)
    assert failed.status == ReportStatus.TAKEDOWN_REQUESTED

    listing = ann.get(LIST).content.decode()
    queue = ann.get(f"{LIST}?queue=delivery_failed").content.decode()

    assert "Delivery failed (1)" in listing
    assert failed.reference in queue


def test_the_report_page_says_why_links_to_the_provider_and_offers_deliver_again(
    ann, failed, provider
):
    page = ann.get(f"{LIST}{failed.pk}/change/").content.decode()

    [note] = re.findall(r'<p class="errornote delivery-failed">(.*?)</p>', page, re.S)
    assert "no channel could deliver the notice to Example Images BV" in note
    assert "e-mail to abuse@images.example" in note
    assert REFUSAL.split(" ", 1)[0] in note and "mailbox unavailable" in note
    assert f'href="/admin/hotline/provider/{provider.pk}/change/"' in note
    assert f'action="{redeliver_url(failed)}"' in page
    assert 'value="Deliver the notice again"' in page
    assert "failed (gave up), 1 attempt" in page  # the Delivery table


def test_deliver_again_after_the_contact_was_fixed_starts_the_clock(
    ann, failed, provider, mail_accepted, mailoutbox
):
    provider.abuse_email = "desk@images.example"
    provider.save()

    response = post(ann, redeliver_url(failed))
    outbox.outbox_drain()

    assert response.status_code == 302
    notice = failed.notices.get()
    assert notice.status == Notice.Status.OPEN and notice.handed_off_at is not None
    assert notice.undeliverable_at is not None  # the contact failure stays on the record
    assert [m.to for m in mailoutbox] == [["desk@images.example"]]
    page = ann.get(f"{LIST}{failed.pk}/change/").content.decode()
    assert f"{failed.reference}: Deliver the notice again: done." in page
    assert 'value="Deliver the notice again"' not in page
    assert "delivery-failed" not in page
    assert "Delivery failed (0)" in ann.get(LIST).content.decode()


def test_deliver_again_is_not_offered_while_the_notice_was_delivered(
    ann, provider, people, mail_accepted
):
    report = undeliverable_report(provider, people)
    assert report.notices.get().status == Notice.Status.OPEN

    page = ann.get(f"{LIST}{report.pk}/change/").content.decode()

    assert 'value="Deliver the notice again"' not in page
    assert "sent, 1 attempt" in page
    refused = post(ann, redeliver_url(report))
    assert refused.status_code == 302
    messages = [m.message for m in refused.wsgi_request._messages]
    assert any("has no undeliverable notice" in m for m in messages)


def test_an_auditor_sees_the_failure_but_cannot_deliver_again(failed, client):
    client.force_login(StaffUserFactory(username="aud", role="auditor"))

    page = client.get(f"{LIST}{failed.pk}/change/").content.decode()

    assert "delivery-failed" in page
    assert 'value="Deliver the notice again"' not in page
    assert post(client, redeliver_url(failed)).status_code == 403
    assert failed.notices.get().status == Notice.Status.UNDELIVERABLE


def test_the_failed_message_is_in_the_outbox_with_its_error(ann, failed):
    message = OutgoingMessage.objects.get(kind="notice")

    page = ann.get("/admin/reports/outgoingmessage/?delivery=failed").content.decode()

    assert message.status == OutgoingMessage.Status.FAILED
    assert f"/admin/reports/outgoingmessage/{message.pk}/change/" in page
    assert "mailbox unavailable" in page
