"""The removal clock: PostgreSQL: the due index and concurrent sweeps."""

import threading

import pytest
import time_machine
from django.db import connection, transaction

from hotline.actors import Actor
from reports import deadlines, outbox
from reports.models import MessageItem, Notice, OutgoingMessage, Report
from tests.reports.deadlines.support import DEADLINE, H, M, N, S, messages, reload, verbs
from tests.reports.factories import ActionableReportFactory, ProviderFactory, notice_send
from tests.reports.support import T0, deliver_due, run_together

pytestmark = pytest.mark.django_db


# --- PostgreSQL: the due index and concurrent sweeps ------------------------------------------


@pytest.mark.postgres
def test_the_due_query_uses_the_due_index(clock, policy, analyst):
    provider = ProviderFactory()
    reports = Report.objects.bulk_create(
        ActionableReportFactory.build(provider=provider, status=S.TAKEDOWN_REQUESTED)
        for _ in range(3000)
    )
    # Many open notices, few of them due: the index on due_at must decide, not a scan.
    Notice.objects.bulk_create(
        Notice(
            report=report,
            provider=provider,
            status=N.OPEN,
            sent_at=T0,
            deadline_at=T0 + 24 * H,
            due_at=T0 + (i % 97) * H if i % 150 else T0 - M,
            created_by_label="bulk",
        )
        for i, report in enumerate(reports)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_notice")
        cursor.execute("ANALYZE reports_report")

    with transaction.atomic():
        plan = deadlines.due_notices(T0, exclude=[0])[:500].explain()

    assert "notice_due_idx" in plan, plan
    assert "Seq Scan on reports_notice" not in plan, plan


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_fire_each_due_notice_once(policy, monkeypatch, mailoutbox):
    queued = []
    monkeypatch.setattr(  # keep the shared broker clean; the database is what counts
        "celery.app.base.Celery.send_task",
        lambda self, name, args=None, **kw: queued.append((name, args)),
    )
    system = Actor.system("test sender")
    with time_machine.travel(T0, tick=False) as clock:
        provider = ProviderFactory()
        sent = [
            notice_send(ActionableReportFactory(provider=provider).pk, actor=system)
            for _ in range(20)
        ]
        clock.move_to(DEADLINE)
        queued.clear()
        monkeypatch.setattr(outbox, "_last_kick", 0.0)  # the hand-offs' kick was a moment ago
        results = run_together(2, lambda _: deadlines.sweep_due(batch=5))
        assert queued and {name for name, _ in queued} == {"reports.tasks.outbox_drain"}
        assert deliver_due() == 1  # the 20 repeats to the one provider, in one message

    assert sum(r.notices.get("overdue", 0) for r in results) == 20
    assert all(r.failed == [] for r in results)
    for notice in sent:
        assert verbs(notice.report_id) == ["send_notice", "hand_off_notice", "mark_overdue"]
        assert messages(notice) == [("notice", 0), ("repeat", 1)]
    assert set(Notice.objects.values_list("status", flat=True)) == {N.OVERDUE}
    # Each item (20 notices, 20 repeats) was written once and went once: 20 notice messages,
    # each sent on its own, and one message carrying the repeats.
    assert OutgoingMessage.objects.filter(status="sent").count() == 21
    repeats = MessageItem.objects.filter(kind="repeat")
    assert repeats.count() == 20 and repeats.values("message").distinct().count() == 1
    assert not MessageItem.objects.filter(message__isnull=True).exists()
    assert len(mailoutbox) == 21


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_sweep_passes_over_a_report_someone_holds_and_a_later_sweep_fires_it(
    policy, monkeypatch
):
    monkeypatch.setattr("celery.app.base.Celery.send_task", lambda self, *a, **kw: None)
    system = Actor.system("test sender")
    with time_machine.travel(T0, tick=False) as clock:
        held, free = (notice_send(ActionableReportFactory().pk, actor=system) for _ in range(2))
        clock.move_to(DEADLINE)
        locked, release = threading.Event(), threading.Event()

        def analyst_at_work():
            try:
                with transaction.atomic():
                    Report.objects.select_for_update().get(pk=held.report_id)
                    locked.set()
                    release.wait(timeout=30)
            finally:
                connection.close()

        worker = threading.Thread(target=analyst_at_work)
        worker.start()
        assert locked.wait(timeout=30)
        try:
            first = deadlines.sweep_due()  # does not wait for the held report
        finally:
            release.set()
            worker.join(timeout=30)
        second = deadlines.sweep_due()

    assert first.notices == {"overdue": 1}
    assert reload(free).status == N.OVERDUE
    assert second.notices == {"overdue": 1}
    assert reload(held).status == N.OVERDUE
