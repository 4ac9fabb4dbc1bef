"""The audit trail: attacks, against a checkpoint kept from before them; the SLA's moments, holds
and messages.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from hotline.audit import checkpoints
from reports import workflow
from reports.audit import audit_seal, chain_link, content_hash
from reports.models import (
    AuditChainHead,
    AuditCheckpoint,
    AuditPending,
    AuditSeal,
    Event,
    Notice,
    OutgoingMessage,
)
from tests.reports.audit.support import keep_checkpoint, triggers_off, verify, verify_broken
from tests.reports.factories import ActionableReportFactory, AgencyFactory
from tests.reports.support import deliver_due

# --- attacks, against a checkpoint kept from before them --------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("verb", "claim"),
        ("to_status", "closed"),
        ("actor_label", "someone else"),
        ("data", {"legal_status": "national"}),
        ("at", "shift"),
        ("report_id", "other"),
    ],
)
def test_a_naive_edit_is_caught_at_that_event(history, tmp_path, field, value):
    kept = keep_checkpoint(tmp_path)
    target = history[4]  # assess_illegal, seq 5
    if value == "shift":
        value = target.at - timedelta(minutes=5)
    elif value == "other":
        value = history[2].report_id
    with triggers_off("reports_event"):
        assert Event.objects.filter(pk=target.pk).update(**{field: value}) == 1

    message = verify_broken(kept)

    assert message.startswith("BROKEN at event 5: its content does not match its hash")
    assert "(4 events verified before it)" in message


def test_an_edit_with_its_content_hash_recomputed_is_caught_by_the_seal(history, tmp_path):
    kept = keep_checkpoint(tmp_path)
    target = history[4]
    target.data = {**target.data, "industry_category": "B2"}
    with triggers_off("reports_event"):
        Event.objects.filter(pk=target.pk).update(
            data=target.data, content_hash=content_hash(target)
        )

    assert verify_broken(kept).startswith(
        "BROKEN at event 5: its content hash differs from the one sealed"
    )


def _rewrite_and_recompute(seq: int) -> None:
    """Edit the event at ``seq`` and recompute every hash after it with the project's own code."""
    seals = list(AuditSeal.objects.filter(seq__gte=seq).select_related("event").order_by("seq"))
    prev = AuditSeal.objects.get(seq=seq - 1).chain_hash
    target = seals[0].event
    target.data = {**target.data, "industry_category": "B2"}
    target.content_hash = content_hash(target)
    with triggers_off("reports_event", "reports_auditseal"):
        Event.objects.filter(pk=target.pk).update(
            data=target.data, content_hash=target.content_hash
        )
        for seal in seals:
            hashed = target.content_hash if seal.seq == seq else seal.content_hash
            prev = chain_link(seal.seq, prev, hashed)
            AuditSeal.objects.filter(seq=seal.seq).update(content_hash=hashed, chain_hash=prev)
    AuditChainHead.objects.update(hash=prev)


def test_a_recomputed_chain_passes_alone_and_is_caught_by_the_checkpoints(history, sam, tmp_path):
    # The auditor kept checkpoints at 4 and at 10; then event 5 is rewritten, and the service's
    # own copies of the checkpoints removed (someone with the signing key could re-sign them).
    early = tmp_path / "early.txt"
    signed = checkpoints.checkpoint_sign(4, AuditSeal.objects.get(seq=4).chain_hash, timezone.now())
    early.write_text(signed.line + "\n")
    late = keep_checkpoint(tmp_path)
    _rewrite_and_recompute(5)
    with triggers_off("reports_auditcheckpoint"):
        AuditCheckpoint.objects.all().delete()

    assert verify().startswith("OK: 10 events sealed, chain intact")  # a careful rewrite
    message = verify_broken(early, late)
    assert message.startswith(
        "BROKEN at event 10: its chain hash differs from the checkpoint signed at "
    )
    assert "events 5 to 10 were rewritten and the chain recomputed" in message


def test_a_deleted_seal_in_the_middle_is_caught(history):
    with triggers_off("reports_auditseal"):
        AuditSeal.objects.filter(seq=7).delete()

    assert verify_broken().startswith("BROKEN at event 7: event 7 is missing")


@pytest.mark.parametrize("removed", [1, 3])
def test_a_deleted_tail_with_the_head_rewound_is_caught_by_the_checkpoint(
    history, tmp_path, removed
):
    kept = keep_checkpoint(tmp_path)
    keep = 10 - removed
    with triggers_off("reports_event", "reports_auditseal", "reports_auditcheckpoint"):
        AuditSeal.objects.filter(seq__gt=keep).delete()
        Event.objects.filter(seal__isnull=True).delete()
        AuditCheckpoint.objects.all().delete()
    AuditChainHead.objects.update(seq=keep, hash=AuditSeal.objects.get(seq=keep).chain_hash)

    message = verify_broken(kept)
    assert message.startswith(f"BROKEN at event {keep + 1}: the checkpoint signed at ")
    assert f"records 10 events, the trail has {keep}: events were removed" in message
    assert f"({keep} events verified before it)" in message


def test_a_deleted_tail_without_the_head_rewound_is_caught_by_the_head(history):
    with triggers_off("reports_auditseal"):
        AuditSeal.objects.filter(seq__gt=8).delete()

    assert verify_broken().startswith(
        "BROKEN at event 9: the chain head records 10 events: events were removed"
    )


def test_every_event_written_is_queued_by_the_database_itself(history):
    [event] = Event.objects.bulk_create([Event(verb="claim", actor_kind="system", actor_label="x")])
    assert AuditPending.objects.filter(event=event).exists()


def test_an_event_taken_off_the_queue_is_caught(history):
    [event] = Event.objects.bulk_create([Event(verb="claim", actor_kind="system", actor_label="x")])
    AuditPending.objects.filter(event=event).delete()
    assert f"event id {event.pk} is neither sealed nor queued to be" in verify_broken()


def test_an_altered_checkpoint_is_refused(history, tmp_path):
    kept = keep_checkpoint(tmp_path)
    kept.write_text(kept.read_text().replace("seq=10 ", "seq=9 "))
    assert "checkpoint line 1 (seq 9) is not signed by key" in verify_broken(kept)


def test_checkpoints_signed_by_another_key_need_that_key(history, tmp_path, settings):
    kept = keep_checkpoint(tmp_path)
    old_key = tmp_path / "old.pem"
    old_key.write_text(checkpoints.public_key_pem(checkpoints.signing_key().public_key()))
    settings.HOTLINE_AUDIT_SIGNING_KEY = checkpoints.signing_key_generate()  # the key rotated

    assert "is not signed by key" in verify_broken(kept)
    out = StringIO()
    call_command(
        "audit", "verify", "--checkpoint", str(kept), "--public-key", str(old_key), stdout=out
    )
    assert "1 checkpoints matched" in out.getvalue()


# --- the SLA's moments, holds and messages ---------------------------------------------------


@pytest.fixture
def removed_notice(sam, mailoutbox):
    report = ActionableReportFactory()
    workflow.report_send_notice(report.pk, actor=sam)
    assert deliver_due() == 1
    workflow.report_confirm_removal(report.pk, actor=sam)
    audit_seal()
    return Notice.objects.get()


def test_an_edited_removed_at_is_caught_at_the_event_that_recorded_it(removed_notice, tmp_path):
    kept = keep_checkpoint(tmp_path)
    earlier = removed_notice.removed_at - timedelta(hours=3)
    Notice.objects.filter(pk=removed_notice.pk).update(removed_at=earlier)

    message = verify_broken(kept)

    seal = AuditSeal.objects.get(event__verb="confirm_removal")
    assert message.startswith(f"BROKEN at event {seal.seq}: report ")
    assert f"notice {removed_notice.pk} removed_at is {earlier.isoformat()}" in message


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"body_text": "Nothing to see."}, "body_sha256"),
        ({"sent_at": None}, "handed_off_at"),
    ],
)
def test_an_edited_message_is_caught(removed_notice, change, named):
    OutgoingMessage.objects.filter(items__notice=removed_notice).update(**change)
    message = verify_broken()
    # The report's state names the notice's item of the message.
    assert f"message {removed_notice.message_items.get().pk} {named} is " in message


def test_an_edited_hold_is_caught(sam):
    report = ActionableReportFactory()
    agency = AgencyFactory()
    until = timezone.now() + timedelta(days=2)
    workflow.report_hold(report.pk, actor=sam, agency_id=agency.pk, until=until)
    audit_seal()
    report.holds.update(until=until + timedelta(days=30))
    assert " until is " in verify_broken()
