"""Sending a notice: the hand-off: the provider's clock starts when its mail server accepts the
notice.
"""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reports import outbox, workflow
from reports.deadlines import sweep_due
from reports.models import Event, MessageItem, Notice, OutgoingMessage, ReportStatus
from tests.reports.factories import ActionableReportFactory
from tests.reports.notices.support import deliver_all, send
from tests.reports.support import T0
from tests.xarf_schemas import assert_valid_xarf

pytestmark = pytest.mark.django_db


# --- the hand-off: the provider's clock starts when its mail server accepts the notice --------


OUTAGE = timedelta(seconds=131)


def test_a_notice_that_leaves_late_runs_from_its_hand_off_and_says_so(actor, clock, mail_server):
    mail_server.mode = "tempfail"
    notice = send(ActionableReportFactory(), actor)
    assert (notice.status, notice.sent_at) == (Notice.Status.DELIVERING, T0)
    assert (notice.handed_off_at, notice.deadline_at, notice.due_at) == (None, None, None)
    assert deliver_all() == 0  # the mail server answers "try again later"
    message = OutgoingMessage.objects.get()
    first_message_id = message.message_id
    notice.refresh_from_db()
    assert (notice.status, notice.deadline_at) == (Notice.Status.DELIVERING, None)

    mail_server.mode = "accept"
    clock.move_to(T0 + OUTAGE)
    assert deliver_all() == 1

    handed_off = T0 + OUTAGE
    deadline = handed_off + timedelta(hours=24)
    notice.refresh_from_db()
    assert notice.status == Notice.Status.OPEN
    assert notice.sent_at == T0  # when the analyst sent it
    assert notice.handed_off_at == handed_off
    assert notice.deadline_at == deadline
    assert notice.policy == "default: 24h"
    assert notice.due_at == deadline - timedelta(hours=4)  # the reminder
    [email] = mail_server.messages()
    stated = "2026-03-03T09:02:11Z"
    assert stated in email["Subject"]
    body = email.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"Remove by: {stated} (UTC)" in body
    [attachment] = [part for part in email.iter_attachments()]
    document = json.loads(attachment.get_content())
    assert_valid_xarf(document)
    assert stated in document["description"]
    # The retry was rendered anew, kept the first attempt's Message-ID, and is stored as sent.
    message.refresh_from_db()
    assert email["Message-ID"] == message.message_id == first_message_id
    assert (message.subject, message.body_text) == (email["Subject"], body)
    assert message.xarf == [document]
    assert (message.sent_at, message.attempts, message.status) == (handed_off, 2, "sent")
    event = Event.objects.get(report=notice.report, verb="hand_off_notice")
    assert event.at == handed_off
    assert event.data["deadline_at"] == deadline.isoformat()
    assert event.actor_kind == "system"
    sent_event = Event.objects.get(report=notice.report, verb="send_notice")
    assert "deadline_at" not in sent_event.data  # no deadline before the hand-off


def test_a_delivering_notice_gets_no_reminder_repeat_or_overdue_however_long_it_waits(
    actor, clock, mail_server, settings
):
    settings.HOTLINE_DELIVERY_GIVE_UP = "1000h"  # giving up is tested in tests/reports/outbox
    mail_server.mode = "tempfail"
    notice = send(ActionableReportFactory(), actor)
    for hours in (20, 24, 49, 100):
        clock.move_to(T0 + timedelta(hours=hours))
        sweep_due()
        assert deliver_all() == 0  # tried again, and the mail server still refuses
        assert workflow.notice_fire_due(notice.pk) == []
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DELIVERING
    assert (notice.reminder_sent_at, notice.repeats_sent, notice.due_at) == (None, 0, None)
    assert notice.report.status == ReportStatus.TAKEDOWN_REQUESTED
    assert list(MessageItem.objects.values_list("kind", flat=True)) == ["notice"]
    message = OutgoingMessage.objects.get()
    assert (message.kind, message.sent_at, message.status) == ("notice", None, "pending")
    assert "451" in message.last_error
    assert mail_server.received == []


def test_a_notice_withdrawn_before_its_hand_off_is_never_sent(actor, clock, mail_server):
    mail_server.mode = "tempfail"
    notice = send(ActionableReportFactory(), actor)
    assert deliver_all() == 0  # its e-mail is formed and waits for the mail server
    workflow.report_withdraw_notice(notice.report_id, actor=actor, reason="Wrong provider.")
    mail_server.mode = "accept"
    clock.move_to(T0 + timedelta(hours=1))

    assert outbox.outbox_drain().outcomes == {"cancelled": 1}
    assert deliver_all() == 0

    assert mail_server.received == []  # nothing was said to the provider
    notice.refresh_from_db()
    assert (notice.status, notice.handed_off_at) == (Notice.Status.WITHDRAWN, None)
    message = OutgoingMessage.objects.get()
    assert (message.status, message.sent_at) == ("cancelled", None)
    assert MessageItem.objects.get().dropped == "the notice is withdrawn"


def test_a_notice_withdrawn_before_its_group_formed_is_never_sent(actor, clock, mailoutbox):
    notice = send(ActionableReportFactory(), actor)
    workflow.report_withdraw_notice(notice.report_id, actor=actor, reason="Wrong provider.")

    assert deliver_all() == 0

    assert mailoutbox == []
    assert not OutgoingMessage.objects.exists()
    assert MessageItem.objects.get().dropped == "the notice is withdrawn"


def test_removal_verified_before_the_hand_off_withdraws_the_notice_unsent(
    actor, clock, mail_server
):
    mail_server.mode = "tempfail"
    notice = send(ActionableReportFactory(), actor)
    assert deliver_all() == 0
    clock.move_to(T0 + timedelta(minutes=1))
    workflow.report_confirm_removal(notice.report_id, actor=actor)
    mail_server.mode = "accept"
    clock.move_to(T0 + timedelta(hours=1))
    assert deliver_all() == 0

    assert mail_server.received == []
    notice.refresh_from_db()
    assert notice.status == Notice.Status.WITHDRAWN
    assert notice.report.status == ReportStatus.REMOVED
    event = Event.objects.get(verb="confirm_removal")
    assert event.data["withdrawn"]["notice"] == notice.pk


def test_reminders_and_repeats_state_the_notice_deadline_from_its_first_hand_off(
    actor, clock, mail_server
):
    mail_server.mode = "tempfail"
    notice = send(ActionableReportFactory(), actor)
    assert deliver_all() == 0
    mail_server.mode = "accept"
    clock.move_to(T0 + OUTAGE)
    assert deliver_all() == 1
    deadline = T0 + OUTAGE + timedelta(hours=24)
    clock.move_to(deadline)
    assert workflow.notice_fire_due(notice.pk) == ["overdue"]
    # The repeat's own delivery waits for the mail server too: its hand-off is when it goes.
    mail_server.mode = "tempfail"
    assert deliver_all() == 0
    mail_server.mode = "accept"
    clock.move_to(deadline + timedelta(minutes=7))
    assert deliver_all() == 1

    repeat = OutgoingMessage.objects.get(kind="repeat")
    assert repeat.sent_at == deadline + timedelta(minutes=7)
    assert "2026-03-03T09:02:11Z" in mail_server.messages()[-1]["Subject"]
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
