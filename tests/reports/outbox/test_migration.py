"""The migration to the outbox (reports 0015): every message written before it becomes an outbox
message with one item, sent ones sent, unsent ones waiting to be delivered with their Message-ID
(so a provider who did receive an earlier attempt can drop the copy)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reports import outbox
from reports.models import Notice
from tests.reports.support import T0

# The directory as it was then too: the state's Provider must match its table.
BEFORE = [("reports", "0014_removal_checks"), ("hotline", "0007_probe_rules")]
AFTER = [("reports", "0015_outbox"), ("hotline", "0008_provider_channels")]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_old_messages_become_outbox_messages_with_one_item_each_and_keep_their_message_id(
    mailoutbox,
):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = migrate(BEFORE).loader.project_state(BEFORE).apps
        provider = old.get_model("hotline", "Provider").objects.create(
            name="Old Hosting", country="DE", abuse_email="abuse@old.example"
        )

        def message(name: str, *, sent: bool, error: str = "", kind: str = "notice") -> str:
            report = old.get_model("reports", "Report").objects.create(
                reference=f"HL-{name}", host=f"{name}.example", channel="api",
                url_sha256=name * 16, submitted_url=f"https://{name}.example/",
                canonical_url=f"https://{name}.example/", status="takedown_requested",
                industry_category="A1", assessed_at=T0,
            )  # fmt: skip
            notice = old.get_model("reports", "Notice").objects.create(
                report=report, provider=provider, created_by_label="ann", sent_at=T0,
                status="open" if sent else "delivering",
                handed_off_at=T0 if sent else None,
                deadline_at=T0 + timedelta(hours=24) if sent else None,
            )  # fmt: skip
            row = old.get_model("reports", "OutgoingMessage").objects.create(
                notice=notice, kind=kind, attempt=0, to_address=f"abuse@{name}.example",
                subject="s", body_text="b", message_id=f"<{name}@hotline.example.org>",
                sent_at=T0 + timedelta(seconds=5) if sent else None, last_error=error,
            )  # fmt: skip
            return row.message_id

        told = message("aaaa", sent=True)
        waiting = message("bbbb", sent=False)
        failing = message("cccc", sent=False, error="SMTPServerDisconnected: closed")

        new = migrate(AFTER).loader.project_state(AFTER).apps
        messages = new.get_model("reports", "OutgoingMessage").objects
        items = new.get_model("reports", "MessageItem").objects
        assert messages.count() == items.count() == 3
        rows = {row.message_id: row for row in messages.all()}
        assert sorted(rows) == sorted([told, waiting, failing])  # Message-IDs kept
        assert len({row.uuid for row in rows.values()}) == 3
        sent_row = rows[told]
        assert (sent_row.status, sent_row.sent_at) == ("sent", T0 + timedelta(seconds=5))
        assert (rows[waiting].status, rows[waiting].attempts) == ("pending", 0)
        assert (rows[failing].status, rows[failing].attempts) == ("pending", 1)
        assert rows[failing].first_failed_at is not None
        for message_id, row in rows.items():
            [item] = items.filter(message=row)
            name = message_id[1:5]
            assert (item.kind, item.attempt, item.channel) == ("notice", 0, "email")
            assert item.target == row.target == f"abuse@{name}.example"
            assert item.notice.report.reference == f"HL-{name}"
            assert (row.channel, row.provider_id) == ("email", provider.pk)
    finally:
        migrate(latest)

    # The outbox delivers the two that never went, each with the Message-ID it had.
    assert outbox.outbox_drain().outcomes == {"sent": 2}
    assert sorted(email.extra_headers["Message-ID"] for email in mailoutbox) == [waiting, failing]
    assert sorted(Notice.objects.values_list("status", flat=True)) == ["open"] * 3
