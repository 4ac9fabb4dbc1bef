"""The audit trail: the database's refusals (PostgreSQL); concurrency (PostgreSQL)."""

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from hotline.actors import Actor
from reports import audit, workflow
from reports.audit import audit_checkpoint, audit_seal, audit_verify, chain_link
from reports.models import AuditSeal, Event
from tests.reports.audit.support import (
    AUDIT_TABLES,
    keep_checkpoint,
    submit,
    triggers_off,
    verify,
    verify_broken,
)
from tests.reports.factories import ReportFactory
from tests.reports.support import run_together

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
