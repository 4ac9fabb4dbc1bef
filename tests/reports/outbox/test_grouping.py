"""Grouping: the notices a provider is sent within HOTLINE_NOTICE_GROUP_WINDOW go in one e-mail,
each with its reference, its URL and its own deadline, and one X-ARF document per URL."""

import re
from datetime import timedelta

import pytest

from hotline.url import defang
from reports import notices
from reports.deadlines import sweep_due
from reports.models import Notice, OutgoingMessage
from tests.reports.factories import ActionableReportFactory, ProviderFactory
from tests.reports.outbox.support import drain, send, text_body, xarf_attachments
from tests.reports.support import T0
from tests.xarf_schemas import assert_valid_xarf

pytestmark = pytest.mark.django_db

WINDOW = timedelta(minutes=5)
SUBJECT = re.compile(r"^\[HL-ref:(?P<ref>[0-9A-F]{12})\] (?P<rest>.*)$")


def utc(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def reports_to(provider, count: int, *, tag: str = "g") -> list:
    return [
        ActionableReportFactory(
            provider=provider,
            submitted_url=f"https://img.share-example.com/{tag}/view.php?id={n}&page=2",
        )
        for n in range(count)
    ]


def test_five_notices_within_the_window_go_in_one_email_each_with_its_own_deadline(
    actor, clock, grouped, mail_server
):
    provider = ProviderFactory(name="Share Hosting BV")
    reports = reports_to(provider, 5)
    kinds = ["voluntary", "legal_order", "voluntary", "legal_order", "voluntary"]
    sent = []
    for n, (report, kind) in enumerate(zip(reports, kinds, strict=True)):
        clock.move_to(T0 + timedelta(seconds=50 * n))  # the last at 3 min 20 s
        sent.append(send(report, actor, kind=kind))

    clock.move_to(T0 + WINDOW - timedelta(seconds=1))
    assert drain() == {}  # the window is still open: nothing formed, nothing sent
    assert not OutgoingMessage.objects.exists()
    assert mail_server.received == []

    clock.move_to(T0 + WINDOW)
    assert drain() == {"sent": 1}

    [received] = mail_server.received
    assert received.rcpt_tos == [provider.abuse_email]
    email = received.message
    message = OutgoingMessage.objects.get()
    handed_off = T0 + WINDOW
    deadlines = {
        "voluntary": handed_off + timedelta(hours=24),
        "legal_order": handed_off + timedelta(hours=12),
    }
    subject = SUBJECT.match(email["Subject"])
    assert subject["ref"] == notices.message_reference(message)
    first_due = utc(deadlines["legal_order"])
    assert subject["rest"] == f"Notice and takedown: 5 URLs, first due {first_due}"
    assert email["Message-ID"] == message.message_id
    body = text_body(email)
    documents = xarf_attachments(email)
    assert sorted(documents) == sorted(f"xarf-{report.reference}.json" for report in reports)
    for notice, report in zip(sent, reports, strict=True):
        notice.refresh_from_db()
        deadline = deadlines[notice.kind]
        # Every clock starts at the one hand-off, each runs for its own policy.
        assert (notice.status, notice.handed_off_at) == (Notice.Status.OPEN, handed_off)
        assert notice.deadline_at == deadline
        url = report.canonical_url
        assert defang(url) != url
        entry = body[body.index(f"Reference: {report.reference}") :].split("\n\n")[0]
        assert f"URL (defanged, for reading): {defang(url)}\n" in entry
        assert f"\n   {url}\n" in entry
        assert f"Remove by: {utc(deadline)} (UTC)" in entry
        document = documents[f"xarf-{report.reference}.json"]
        assert_valid_xarf(document)
        assert document["url"] == url
        assert document["report_id"] == str(notice.uuid)
        assert utc(deadline) in document["description"]
    assert message.xarf == list(documents.values())
    assert len({notice.report_id for notice in sent}) == 5


def test_two_providers_get_an_email_each_with_only_their_urls(actor, clock, grouped, mail_server):
    first, second = ProviderFactory(), ProviderFactory()
    for report in reports_to(first, 3, tag="a") + reports_to(second, 2, tag="b"):
        send(report, actor)
    clock.move_to(T0 + WINDOW)

    assert drain() == {"sent": 2}

    by_address = {r.rcpt_tos[0]: r.message for r in mail_server.received}
    assert sorted(by_address) == sorted([first.abuse_email, second.abuse_email])
    for provider, tag, count in ((first, "a", 3), (second, "b", 2)):
        email = by_address[provider.abuse_email]
        urls = [doc["url"] for doc in xarf_attachments(email).values()]
        assert len(urls) == count and all(f"/{tag}/" in url for url in urls)
    assert len({email["Message-ID"] for email in by_address.values()}) == 2
    assert len({SUBJECT.match(e["Subject"])["ref"] for e in by_address.values()}) == 2


def test_above_the_group_maximum_the_notices_are_split_over_several_emails(
    actor, clock, grouped, mail_server, settings
):
    settings.HOTLINE_NOTICE_GROUP_MAX = 2
    reports = reports_to(ProviderFactory(), 5)
    for report in reports:
        send(report, actor)
    clock.move_to(T0 + WINDOW)

    assert drain() == {"sent": 3}

    sizes = sorted(len(xarf_attachments(email)) for email in mail_server.messages())
    assert sizes == [1, 2, 2]
    urls = [
        document["url"]
        for email in mail_server.messages()
        for document in xarf_attachments(email).values()
    ]
    assert sorted(urls) == sorted(report.canonical_url for report in reports)  # each once


def test_reminders_and_repeats_are_grouped_the_same_way(actor, clock, grouped, mail_server):
    provider = ProviderFactory()
    reports = reports_to(provider, 3)
    for report in reports:
        send(report, actor)
    clock.move_to(T0 + WINDOW)
    assert drain() == {"sent": 1}
    deadline = T0 + WINDOW + timedelta(hours=24)

    clock.move_to(deadline - timedelta(hours=4))  # the reminders are due
    assert sweep_due().notices == {"reminder": 3}
    assert drain() == {}  # they wait for their window too
    clock.move_to(deadline - timedelta(hours=4) + WINDOW)
    assert drain() == {"sent": 1}
    reminder = mail_server.messages()[-1]
    assert SUBJECT.match(reminder["Subject"])["rest"] == (
        f"Reminder: removal of 3 URLs due, first {utc(deadline)}"
    )
    for document in xarf_attachments(reminder).values():
        assert_valid_xarf(document)

    clock.move_to(deadline)
    assert sweep_due().notices["overdue"] == 3
    clock.move_to(deadline + WINDOW)
    assert drain() == {"sent": 1}
    repeat = mail_server.messages()[-1]
    assert SUBJECT.match(repeat["Subject"])["rest"] == (
        f"Repeat notice: 3 URLs overdue since {utc(deadline)}"
    )
    assert sorted(doc["url"] for doc in xarf_attachments(repeat).values()) == sorted(
        report.canonical_url for report in reports
    )
    assert len(mail_server.received) == 3
    assert list(OutgoingMessage.objects.values_list("kind", flat=True)) == [
        "notice",
        "reminder",
        "repeat",
    ]
