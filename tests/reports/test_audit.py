"""The tamper-evident audit trail: one hash chain over every event, verified by a command.

Tampering is simulated by writing to the tables directly. On PostgreSQL the append-only trigger
refuses that, so those tests switch it off for their own statements with ``pgtrigger.ignore``:
exactly what someone with database access could do, and what ``audit verify`` must catch.
"""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from io import StringIO

import pgtrigger
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from hotline.actors import Actor
from reports import audit, workflow
from reports.audit import audit_verify, event_hash
from reports.intake import report_submit, submission_clean
from reports.models import GENESIS_HASH, AuditChainHead, Channel, Escalation, Event
from tests.reports.factories import AgencyFactory, ReportFactory

IGNORE_EVENT_TRIGGER = "reports.Event:event_append_only"
IGNORE_ESCALATION_TRIGGER = "reports.Escalation:escalation_append_only"


def verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def verify_broken() -> str:
    with pytest.raises(CommandError) as caught:
        verify()
    return str(caught.value)


def submit(url: str):
    return report_submit(
        submission=submission_clean(url=url), channel=Channel.WEB, actor=Actor.public()
    ).report


@pytest.fixture
def history(db):
    """Ten events from intake (with a duplicate) and the workflow, in one chain."""
    user = get_user_model().objects.create_superuser("sam", "sam@hotline.example")
    sam = Actor.for_user(user)
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
    return list(Event.objects.order_by("seq"))


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
    assert [e.seq for e in history] == list(range(1, 11))
    assert history[0].prev_hash == GENESIS_HASH
    for before, event in itertools.pairwise(history):
        assert event.prev_hash == before.hash
    for event in history:
        assert event.hash == event_hash(event, event.prev_hash)
    assert len({e.hash for e in history}) == 10
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (10, history[-1].hash)


def test_verify_prints_ok_with_the_count(history):
    assert verify() == "OK: 10 events, chain intact.\n"


@pytest.mark.django_db
def test_verify_an_empty_trail():
    assert verify() == "OK: 0 events, chain intact.\n"


# --- tampering (SQLite, and PostgreSQL with the trigger switched off) ---------------------------


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
def test_changed_content_is_caught_at_that_event(history, field, value):
    target = history[4]  # assess_illegal, seq 5
    if value == "shift":
        value = target.at - timedelta(minutes=5)
    elif value == "other":
        value = history[2].report_id
    with pgtrigger.ignore(IGNORE_EVENT_TRIGGER):
        assert Event.objects.filter(pk=target.pk).update(**{field: value}) == 1

    message = verify_broken()

    assert message.startswith("BROKEN at event 5: its content does not match its hash")
    assert "(4 events verified before it)" in message


def test_rehashing_a_changed_event_breaks_the_link_to_the_next(history):
    target = history[4]
    target.data = {**target.data, "industry_category": "B2"}
    with pgtrigger.ignore(IGNORE_EVENT_TRIGGER):
        Event.objects.filter(pk=target.pk).update(
            data=target.data, hash=event_hash(target, target.prev_hash)
        )

    assert verify_broken().startswith(
        "BROKEN at event 6: its previous-hash does not match the event before it"
    )


def test_a_deleted_event_in_the_middle_is_caught(history):
    with pgtrigger.ignore(IGNORE_EVENT_TRIGGER):
        Event.objects.filter(seq=7).delete()

    assert verify_broken().startswith("BROKEN at event 7: event 7 is missing")


def test_renumbering_after_a_deletion_is_caught(history):
    with pgtrigger.ignore(IGNORE_EVENT_TRIGGER):
        Event.objects.filter(seq=7).delete()
        for seq in range(8, 11):
            Event.objects.filter(seq=seq).update(seq=seq - 1)

    assert verify_broken().startswith("BROKEN at event 7:")


@pytest.mark.parametrize("removed", [1, 3])
def test_deleting_the_newest_events_is_caught_by_the_chain_head(history, removed):
    with pgtrigger.ignore(IGNORE_EVENT_TRIGGER):
        Event.objects.filter(seq__gt=10 - removed).delete()

    message = verify_broken()

    assert message.startswith(f"BROKEN at event {11 - removed}: the chain head records 10 events")
    assert f"({10 - removed} events verified before it)" in message


def test_deleting_the_newest_events_and_the_chain_head_is_caught(history):
    with pgtrigger.ignore(IGNORE_EVENT_TRIGGER):
        Event.objects.filter(seq__gt=8).delete()
    AuditChainHead.objects.all().delete()

    assert verify_broken().startswith("BROKEN at event 9:")


def test_deleting_everything_but_the_chain_head_is_caught(history):
    with pgtrigger.ignore(IGNORE_EVENT_TRIGGER):
        Event.objects.all().delete()

    assert verify_broken().startswith("BROKEN at event 1: the chain head records 10 events")


def test_the_chain_goes_on_after_verification(history):
    verify()
    workflow.report_release(history[-1].report_id, actor=Actor.for_user(history[-1].actor_user))

    assert verify() == "OK: 11 events, chain intact.\n"


# --- the trigger (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("table", "statement"),
    [
        ("reports_event", "UPDATE reports_event SET verb = 'x'"),
        ("reports_event", "UPDATE reports_event SET data = '{}' WHERE seq = 5"),
        ("reports_event", "DELETE FROM reports_event"),
        ("reports_event", "DELETE FROM reports_event WHERE seq = 10"),
        ("reports_escalation", "UPDATE reports_escalation SET agency_reference = 'x'"),
        ("reports_escalation", "DELETE FROM reports_escalation"),
    ],
)
def test_the_database_refuses_to_change_or_delete_events_and_escalations(history, table, statement):
    before = {
        "reports_event": list(Event.objects.order_by("seq").values()),
        "reports_escalation": list(Escalation.objects.values()),
    }

    with (
        pytest.raises(DatabaseError) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert f"Cannot update or delete rows from {table} table" in str(caught.value)
    assert list(Event.objects.order_by("seq").values()) == before["reports_event"]
    assert list(Escalation.objects.values()) == before["reports_escalation"]
    assert verify() == "OK: 10 events, chain intact.\n"


@pytest.mark.postgres
@pytest.mark.parametrize("operation", ["update", "delete"])
def test_the_orm_is_refused_too(history, operation):
    events = Event.objects.filter(seq=3)
    refused = pytest.raises(DatabaseError, match="Cannot update or delete rows from reports_event")
    with refused, transaction.atomic():
        if operation == "update":
            events.update(verb="x")
        else:
            events.delete()
    assert Event.objects.get(seq=3).verb == "received"


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
def test_events_appended_from_many_connections_chain_in_order():
    user = get_user_model().objects.create_superuser("sam", "sam@hotline.example")
    reports = [ReportFactory() for _ in range(THREADS)]

    def work(i):
        # Intake and workflow events interleave: each thread files one report and claims another.
        submit(f"https://race{i}.example.com/x")
        workflow.report_claim(reports[i].pk, actor=Actor.for_user(user))
        workflow.report_release(reports[i].pk, actor=Actor.for_user(user))

    run_together(THREADS, work)

    events = list(Event.objects.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, 3 * THREADS + 1))
    assert all(e.prev_hash == before.hash for before, e in itertools.pairwise(events))
    assert verify() == f"OK: {3 * THREADS} events, chain intact.\n"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_verify_while_analysts_work_is_no_false_alarm(monkeypatch):
    """An event committed while ``audit verify`` walks the chain is not a break."""
    user = get_user_model().objects.create_superuser("sam", "sam@hotline.example")
    for i in range(3):
        submit(f"https://busy{i}.example.com/x")
    busy = ReportFactory()
    original_hash = audit.event_hash
    appended = []

    def event_hash_while_someone_claims(event, prev_hash):
        if not appended:  # once, in the middle of the walk, from another connection
            appended.append(True)
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(
                    lambda: (
                        workflow.report_claim(busy.pk, actor=Actor.for_user(user)),
                        connection.close(),
                    )
                ).result()
        return original_hash(event, prev_hash)

    monkeypatch.setattr(audit, "event_hash", event_hash_while_someone_claims)

    assert audit_verify().ok
    assert Event.objects.count() == 4
    monkeypatch.undo()
    assert verify() == "OK: 4 events, chain intact.\n"
