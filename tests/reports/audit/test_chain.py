"""The audit trail: an intact chain."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from hotline.actors import Actor
from hotline.audit import hashing
from reports import audit, workflow
from reports.audit import audit_seal, chain_link, content_hash
from reports.models import (
    GENESIS_HASH,
    AuditChainHead,
    AuditPending,
    AuditSeal,
    Event,
    Notice,
    OutgoingMessage,
)
from tests.reports.audit.support import submit, verify
from tests.reports.factories import ActionableReportFactory, notice_send
from tests.reports.support import deliver_due

# --- an intact chain --------------------------------------------------------------------------


def test_intake_and_workflow_events_form_one_chain(history):
    assert [e.verb for e in history] == [
        "received",
        "received",
        "received",
        "claim",
        "assess_illegal",
        "escalate",
        "set_hosting",
        "claim",
        "release",
        "claim",
    ]
    seals = list(AuditSeal.objects.order_by("seq"))
    assert [s.seq for s in seals] == list(range(1, 11))
    assert [s.event_id for s in seals] == [e.pk for e in history]
    prev = GENESIS_HASH
    for seal, event in zip(seals, history, strict=True):
        assert event.content_hash == content_hash(event) == seal.content_hash
        assert seal.chain_hash == chain_link(seal.seq, prev, seal.content_hash)
        prev = seal.chain_hash
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (10, prev)
    assert not AuditPending.objects.exists()


def test_verify_prints_ok_with_the_count(history):
    assert verify() == "OK: 10 events sealed, chain intact; 0 not sealed yet (oldest 0 s).\n"


@pytest.mark.django_db
def test_verify_an_empty_trail():
    assert verify() == "OK: 0 events sealed, chain intact; 0 not sealed yet (oldest 0 s).\n"


def test_the_chain_goes_on_after_verification(history, sam):
    verify()
    workflow.report_release(history[-1].report_id, actor=sam)
    audit_seal()
    assert verify().startswith("OK: 11 events sealed, chain intact")


def test_a_request_only_queues_its_event_and_verify_says_what_waits(sam):
    now = timezone.now()
    with time_machine.travel(now - timedelta(seconds=90), tick=False):
        report = submit("https://waiting.example.com/x")
    assert not AuditSeal.objects.exists()

    with time_machine.travel(now, tick=False):  # a busy machine takes a second to get here
        assert verify() == "OK: 0 events sealed, chain intact; 1 not sealed yet (oldest 90 s).\n"
    health = audit.audit_health()
    assert (health["unsealed"], health["status"]) == (1, "warning")
    assert "audit seal" in health["detail"]

    call_command("audit", "seal", stdout=StringIO())
    assert AuditSeal.objects.get().event.report == report
    assert audit.audit_health() == {"unsealed": 0, "oldest_unsealed_seconds": 0.0, "status": "ok"}


def test_health_is_fine_within_a_minute(sam):
    with time_machine.travel(timezone.now() - timedelta(seconds=50), tick=False):
        submit("https://recent.example.com/x")
    assert audit.audit_health()["status"] == "ok"


def test_healthz_carries_the_audit_section(client, sam):
    with time_machine.travel(timezone.now() - timedelta(minutes=5), tick=False):
        submit("https://stale.example.com/x")
    body = client.get("/healthz").json()
    assert body["audit"]["status"] == "warning"
    assert body["audit"]["unsealed"] == 1


def test_personal_fields_enter_the_content_only_as_salted_hashes(history):
    claim = history[3]
    content = audit.event_content(claim).decode()
    assert "sam" not in content
    assert f'"actor_label":"{hashing.personal_digest(claim.salt, "sam")}"' in content
    assert f'"actor_user":"{hashing.personal_digest(claim.salt, claim.actor_user_id)}"' in content
    # Two events by the same person do not share a digest (a salt each).
    assert hashing.personal_digest(history[7].salt, "sam") not in content


def test_an_event_of_no_report_is_sealed_in_the_same_chain(history):
    actor = Actor.system("directory")
    with transaction.atomic():
        audit.events_append(
            [
                Event(
                    verb="provider_update",
                    actor_kind=actor.kind,
                    actor_label=actor.label,
                    data={"provider": 1},
                )
            ]
        )
    audit_seal()
    assert AuditSeal.objects.get(seq=11).event.report is None
    assert verify().startswith("OK: 11 events sealed, chain intact")


def test_the_state_an_event_leaves_is_recorded_in_it(sam):
    report = ActionableReportFactory()
    workflow.report_send_notice(report.pk, actor=sam)
    event = Event.objects.get(verb="send_notice")
    notice = Notice.objects.get()
    recorded = event.state["notices"][str(notice.pk)]
    assert recorded["sent_at"] == notice.sent_at.isoformat(timespec="microseconds")
    assert (recorded["status"], recorded["deadline_at"]) == ("delivering", None)  # not yet told
    [item] = event.state["messages"].values()
    assert (item["kind"], item["message"], item["handed_off_at"]) == ("notice", None, None)


def test_a_hand_off_is_an_event_with_its_time_and_the_hash_of_the_body(sam, mailoutbox):
    report = ActionableReportFactory()
    workflow.report_send_notice(report.pk, actor=sam)
    assert deliver_due() == 1

    # The notice's own message: its hand-off is the transition that starts the clock.
    event = Event.objects.get(verb="hand_off_notice")
    message = OutgoingMessage.objects.get()
    notice = Notice.objects.get()
    recorded = event.state["messages"][str(message.items.get().pk)]
    assert recorded["message"] == message.pk
    assert recorded["handed_off_at"] == message.sent_at.isoformat(timespec="microseconds")
    assert len(recorded["body_sha256"]) == 64
    noticed = event.state["notices"][str(notice.pk)]
    assert noticed["handed_off_at"] == notice.handed_off_at.isoformat(timespec="microseconds")
    assert noticed["deadline_at"] == notice.deadline_at.isoformat(timespec="microseconds")
    audit_seal()
    assert verify().startswith("OK: 2 events sealed, chain intact")


def test_a_reminder_handed_off_is_an_event_of_its_own(sam, mailoutbox, settings):
    settings.HOTLINE_REMINDER_BEFORE = "23h"
    report = ActionableReportFactory()
    notice = notice_send(report.pk, actor=sam)
    with time_machine.travel(notice.deadline_at - timedelta(hours=23), tick=False):
        assert "reminder" in workflow.notice_fire_due(notice.pk)
        assert deliver_due() == 1
    event = Event.objects.get(verb="message_handed_off")
    reminder = OutgoingMessage.objects.get(kind=OutgoingMessage.Kind.REMINDER)
    assert event.data == {"message": reminder.pk, "kind": "reminder", "attempt": 0} | {
        "channel": "email"
    }
    recorded = event.state["messages"][str(reminder.items.get().pk)]
    assert recorded["handed_off_at"] == reminder.sent_at.isoformat(timespec="microseconds")
    audit_seal()
    assert verify().startswith("OK: 4 events sealed, chain intact")
