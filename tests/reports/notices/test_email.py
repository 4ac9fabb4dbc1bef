"""Sending a notice: the e-mail."""

import json
from datetime import timedelta

import pytest
from django.utils.html import escape

from hotline.url import defang
from reports import notices, outbox, workflow
from reports.models import Channel, OutgoingMessage
from tests.reports.factories import ActionableReportFactory, PartnerHotlineFactory, notice_send
from tests.reports.notices.support import deliver_all, send
from tests.reports.support import T0
from tests.xarf_schemas import assert_valid_xarf

pytestmark = pytest.mark.django_db


# --- the e-mail -------------------------------------------------------------------------------


def test_the_provider_gets_an_email_with_both_urls_the_deadline_and_how_to_answer(
    actor, clock, mailoutbox, settings
):
    settings.HOTLINE_PUBLIC_URL = "https://hotline.example.org"
    report = ActionableReportFactory(
        submitted_url="https://img.share-example.com/gallery/view.php?id=77&page=2"
    )
    send(report, actor)

    assert deliver_all() == 1

    [email] = mailoutbox
    message = OutgoingMessage.objects.get()
    assert email.to == [report.provider.abuse_email]
    assert email.reply_to == [settings.HOTLINE_ORG_EMAIL]
    deadline_utc = "2026-03-03T09:00:00Z"
    assert email.subject == (
        f"[HL-ref:{notices.message_reference(message)}] Notice and takedown "
        f"{report.reference}: remove by {deadline_utc}"
    )
    answer = outbox.answer_url(message)
    assert answer.startswith("https://hotline.example.org/notice/")
    docs = "https://hotline.example.org/api/docs/"
    url = report.canonical_url
    assert "&" in url and defang(url) != url
    text = email.body
    for expected in (url, defang(url), report.reference, deadline_utc, answer, docs):
        assert expected in text
    assert f"Remove by: {deadline_utc} (UTC)" in text
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    for expected in (url, defang(url), report.reference, deadline_utc, answer, docs):
        assert escape(expected) in html
    assert "Remove by (UTC)" in html
    # The URL is text, never a link or an image; the only link is the answer page.
    assert f'href="{escape(url)}' not in html and "<img" not in html
    assert html.count("<a ") == 1
    message.refresh_from_db()
    assert message.sent_at == T0
    assert (message.body_text, message.body_html, message.subject) == (text, html, email.subject)


def test_the_email_carries_the_xarf_document_as_a_json_attachment(actor, clock, mailoutbox):
    report = ActionableReportFactory()
    send(report, actor)
    assert deliver_all() == 1

    [attachment] = mailoutbox[0].attachments
    assert attachment.filename == f"xarf-{report.reference}.json"
    assert attachment.mimetype == "application/json"
    document = json.loads(attachment.content)
    assert_valid_xarf(document)
    assert OutgoingMessage.objects.get().xarf == [document]


ONION = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"


@pytest.mark.parametrize(
    ("submitted_url", "domain", "partner"),
    [
        ("https://img.share-example.com/gallery/77", "img.share-example.com", False),
        ("http://8.8.4.4/uploads/a.jpg", None, False),
        ("http://[2a00:1450:4001:80b::200e]/gallery/1", None, False),
        (f"http://{ONION}/board/thread/9", ONION, False),
        ("https://forum.example.net/t/1234", "forum.example.net", True),
    ],
    ids=["domain", "ipv4", "ipv6", "onion", "partner"],
)
def test_the_xarf_document_validates_and_carries_the_notice_metadata(
    actor, clock, mailoutbox, settings, submitted_url, domain, partner
):
    extra = {}
    if partner:
        extra = {"channel": Channel.PARTNER, "partner": PartnerHotlineFactory()}
    report = ActionableReportFactory(submitted_url=submitted_url, industry_category="B2", **extra)
    notice = send(report, actor)
    deliver_all()

    document = json.loads(mailoutbox[0].attachments[0].content)

    assert_valid_xarf(document)
    assert document["category"] == "content"
    assert document["type"] == "csam"
    assert document["classification"] == "B2"
    assert document["detection_method"] == ("manual_review" if partner else "user_report")
    assert document["url"] == report.canonical_url
    assert document.get("domain") == domain
    assert document["source_identifier"] == report.host
    assert document["report_id"] == str(notice.uuid)
    hotline = {
        "org": settings.HOTLINE_ORG_NAME,
        "contact": settings.HOTLINE_ORG_EMAIL,
        "domain": settings.HOTLINE_ORG_DOMAIN,
    }
    assert document["sender"] == hotline
    assert document["reporter"] == hotline
    assert document["hosting_provider"] == report.provider.name
    assert "evidence" not in document and "evidence_source" not in document


def test_reminders_and_repeats_carry_valid_xarf_and_escalations_none(
    actor, clock, mailoutbox, settings
):
    from tests.reports.factories import AgencyFactory

    agency = AgencyFactory(name="Online Safety Regulator", kind="regulator")
    settings.HOTLINE_ESCALATE_AFTER = "1h"
    settings.HOTLINE_ESCALATION_AGENCY = agency.name
    notice = notice_send(ActionableReportFactory().pk, actor=actor)
    for hours in (20, 24, 25):
        clock.move_to(T0 + timedelta(hours=hours))
        workflow.notice_fire_due(notice.pk)
    assert deliver_all() == 3  # the notice itself went when it was sent

    kinds = {}
    for email in mailoutbox:
        documents = [json.loads(a.content) for a in email.attachments]
        message = OutgoingMessage.objects.get(message_id=email.extra_headers["Message-ID"])
        kinds[message.kind] = (email, documents)
    assert set(kinds) == {"notice", "reminder", "repeat", "escalation"}
    for kind in ("notice", "reminder", "repeat"):
        [document] = kinds[kind][1]
        assert_valid_xarf(document)
    escalation, documents = kinds["escalation"]
    assert documents == []
    assert escalation.to == [agency.contact_email]
