"""The audit trail: an existing database."""

import pytest
from django.db import connection, transaction

from hotline.actors import Actor
from reports import audit
from reports.audit import audit_seal
from reports.models import AuditSeal, Event
from tests.reports.audit.support import submit, triggers_off, verify, verify_broken

# --- an existing database ---------------------------------------------------------------------


BEFORE_SEALING = [("reports", "0007_queue_partial_indexes")]


def _migrate(targets) -> None:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_an_existing_chain_becomes_the_first_segment_and_verifies():
    from django.db.migrations.executor import MigrationExecutor

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(BEFORE_SEALING)
    try:
        apps = MigrationExecutor(connection).loader.project_state(BEFORE_SEALING).apps
        old_event = apps.get_model("reports", "Event")
        old_report = apps.get_model("reports", "Report")
        head = apps.get_model("reports", "AuditChainHead").objects.create(pk=1)
        report = old_report.objects.create(
            reference="HL-OLD1-0001",
            submitted_url="https://old.example.com/x",
            canonical_url="https://old.example.com/x",
            url_sha256="a" * 64,
            host="old.example.com",
            channel="web",
        )
        for verb in ("received", "claim", "release"):
            # Appended as the code before sealing did: each hash over the previous and the content.
            event = old_event(
                report_id=report.pk, verb=verb, actor_kind="system", actor_label="old", data={}
            )
            event.seq, event.prev_hash = head.seq + 1, head.hash
            event.hash = audit.legacy_link(head.hash, event, event.seq)
            event.save()
            head.seq, head.hash = event.seq, event.hash
            head.save()
    finally:
        _migrate(latest)

    assert list(AuditSeal.objects.values_list("seq", "legacy")) == [(1, True), (2, True), (3, True)]
    assert verify() == "OK: 3 events sealed, chain intact; 0 not sealed yet (oldest 0 s).\n"
    submit("https://new.example.com/y")
    audit_seal()
    assert AuditSeal.objects.get(seq=4).legacy is False
    assert verify().startswith("OK: 4 events sealed, chain intact")
    with triggers_off("reports_event"), transaction.atomic():
        Event.objects.filter(verb="claim").update(actor_label="someone else")
        assert verify_broken().startswith("BROKEN at event 2: its content or link does not match")
        transaction.set_rollback(True)


# --- a database from before the outbox (reports 0015) -----------------------------------------


def _as_before_the_outbox(state: dict) -> dict:
    """The state as events recorded it before the outbox: one entry per message, keyed by the
    message, with its address folded into the body hash (which the migration keeps equal)."""
    messages = {
        str(entry["message"] or f"unsent-{key}"): {
            "notice": entry["notice"],
            "kind": entry["kind"],
            "attempt": entry["attempt"],
            "created_at": entry["created_at"],
            "handed_off_at": entry["handed_off_at"],
            "body_sha256": entry.get("body_sha256", ""),
        }
        for key, entry in state["messages"].items()
    }
    return state | {"messages": messages}


@pytest.mark.django_db
def test_a_report_last_recorded_before_the_outbox_verifies_and_a_changed_message_is_caught(
    monkeypatch,
):
    from reports.models import OutgoingMessage
    from tests.reports.factories import ActionableReportFactory, StaffUserFactory, notice_send

    actor = Actor.for_user(StaffUserFactory(username="ann", role="analyst"))
    report = ActionableReportFactory()
    notice_send(report.pk, actor=actor)
    report.refresh_from_db()
    states = audit.report_states
    monkeypatch.setattr(
        audit,
        "report_states",
        lambda reports, born=frozenset(): {
            pk: _as_before_the_outbox(state) for pk, state in states(reports, born).items()
        },
    )
    with transaction.atomic():  # the report's latest event, written before the upgrade
        audit.events_append(
            [
                audit.event_build(
                    "note",
                    actor=actor,
                    at=report.received_at,
                    report=report,
                    from_status=report.status,
                    to_status=report.status,
                )
            ]
        )
    monkeypatch.undo()
    audit_seal()

    assert "OK" in verify()

    with triggers_off("reports_outgoingmessage"):
        OutgoingMessage.objects.update(body_text="something else")
    assert "differs from what its latest event" in verify_broken()
