"""Sending a notice: exactly once, through the outbox."""

import socket
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings

from reports import outbox
from reports.deadlines import sweep_due
from reports.models import MessageItem, Notice, OutgoingMessage
from tests.reports.factories import ActionableReportFactory
from tests.reports.notices.support import deliver_all, send
from tests.reports.support import T0
from tests.xarf_schemas import BUNDLED, SHARED, schema_files

pytestmark = pytest.mark.django_db


# --- exactly once -----------------------------------------------------------------------------


def test_draining_twice_sends_once(actor, clock, mailoutbox):
    send(ActionableReportFactory(), actor)

    assert deliver_all() == 1
    assert deliver_all() == 0

    assert len(mailoutbox) == 1
    message = OutgoingMessage.objects.get()
    assert (message.status, message.attempts) == ("sent", 1)


def test_queueing_the_same_thing_twice_writes_one_item(actor, clock):
    notice = send(ActionableReportFactory(), actor)

    assert outbox.items_queue(notice, OutgoingMessage.Kind.NOTICE) == 0
    assert outbox.items_queue(notice, OutgoingMessage.Kind.REPEAT, attempt=1) == 1
    assert outbox.items_queue(notice, OutgoingMessage.Kind.REPEAT, attempt=1) == 0

    assert sorted(MessageItem.objects.values_list("kind", "attempt")) == [
        ("notice", 0),
        ("repeat", 1),
    ]


def test_a_failing_mail_server_leaves_the_message_waiting_with_the_error_then_it_goes_out(
    actor, clock, mail_server
):
    mail_server.mode = "tempfail"
    notice = send(ActionableReportFactory(), actor)

    assert outbox.outbox_drain().outcomes == {"retry": 1}

    message = OutgoingMessage.objects.get()
    assert (message.status, message.attempts, message.sent_at) == ("pending", 1, None)
    assert "451" in message.last_error and "try again later" in message.last_error
    assert message.next_attempt_at > T0
    assert not message.possible_duplicate  # refused before the message went: not delivered
    assert mail_server.received == []
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DELIVERING

    mail_server.mode = "accept"
    assert deliver_all() == 0  # not due again yet
    retried_at = message.next_attempt_at
    clock.move_to(retried_at)
    assert deliver_all() == 1

    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at) == ("sent", 2, retried_at)
    assert len(mail_server.received) == 1
    assert mail_server.received[0].message["Message-ID"] == message.message_id
    assert deliver_all() == 0
    assert len(mail_server.received) == 1


def test_the_drain_delivers_what_its_kick_missed_and_the_deadline_sweep_never_does(
    actor, clock, mailoutbox
):
    send(ActionableReportFactory(), actor)  # the on-commit kick never runs here

    clock.move_to(T0 + timedelta(minutes=2))
    assert sweep_due().notices == {}  # not the deadline sweep's business
    assert mailoutbox == []
    assert deliver_all() == 1  # the beat's drain
    assert deliver_all() == 0

    assert len(mailoutbox) == 1
    assert OutgoingMessage.objects.get().sent_at == T0 + timedelta(minutes=2)


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"no reference copy of the schemas at {SHARED}")
def test_the_bundled_xarf_schemas_are_the_reference_copy():
    assert schema_files(BUNDLED) == schema_files(SHARED)


def test_a_mail_server_that_never_answers_fails_the_attempt_within_the_timeout(actor, settings):
    # A real SMTP port that accepts the connection and says nothing: without a timeout the
    # delivery queue would wait for ever.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 1
        send(ActionableReportFactory(), actor)
        started = time.monotonic()
        assert outbox.outbox_drain().outcomes == {"retry": 1}
        assert time.monotonic() - started < 10
    message = OutgoingMessage.objects.get()
    assert (message.status, message.sent_at) == ("pending", None)
    assert "timed out" in message.last_error
    assert not message.possible_duplicate  # no greeting, so nothing was handed over


def test_the_service_sets_a_mail_timeout_by_default():
    assert django_settings.EMAIL_TIMEOUT == 20
