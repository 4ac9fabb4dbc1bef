"""A failing mail server: the outbox tries again later and later, never sends twice, gives up
after HOTLINE_DELIVERY_GIVE_UP (at once on a permanent refusal), and the notice then shows as
undeliverable until an analyst delivers it again."""

from datetime import timedelta

import pytest

from hotline.errors import DomainError
from reports import outbox, workflow
from reports.models import Event, MessageItem, Notice, OutgoingMessage
from tests.reports.factories import ActionableReportFactory, ProviderFactory
from tests.reports.outbox.support import drain, send
from tests.reports.support import T0

pytestmark = pytest.mark.django_db


def attempt_until_given_up(clock) -> list[timedelta]:
    """Run the delivery queue at each retry time until the message is no longer waiting; the
    waits it chose."""
    waits = []
    assert drain() == {"retry": 1}  # the first attempt, at once
    message = OutgoingMessage.objects.get()
    waits.append(message.next_attempt_at - T0)
    while message.status == "pending":
        clock.move_to(message.next_attempt_at)
        attempted_at = message.next_attempt_at
        assert drain() in ({"retry": 1}, {"failed": 1})
        message.refresh_from_db()
        if message.status == "pending":
            waits.append(message.next_attempt_at - attempted_at)
        assert len(waits) < 100
    return waits


def test_retries_back_off_from_30_seconds_to_6_hours_jittered_then_the_notice_is_undeliverable(
    actor, clock, mail_server
):
    mail_server.mode = "tempfail"
    notice = send(ActionableReportFactory(), actor)

    waits = attempt_until_given_up(clock)

    base = [min(timedelta(seconds=30) * 2**n, timedelta(hours=6)) for n in range(len(waits))]
    for wait, expected in zip(waits, base, strict=True):
        assert expected * 0.8 <= wait <= expected * 1.2
    assert waits[0] < timedelta(seconds=37) and max(waits) <= timedelta(hours=7, minutes=12)
    assert len(set(waits)) == len(waits)  # jittered: no two retries to the second alike
    message = OutgoingMessage.objects.get()
    assert message.status == "failed"
    assert message.attempts == len(waits) + 1
    assert message.failed_at >= T0 + timedelta(hours=72)
    assert message.failed_at - T0 < timedelta(hours=72) + timedelta(hours=7, minutes=12)
    assert "451" in message.last_error
    assert mail_server.received == []  # every attempt was refused before the message went
    notice.refresh_from_db()
    assert notice.status == Notice.Status.UNDELIVERABLE
    assert notice.undeliverable_at == message.failed_at
    assert (notice.handed_off_at, notice.deadline_at) == (None, None)
    event = Event.objects.get(report=notice.report, verb="undeliverable_notice")
    assert event.data["notice"] == notice.pk and "451" in event.data["error"]
    assert drain() == {}  # given up: never tried again on its own


def test_a_message_accepted_after_retries_is_sent_once(actor, clock, mail_server):
    mail_server.mode = "tempfail"
    send(ActionableReportFactory(), actor)
    assert drain() == {"retry": 1}
    for _ in range(3):
        message = OutgoingMessage.objects.get()
        clock.move_to(message.next_attempt_at)
        assert drain() == {"retry": 1}
    mail_server.mode = "accept"
    message.refresh_from_db()
    clock.move_to(message.next_attempt_at)
    assert drain() == {"sent": 1}
    clock.move_to(T0 + timedelta(days=4))
    assert drain() == {}

    assert len(mail_server.received) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.possible_duplicate) == ("sent", 5, False)


def test_the_give_up_period_is_a_setting(actor, clock, mail_server, settings):
    settings.HOTLINE_DELIVERY_GIVE_UP = "10m"
    mail_server.mode = "tempfail"
    notice = send(ActionableReportFactory(), actor)
    attempt_until_given_up(clock)
    message = OutgoingMessage.objects.get()
    assert T0 + timedelta(minutes=10) <= message.failed_at < T0 + timedelta(minutes=20)
    notice.refresh_from_db()
    assert notice.status == Notice.Status.UNDELIVERABLE


def test_redelivery_after_the_address_was_fixed_starts_the_clock_at_the_later_hand_off(
    actor, clock, mail_server
):
    provider = ProviderFactory(abuse_email="abuse@typo.example")
    mail_server.refuse = {"abuse@typo.example"}
    notice = send(ActionableReportFactory(provider=provider), actor)
    assert drain() == {"failed": 1}  # 550: no use trying again
    notice.refresh_from_db()
    assert notice.status == Notice.Status.UNDELIVERABLE

    clock.move_to(T0 + timedelta(hours=3))
    provider.abuse_email = "abuse@hosting.example"
    provider.save()
    workflow.report_redeliver_notice(notice.report_id, actor=actor)
    clock.move_to(T0 + timedelta(hours=3, minutes=1))
    assert drain() == {"sent": 1}

    [received] = mail_server.received
    assert received.rcpt_tos == ["abuse@hosting.example"]
    notice.refresh_from_db()
    handed_off = T0 + timedelta(hours=3, minutes=1)
    assert (notice.status, notice.handed_off_at) == (Notice.Status.OPEN, handed_off)
    assert notice.deadline_at == handed_off + timedelta(hours=24)
    assert notice.undeliverable_at == T0  # kept: the record of the contact failure
    assert "2026-03-03T12:01:00Z" in received.message["Subject"]
    assert list(MessageItem.objects.values_list("attempt", "target")) == [
        (0, "abuse@typo.example"),
        (1, "abuse@hosting.example"),
    ]
    verbs = list(Event.objects.filter(report=notice.report).values_list("verb", flat=True))
    assert verbs == ["send_notice", "undeliverable_notice", "redeliver_notice", "hand_off_notice"]


def test_a_permanent_refusal_gives_up_at_once(actor, clock, mail_server):
    provider = ProviderFactory(abuse_email="nobody@hosting.example")
    mail_server.refuse = {"nobody@hosting.example"}
    notice = send(ActionableReportFactory(provider=provider), actor)

    assert drain() == {"failed": 1}

    message = OutgoingMessage.objects.get()
    assert (message.status, message.attempts, message.failed_at) == ("failed", 1, T0)
    assert "550" in message.last_error and "user unknown" in message.last_error
    notice.refresh_from_db()
    assert (notice.status, notice.undeliverable_at) == (Notice.Status.UNDELIVERABLE, T0)
    assert mail_server.received == []
    clock.move_to(T0 + timedelta(days=1))
    assert drain() == {}


def test_redelivering_needs_an_undeliverable_notice(actor, clock, mailoutbox):
    notice = send(ActionableReportFactory(), actor)
    with pytest.raises(DomainError, match="no undeliverable notice"):
        workflow.report_redeliver_notice(notice.report_id, actor=actor)
    assert outbox.outbox_drain().outcomes == {"sent": 1}


def test_a_notice_that_cannot_be_rendered_waits_with_the_reason_and_the_others_go(
    actor, clock, mail_server
):
    broken = send(ActionableReportFactory(industry_category=""), actor)
    fine = send(ActionableReportFactory(), actor)

    assert drain() == {"retry": 1, "sent": 1}

    [received] = mail_server.received
    assert received.rcpt_tos == [fine.provider.abuse_email]
    message = OutgoingMessage.objects.get(provider=broken.provider)
    assert (message.status, message.possible_duplicate) == ("pending", False)
    assert "X-ARF document is invalid" in message.last_error
    broken.refresh_from_db()
    assert broken.status == Notice.Status.DELIVERING
