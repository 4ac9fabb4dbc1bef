"""The audit trail: events hashed in the request, sealed into one chain, signed checkpoints.

Attacks are made the way someone with the service's database role could: that role owns the
tables, so on PostgreSQL it can switch the triggers off (``ALTER TABLE ... DISABLE TRIGGER``)
and then write what it likes. ``audit verify`` must name the first sequence number that no
longer holds, against a checkpoint an auditor kept from before the attack. The settings any
session may set (``pgtrigger.ignore``) and TRUNCATE are refused outright.
"""

import itertools
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from hotline.actors import Actor
from hotline.services import audit_api_key_create
from reports import audit, notices, workflow
from reports.audit import audit_checkpoint, audit_seal, audit_verify, chain_link, content_hash
from reports.intake import report_submit, submission_clean
from reports.models import (
    GENESIS_HASH,
    AuditChainHead,
    AuditCheckpoint,
    AuditPending,
    AuditSeal,
    Channel,
    Event,
    Notice,
    OutgoingMessage,
)
from tests.reports.factories import (
    ActionableReportFactory,
    AgencyFactory,
    ReportFactory,
    StaffUserFactory,
    notice_send,
)

README = Path(settings.BASE_DIR) / "README.md"
AUDIT_TABLES = (
    "reports_event",
    "reports_escalation",
    "reports_auditseal",
    "reports_auditcheckpoint",
)


def verify(*checkpoint_files) -> str:
    out = StringIO()
    args = [arg for path in checkpoint_files for arg in ("--checkpoint", str(path))]
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def verify_broken(*checkpoint_files) -> str:
    with pytest.raises(CommandError) as caught:
        verify(*checkpoint_files)
    return str(caught.value)


def submit(url: str):
    return report_submit(
        submission=submission_clean(url=url), channel=Channel.WEB, actor=Actor.public()
    ).report


def keep_checkpoint(folder: Path) -> Path:
    """What an auditor does: take a checkpoint and keep it outside the service."""
    path = folder / f"checkpoint-{AuditCheckpoint.objects.count()}.txt"
    path.write_text(audit_checkpoint().line + "\n")
    return path


@contextmanager
def triggers_off(*tables):
    """The table owner's way past the triggers (on SQLite there are none)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # PostgreSQL alters no table with
        for table in tables:  # foreign-key checks pending
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    yield
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


@pytest.fixture
def sam(db):
    return Actor.for_user(get_user_model().objects.create_superuser("sam", "sam@hotline.example"))


@pytest.fixture
def history(sam):
    """Ten events from intake (with a duplicate) and the workflow, sealed."""
    agency = AgencyFactory(name="National Police")
    first = submit("https://images.example.com/a/1")
    submit("https://images.example.com/a/1")  # a duplicate of the first
    second = submit("https://files.example.org/b/2")
    workflow.report_claim(first.pk, actor=sam)
    workflow.report_assess_illegal(
        first.pk,
        actor=sam,
        legal_status="baseline",
        industry_category="A2",
        media_type="image",
        site_type="image_host",
        commercial=False,
    )
    workflow.report_escalate(
        first.pk, actor=sam, agency_id=agency.pk, kind="urgent", channel="phone"
    )
    workflow.report_set_hosting(first.pk, actor=sam, provider_id=None, country="NL")
    workflow.report_claim(second.pk, actor=sam)
    workflow.report_release(second.pk, actor=sam)
    workflow.report_claim(second.pk, actor=sam)
    assert audit_seal() == 10
    return list(Event.objects.order_by("seal__seq"))


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
    with time_machine.travel(timezone.now() - timedelta(seconds=90), tick=False):
        report = submit("https://waiting.example.com/x")
    assert not AuditSeal.objects.exists()

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
    assert f'"actor_label":"{audit.personal_digest(claim.salt, "sam")}"' in content
    assert f'"actor_user":"{audit.personal_digest(claim.salt, claim.actor_user_id)}"' in content
    # Two events by the same person do not share a digest (a salt each).
    assert audit.personal_digest(history[7].salt, "sam") not in content


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
    [message] = event.state["messages"].values()
    assert message["handed_off_at"] is None


def test_a_hand_off_is_an_event_with_its_time_and_the_hash_of_the_body(sam, mailoutbox):
    report = ActionableReportFactory()
    workflow.report_send_notice(report.pk, actor=sam)
    message = OutgoingMessage.objects.get()
    assert notices.message_deliver(message.pk)

    # The notice's own message: its hand-off is the transition that starts the clock.
    event = Event.objects.get(verb="hand_off_notice")
    message.refresh_from_db()
    notice = Notice.objects.get()
    recorded = event.state["messages"][str(message.pk)]
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
        reminder = OutgoingMessage.objects.get(kind=OutgoingMessage.Kind.REMINDER)
        assert notices.message_deliver(reminder.pk)
    event = Event.objects.get(verb="message_handed_off")
    reminder.refresh_from_db()
    assert event.data == {"message": reminder.pk, "kind": "reminder", "attempt": 0}
    recorded = event.state["messages"][str(reminder.pk)]
    assert recorded["handed_off_at"] == reminder.sent_at.isoformat(timespec="microseconds")
    audit_seal()
    assert verify().startswith("OK: 4 events sealed, chain intact")


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
    signed = audit._checkpoint_sign(4, AuditSeal.objects.get(seq=4).chain_hash, timezone.now())
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
    old_key.write_text(audit.public_key_pem(audit.signing_key().public_key()))
    settings.HOTLINE_AUDIT_SIGNING_KEY = audit.signing_key_generate()  # the key rotated

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
    notices.message_deliver(OutgoingMessage.objects.get().pk)
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
    OutgoingMessage.objects.filter(notice=removed_notice).update(**change)
    message = verify_broken()
    assert f"message {OutgoingMessage.objects.get().pk} {named} is " in message


def test_an_edited_hold_is_caught(sam):
    report = ActionableReportFactory()
    agency = AgencyFactory()
    until = timezone.now() + timedelta(days=2)
    workflow.report_hold(report.pk, actor=sam, agency_id=agency.pk, until=until)
    audit_seal()
    report.holds.update(until=until + timedelta(days=30))
    assert " until is " in verify_broken()


# --- checkpoints: written, handed out, checkable with the public key alone -------------------


def test_the_tick_seals_every_second_and_checkpoints_at_the_interval(history, settings, tmp_path):
    anchor = tmp_path / "anchor.txt"
    settings.HOTLINE_AUDIT_ANCHOR = [str(anchor)]
    settings.HOTLINE_AUDIT_CHECKPOINT_SECONDS = 300
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        audit.audit_tick()
    assert AuditCheckpoint.objects.count() == 1
    workflow.report_release(history[-1].report_id, actor=Actor.for_user(history[-1].actor_user))
    with time_machine.travel(now + timedelta(seconds=299), tick=False):
        assert audit.audit_tick() == 1  # sealed, no checkpoint yet
    assert AuditCheckpoint.objects.count() == 1
    with time_machine.travel(now + timedelta(seconds=300), tick=False):
        audit.audit_tick()
    with time_machine.travel(now + timedelta(seconds=900), tick=False):
        audit.audit_tick()  # nothing new since: no checkpoint
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [10, 11]


def test_beat_runs_the_tick_every_second(settings):
    from config.celery import app
    from reports import tasks

    assert tasks.audit_tick.name == "reports.tasks.audit_tick"
    entry = settings.CELERY_BEAT_SCHEDULE["audit-seal"]
    assert entry["schedule"] == 1.0
    assert entry["task"] in app.tasks


@pytest.mark.django_db(transaction=True)
def test_a_checkpoint_is_appended_to_each_file_and_mailed_to_each_address(
    settings, tmp_path, mailoutbox
):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    settings.HOTLINE_AUDIT_ANCHOR = [str(first), "auditor@regulator.example", str(second)]
    submit("https://anchored.example.com/x")
    one = audit_checkpoint()
    two = audit_checkpoint()
    assert first.read_text() == second.read_text() == f"{one.line}\n{two.line}\n"
    assert [m.to for m in mailoutbox] == [["auditor@regulator.example"]] * 2
    assert mailoutbox[0].body.strip() == one.line
    assert verify(first).startswith("OK: 1 events sealed, chain intact, 2 checkpoints matched")


def test_the_checkpoint_command_prints_the_line(history):
    out = StringIO()
    call_command("audit", "checkpoint", stdout=out)
    line = out.getvalue().strip()
    assert line == AuditCheckpoint.objects.get().line
    assert line.startswith(
        f"hotline-audit-checkpoint/1 seq=10 hash={AuditSeal.objects.last().chain_hash} "
    )


def _readme_block(marker: str) -> str:
    text = README.read_text()
    start = text.index(marker)
    opening = text.index("```", start)
    body_start = text.index("\n", opening) + 1
    return text[body_start : text.index("```", body_start)]


@pytest.mark.parametrize("marker", ["<!-- check-with-openssl -->", "<!-- check-with-python -->"])
def test_the_readmes_way_checks_a_checkpoint_with_the_public_key_alone(history, tmp_path, marker):
    """The documented commands run as written, in a folder holding only what an auditor has."""
    out = StringIO()
    call_command("audit", "public-key", stdout=out, stderr=StringIO())
    (tmp_path / "audit-public.pem").write_text(out.getvalue())
    checkpoints = tmp_path / "checkpoints.txt"
    checkpoints.write_text(audit_checkpoint().line + "\n")
    script = _readme_block(marker)

    good = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    checkpoints.write_text(checkpoints.read_text().replace("seq=10 ", "seq=11 "))
    bad = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True
    )

    assert good.returncode == 0, good.stderr
    assert "Verified" in good.stdout + good.stderr or "OK" in good.stdout
    assert bad.returncode != 0


def test_the_public_key_command_prints_a_pem_any_tool_reads(db):
    out = StringIO()
    call_command("audit", "public-key", stdout=out, stderr=StringIO())
    key = serialization.load_pem_public_key(out.getvalue().encode())
    assert audit.key_id(key) == audit.key_id(audit.signing_key().public_key())


# --- the database's refusals (PostgreSQL) -----------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE reports_event SET verb = 'x'",
        "DELETE FROM reports_event WHERE id = (SELECT max(id) FROM reports_event)",
        "UPDATE reports_escalation SET agency_reference = 'x'",
        "DELETE FROM reports_escalation",
        "UPDATE reports_auditseal SET chain_hash = 'x' WHERE seq = 5",
        "DELETE FROM reports_auditseal WHERE seq = 10",
        "TRUNCATE reports_event CASCADE",
        "TRUNCATE reports_auditseal",
        "TRUNCATE reports_escalation CASCADE",
        "TRUNCATE reports_auditcheckpoint",
        "DELETE FROM reports_auditcheckpoint",
    ],
)
@pytest.mark.parametrize("ignore", [False, True])
def test_the_database_refuses_changes_and_truncation_whatever_the_session_sets(
    history, statement, ignore
):
    audit_checkpoint()
    before = {table: _rows(table) for table in AUDIT_TABLES}
    # What django-pgtrigger's ignore() sets, naming every trigger there is on these tables.
    every_trigger = (
        "{"
        + ",".join(
            f"{table}_append_only,{table}_no_truncate,pgtrigger_event_append_only_bdf8f"
            for table in AUDIT_TABLES
        )
        + "}"
    )

    with (
        pytest.raises(DatabaseError) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else TRUNCATE fails for another reason
        if ignore:
            cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [every_trigger])
        cursor.execute(statement)

    assert "The audit trail is append-only" in str(caught.value)
    assert {table: _rows(table) for table in AUDIT_TABLES} == before
    assert verify().startswith("OK: 10 events sealed, chain intact")


def _rows(table: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608 (the test's own names)
        return cursor.fetchall()


@pytest.mark.postgres
def test_truncating_everything_with_the_triggers_off_is_caught_by_the_checkpoint(history, tmp_path):
    kept = keep_checkpoint(tmp_path)
    with triggers_off(*AUDIT_TABLES), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE reports_auditseal, reports_auditpending, reports_auditcheckpoint, "
            "reports_auditchainhead, reports_escalation, reports_event"
        )

    assert verify().startswith("OK: 0 events sealed")
    assert verify_broken(kept).startswith("BROKEN at event 1: the checkpoint signed at ")


# --- concurrency (PostgreSQL) -------------------------------------------------------------------

THREADS = 8


def run_together(count: int, work) -> list:
    barrier = threading.Barrier(count)

    def run(i):
        try:
            barrier.wait(timeout=30)
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_writers_and_sealers_at_once_make_one_gap_free_verifiable_order():
    user = get_user_model().objects.create_superuser("sam", "sam@hotline.example")
    reports = [ReportFactory() for _ in range(THREADS)]
    sealed = []

    def work(i):
        if i % 4 == 3:  # two of the eight are sealers, sealing while the others write
            for _ in range(20):
                sealed.append(audit_seal())
            return
        for n in range(5):
            submit(f"https://race{i}-{n}.example.com/x")
        workflow.report_claim(reports[i].pk, actor=Actor.for_user(user))
        workflow.report_release(reports[i].pk, actor=Actor.for_user(user))

    run_together(THREADS, work)
    sealed.append(audit_seal())

    writers = THREADS - THREADS // 4
    assert sum(sealed) == Event.objects.count() == writers * 7
    seals = list(AuditSeal.objects.order_by("seq"))
    assert [s.seq for s in seals] == list(range(1, writers * 7 + 1))
    assert len({s.event_id for s in seals}) == len(seals)
    assert all(
        b.chain_hash == chain_link(b.seq, a.chain_hash, b.content_hash)
        for a, b in itertools.pairwise(seals)
    )
    assert verify().startswith(f"OK: {writers * 7} events sealed, chain intact")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_verify_while_analysts_work_and_the_sealer_runs_is_no_false_alarm(monkeypatch):
    """Events written and sealed while ``audit verify`` walks the chain are not a break."""
    user = get_user_model().objects.create_superuser("sam", "sam@hotline.example")
    for i in range(3):
        submit(f"https://busy{i}.example.com/x")
    audit_seal()
    busy = ReportFactory()
    original = audit._check_event
    appended = []

    def check_while_someone_claims(seal, event, prev_hash):
        if not appended:  # once, in the middle of the walk, from another connection
            appended.append(True)
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(
                    lambda: (
                        workflow.report_claim(busy.pk, actor=Actor.for_user(user)),
                        audit_seal(),
                        connection.close(),
                    )
                ).result()
        return original(seal, event, prev_hash)

    monkeypatch.setattr(audit, "_check_event", check_while_someone_claims)

    result = audit_verify()
    assert result.ok, result.problem
    assert AuditSeal.objects.count() == 4
    monkeypatch.undo()
    assert verify().startswith("OK: 4 events sealed, chain intact")


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


# --- GET /api/v1/audit/checkpoints/ -----------------------------------------------------------

CHECKPOINTS_URL = "/api/v1/audit/checkpoints/"


@pytest.fixture
def two_checkpoints(history, sam):
    first = audit_checkpoint()
    workflow.report_release(history[-1].report_id, actor=sam)
    return first, audit_checkpoint()


def test_an_audit_key_reads_the_checkpoints_and_the_key_to_check_them(api_client, two_checkpoints):
    _, key = audit_api_key_create(holder="Regulator", key_name="audit")
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    body = api_client.get(CHECKPOINTS_URL).json()

    assert [c["line"] for c in body["checkpoints"]] == [c.line for c in two_checkpoints]
    assert [c["seq"] for c in body["checkpoints"]] == [10, 11]
    public = serialization.load_pem_public_key(body["public_key"].encode())
    assert body["key_id"] == audit.key_id(public) == body["checkpoints"][0]["key_id"]
    for entry in body["checkpoints"]:
        assert audit.SignedCheckpoint.parse(entry["line"]).signed_by(public)
    assert body["more"] is False
    after = api_client.get(CHECKPOINTS_URL, {"after": 10}).json()["checkpoints"]
    assert [c["seq"] for c in after] == [11]


def test_auditor_staff_read_the_checkpoints_and_analysts_do_not(client, two_checkpoints):
    client.force_login(StaffUserFactory(role="auditor"))
    assert client.get(CHECKPOINTS_URL).status_code == 200
    client.force_login(StaffUserFactory(role="analyst"))
    refused = client.get(CHECKPOINTS_URL)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "The audit checkpoints are for auditors and audit API keys."


def test_the_checkpoints_need_a_key_or_a_sign_in(api_client, two_checkpoints):
    assert api_client.get(CHECKPOINTS_URL).status_code in (401, 403)
    api_client.credentials(HTTP_AUTHORIZATION="Api-Key not.a-key")
    assert api_client.get(CHECKPOINTS_URL).status_code in (401, 403)



def test_a_process_that_lost_the_race_for_the_development_key_keeps_the_winners(
    tmp_path, settings
):
    # Two workers (or parallel test processes) may both find no key and both create one: the
    # second must not replace the key the first already signs with, nor show a half-written file.
    settings.VAR_DIR = tmp_path
    settings.HOTLINE_AUDIT_SIGNING_KEY = ""
    first = audit.key_id(audit.signing_key().public_key())
    path = tmp_path / "audit-signing-key.pem"
    written = path.read_bytes()

    audit._development_key_create(path)  # the late process, which saw no file a moment ago

    assert path.read_bytes() == written
    assert audit.key_id(audit.signing_key().public_key()) == first
    assert [p.name for p in tmp_path.iterdir()] == ["audit-signing-key.pem"]
    assert path.stat().st_mode & 0o777 == 0o600
