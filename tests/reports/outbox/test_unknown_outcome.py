"""When the outcome of an attempt is unknown (the server took the whole message and then hung up
or went silent; the worker died in the middle), the retry is marked as a possible duplicate and
carries the same Message-ID, so the provider's abuse desk can drop the second copy."""

import re
from datetime import timedelta

import pytest

from reports import outbox, workflow
from reports.models import Notice, OutgoingMessage
from tests.reports.factories import ActionableReportFactory
from tests.reports.outbox.support import drain, send
from tests.reports.support import T0

pytestmark = pytest.mark.django_db

REF = re.compile(r"\[HL-ref:[0-9A-F]{12}\]")


@pytest.mark.parametrize("mode", ["drop", "stall"])
def test_a_server_that_took_the_message_and_never_answered_gets_it_again_marked(
    actor, clock, mail_server, settings, mode
):
    settings.EMAIL_TIMEOUT = 1  # the stalled server: the client gives up after a second
    mail_server.mode = mode
    notice = send(ActionableReportFactory(), actor)

    assert drain() == {"retry": 1}

    message = OutgoingMessage.objects.get()
    assert (message.status, message.possible_duplicate) == ("pending", True)
    assert "connection to the mail server failed" in message.last_error
    assert len(mail_server.received) == 1  # it did arrive: the answer never came back
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DELIVERING  # no acceptance, no clock

    mail_server.mode = "accept"
    clock.move_to(message.next_attempt_at)
    assert drain() == {"sent": 1}

    first, retry = mail_server.messages()
    assert first["Message-ID"] == retry["Message-ID"] == message.message_id
    assert REF.search(first["Subject"])[0] == REF.search(retry["Subject"])[0]
    message.refresh_from_db()
    assert (message.status, message.possible_duplicate, message.attempts) == ("sent", True, 2)
    notice.refresh_from_db()
    assert notice.handed_off_at == message.sent_at


def test_an_attempt_whose_worker_died_is_retried_after_the_lease_marked_as_a_duplicate(
    actor, clock, mail_server
):
    notice = send(ActionableReportFactory(), actor)
    assert outbox.items_group() == 1
    message = OutgoingMessage.objects.get()
    formed_id = message.message_id
    assert (
        workflow.message_attempt_claim(message.pk, lease=outbox.ATTEMPT_LEASE) is not None
    )  # and the worker stops here
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sending", 1)

    clock.move_to(T0 + outbox.ATTEMPT_LEASE - timedelta(seconds=1))
    assert drain() == {}  # it may still be talking to the server
    assert mail_server.received == []

    clock.move_to(T0 + outbox.ATTEMPT_LEASE)
    assert drain() == {"sent": 1}

    [email] = mail_server.messages()
    assert email["Message-ID"] == formed_id
    message.refresh_from_db()
    assert (message.status, message.attempts, message.possible_duplicate) == ("sent", 2, True)
    assert "lost" in message.last_error
    notice.refresh_from_db()
    assert notice.handed_off_at == T0 + outbox.ATTEMPT_LEASE
    assert drain() == {}
    assert len(mail_server.received) == 1
