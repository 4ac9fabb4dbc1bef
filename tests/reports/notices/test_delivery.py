"""Sending a notice: exactly once."""

import socket
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings

from reports import notices
from reports.deadlines import sweep_due
from reports.models import OutgoingMessage
from tests.reports.factories import ActionableReportFactory
from tests.reports.notices.support import FailingBackend, send
from tests.reports.support import T0
from tests.xarf_schemas import BUNDLED, SHARED, schema_files

pytestmark = pytest.mark.django_db


# --- exactly once -----------------------------------------------------------------------------


def test_delivering_twice_sends_once(actor, clock, mailoutbox):
    send(ActionableReportFactory(), actor)
    message = OutgoingMessage.objects.get()

    assert notices.message_deliver(message.pk) is True
    assert notices.message_deliver(message.pk) is False

    assert len(mailoutbox) == 1


def test_a_second_queue_of_the_same_message_returns_false_and_makes_no_row(actor, clock):
    notice = send(ActionableReportFactory(), actor)

    assert notices.message_queue(notice, OutgoingMessage.Kind.NOTICE) is False
    assert notices.message_queue(notice, OutgoingMessage.Kind.REPEAT, attempt=1) is True
    assert notices.message_queue(notice, OutgoingMessage.Kind.REPEAT, attempt=1) is False

    assert sorted(OutgoingMessage.objects.values_list("kind", "attempt")) == [
        ("notice", 0),
        ("repeat", 1),
    ]


def test_a_failing_mail_server_leaves_the_message_unsent_with_the_error_then_it_goes_out(
    actor, clock, mailoutbox, settings
):
    send(ActionableReportFactory(), actor)
    message = OutgoingMessage.objects.get()
    settings.EMAIL_BACKEND = f"{FailingBackend.__module__}.FailingBackend"

    assert notices.message_deliver(message.pk) is False

    message.refresh_from_db()
    assert message.sent_at is None
    assert message.last_error.startswith("SMTPServerDisconnected: ")
    assert "closed the connection" in message.last_error
    assert mailoutbox == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.move_to(T0 + timedelta(minutes=5))
    assert notices.message_deliver(message.pk) is True

    message.refresh_from_db()
    assert message.sent_at == T0 + timedelta(minutes=5)
    assert message.last_error == ""
    assert len(mailoutbox) == 1
    assert notices.message_deliver(message.pk) is False


def test_redelivery_delivers_a_message_whose_delivery_task_was_lost(actor, clock, mailoutbox):
    send(ActionableReportFactory(), actor)  # the on-commit delivery task never runs here
    assert notices.messages_redeliver() == 0  # within the grace period the task may still come

    clock.move_to(T0 + timedelta(minutes=2))
    assert sweep_due().notices == {}  # not the deadline sweep's business
    assert len(mailoutbox) == 0
    assert notices.messages_redeliver() == 1
    assert notices.messages_redeliver() == 0

    assert len(mailoutbox) == 1
    assert OutgoingMessage.objects.get().sent_at == T0 + timedelta(minutes=2)


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"no reference copy of the schemas at {SHARED}")
def test_the_bundled_xarf_schemas_are_the_reference_copy():
    assert schema_files(BUNDLED) == schema_files(SHARED)


def test_a_mail_server_that_never_answers_fails_the_attempt_within_the_timeout(actor, settings):
    # A real SMTP port that accepts the connection and says nothing: without a timeout the
    # delivery (and the report it locks) would wait for ever.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 1
        send(ActionableReportFactory(), actor)
        message = OutgoingMessage.objects.get()
        started = time.monotonic()
        assert notices.message_deliver(message.pk) is False
        assert time.monotonic() - started < 10
    message.refresh_from_db()
    assert message.sent_at is None and "timed out" in message.last_error


def test_the_service_sets_a_mail_timeout_by_default():
    assert django_settings.EMAIL_TIMEOUT == 20
