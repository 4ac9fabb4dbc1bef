"""Sending a notice: the hand-off: the provider's clock starts when its mail server accepts the
notice.
"""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reports import notices, workflow
from reports.deadlines import sweep_due
from reports.models import Event, Notice, OutgoingMessage, ReportStatus
from tests.reports.factories import ActionableReportFactory
from tests.reports.notices.support import FailingBackend, deliver_all, send
from tests.reports.support import T0
from tests.xarf_schemas import assert_valid_xarf

pytestmark = pytest.mark.django_db


# --- the hand-off: the provider's clock starts when its mail server accepts the notice --------


OUTAGE = timedelta(seconds=131)


def test_a_notice_that_leaves_late_runs_from_its_hand_off_and_says_so(
    actor, clock, mailoutbox, settings
):
    settings.EMAIL_BACKEND = f"{FailingBackend.__module__}.FailingBackend"
    FailingBackend.message_ids = []
    notice = send(ActionableReportFactory(), actor)
    assert (notice.status, notice.sent_at) == (Notice.Status.DELIVERING, T0)
    assert (notice.handed_off_at, notice.deadline_at, notice.due_at) == (None, None, None)
    message = OutgoingMessage.objects.get()
    assert notices.message_deliver(message.pk) is False  # the mail server is down
    notice.refresh_from_db()
    assert (notice.status, notice.deadline_at) == (Notice.Status.DELIVERING, None)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.move_to(T0 + OUTAGE)
    assert notices.message_deliver(message.pk) is True

    handed_off = T0 + OUTAGE
    deadline = handed_off + timedelta(hours=24)
    notice.refresh_from_db()
    assert notice.status == Notice.Status.OPEN
    assert notice.sent_at == T0  # when the analyst sent it
    assert notice.handed_off_at == handed_off
    assert notice.deadline_at == deadline
    assert notice.policy == "default: 24h"
    assert notice.due_at == deadline - timedelta(hours=4)  # the reminder
    [email] = mailoutbox
    stated = "2026-03-03T09:02:11Z"
    assert stated in email.subject
    assert f"Remove by:      {stated} (UTC)" in email.body
    assert "Notice sent:    2026-03-02T09:02:11Z" in email.body
    document = json.loads(email.attachments[0].content)
    assert_valid_xarf(document)
    assert stated in document["description"]
    # The retry was rendered anew, kept the first attempt's Message-ID, and is stored as sent.
    message.refresh_from_db()
    assert FailingBackend.message_ids == [message.message_id]
    assert email.message()["Message-ID"] == message.message_id
    assert (message.subject, message.body_text) == (email.subject, email.body)
    assert message.xarf == document
    assert message.sent_at == handed_off
    event = Event.objects.get(report=notice.report, verb="hand_off_notice")
    assert event.at == handed_off
    assert event.data["deadline_at"] == deadline.isoformat()
    assert event.actor_kind == "system"
    sent_event = Event.objects.get(report=notice.report, verb="send_notice")
    assert "deadline_at" not in sent_event.data  # no deadline before the hand-off


def test_a_delivering_notice_gets_no_reminder_repeat_or_overdue_however_long_it_waits(
    actor, clock, settings
):
    settings.EMAIL_BACKEND = f"{FailingBackend.__module__}.FailingBackend"
    notice = send(ActionableReportFactory(), actor)
    for hours in (20, 24, 49, 100):
        clock.move_to(T0 + timedelta(hours=hours))
        sweep_due()
        assert notices.messages_redeliver() == 0  # tried again, and the mail server is down
        assert workflow.notice_fire_due(notice.pk) == []
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DELIVERING
    assert (notice.reminder_sent_at, notice.repeats_sent, notice.due_at) == (None, 0, None)
    assert notice.report.status == ReportStatus.TAKEDOWN_REQUESTED
    assert list(OutgoingMessage.objects.values_list("kind", "sent_at")) == [("notice", None)]
    assert "SMTPServerDisconnected" in OutgoingMessage.objects.get().last_error


def test_a_notice_withdrawn_before_its_hand_off_is_never_sent(actor, clock, mailoutbox, settings):
    settings.EMAIL_BACKEND = f"{FailingBackend.__module__}.FailingBackend"
    notice = send(ActionableReportFactory(), actor)
    workflow.report_withdraw_notice(notice.report_id, actor=actor, reason="Wrong provider.")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.move_to(T0 + timedelta(minutes=5))

    assert notices.messages_redeliver() == 0
    assert deliver_all() == 0

    assert mailoutbox == []
    notice.refresh_from_db()
    assert (notice.status, notice.handed_off_at) == (Notice.Status.WITHDRAWN, None)
    assert not OutgoingMessage.objects.exists()  # nothing was said to the provider


def test_removal_verified_before_the_hand_off_withdraws_the_notice_unsent(
    actor, clock, mailoutbox, settings
):
    settings.EMAIL_BACKEND = f"{FailingBackend.__module__}.FailingBackend"
    notice = send(ActionableReportFactory(), actor)
    clock.move_to(T0 + timedelta(minutes=1))
    workflow.report_confirm_removal(notice.report_id, actor=actor)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.move_to(T0 + timedelta(minutes=5))
    assert notices.messages_redeliver() == 0

    assert mailoutbox == []
    notice.refresh_from_db()
    assert notice.status == Notice.Status.WITHDRAWN
    assert notice.report.status == ReportStatus.REMOVED
    event = Event.objects.get(verb="confirm_removal")
    assert event.data["withdrawn"]["notice"] == notice.pk


def test_reminders_and_repeats_state_the_notice_deadline_from_its_first_hand_off(
    actor, clock, mailoutbox, settings
):
    settings.EMAIL_BACKEND = f"{FailingBackend.__module__}.FailingBackend"
    notice = send(ActionableReportFactory(), actor)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.move_to(T0 + OUTAGE)
    assert deliver_all() == 1
    deadline = T0 + OUTAGE + timedelta(hours=24)
    clock.move_to(deadline)
    assert workflow.notice_fire_due(notice.pk) == ["overdue"]
    # The repeat's own delivery waits for the mail server too: its hand-off is when it goes.
    clock.move_to(deadline + timedelta(minutes=7))
    assert deliver_all() == 1

    repeat = OutgoingMessage.objects.get(kind="repeat")
    assert repeat.sent_at == deadline + timedelta(minutes=7)
    assert "2026-03-03T09:02:11Z" in mailoutbox[-1].subject
    notice.refresh_from_db()
    assert (notice.handed_off_at, notice.deadline_at) == (T0 + OUTAGE, deadline)


@pytest.mark.django_db(transaction=True)
def test_the_hand_off_migration_keeps_sent_deadlines_and_holds_back_unsent_notices():
    # The directory as it was then too: the state's Provider must match its table.
    directory = ("hotline", "0005_directory_names")
    before = [("reports", "0007_queue_partial_indexes"), directory]
    after = [("reports", "0009_notice_handoff"), directory]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    provider = old.get_model("hotline", "Provider").objects.create(
        name="Old Hosting", country="DE", abuse_email="abuse@old.example"
    )

    def notice(name: str, status: str, *, mail_sent: bool) -> int:
        report = old.get_model("reports", "Report").objects.create(
            reference=f"HL-{name}", host=f"{name}.example", channel="api", url_sha256=name * 16,
            submitted_url=f"https://{name}.example/", canonical_url=f"https://{name}.example/",
            status="removed" if status == "removed" else "takedown_requested",
        )  # fmt: skip
        row = old.get_model("reports", "Notice").objects.create(
            report=report, provider=provider, status=status, created_by_label="ann", sent_at=T0,
            deadline_at=T0 + timedelta(hours=24), policy="default: 24h", due_at=T0,
        )  # fmt: skip
        old.get_model("reports", "OutgoingMessage").objects.create(
            notice=row, kind="notice", to_address="abuse@old.example", subject="s", body_text="b",
            sent_at=T0 + timedelta(seconds=5) if mail_sent else None,
        )  # fmt: skip
        return row.pk

    told = notice("aaaa", "open", mail_sent=True)
    waiting = notice("bbbb", "open", mail_sent=False)
    ended = notice("cccc", "removed", mail_sent=False)

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    rows = new.get_model("reports", "Notice").objects.in_bulk()
    assert (rows[told].status, rows[told].handed_off_at) == ("open", T0)
    assert (rows[told].deadline_at, rows[told].due_at) == (T0 + timedelta(hours=24), T0)
    assert (rows[waiting].status, rows[waiting].handed_off_at) == ("delivering", None)
    assert (rows[waiting].deadline_at, rows[waiting].due_at) == (None, None)
    messages = new.get_model("reports", "OutgoingMessage").objects
    assert not messages.filter(notice_id=ended).exists()  # never to be sent now
    assert messages.get(notice_id=waiting).message_id.startswith("<")

    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
