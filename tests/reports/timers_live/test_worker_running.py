"""Deadlines with a real worker, beat and Redis: 1, 5, 6: with a worker running."""

from datetime import timedelta

from django.utils import timezone

from reports import workflow
from reports.models import Escalation, Event, Hold, MessageItem, Notice, Report
from tests.reports.factories import AgencyFactory, ProviderFactory
from tests.reports.live_worker import sweep_through, wait_until
from tests.reports.timers_live.support import (
    KIND,
    LIVE,
    ON_TIME,
    SLACK,
    S,
    actionable_report,
    assert_fired_once,
    events,
    handed_off,
    messages,
    seconds_until,
    send_notice,
    wait_overdue,
    wait_sent,
    wake_results,
)

pytestmark = LIVE


# --- 1, 5, 6: with a worker running -------------------------------------------------------------


class TestWithAWorkerRunning:
    # 1. A deadline fires on time.
    def test_a_5s_deadline_turns_the_report_overdue_on_time(self, worker, supervisor):
        notice = send_notice(supervisor, actionable_report(supervisor, ProviderFactory()))
        # The notice's on-commit delivery task went from this process to the worker: it is
        # sent, and the clock runs from then.
        notice = handed_off(notice)

        assert notice.deadline_at - notice.handed_off_at == timedelta(seconds=5)
        assert notice.due_at == notice.deadline_at
        wait_sent(notice, KIND.NOTICE)
        event = wait_overdue(notice)
        assert event.at < notice.deadline_at + ON_TIME, event.at - notice.deadline_at
        wait_sent(notice, KIND.REPEAT)
        assert_fired_once(notice)
        # No beat, no sweep: the ETA task scheduled on commit did it.
        assert wake_results(worker) == ["['overdue']"]

    # 5. A hold pauses the clock.
    def test_a_hold_moves_the_deadline_by_its_length_and_nothing_fires_during_it(
        self, worker, supervisor
    ):
        agency = AgencyFactory()
        report = actionable_report(supervisor, ProviderFactory())
        notice = handed_off(send_notice(supervisor, report))
        first_deadline = notice.deadline_at
        workflow.report_hold(
            report.pk,
            actor=supervisor,
            agency_id=agency.pk,
            until=timezone.now() + timedelta(minutes=5),
            agency_reference="INQ-5",
        )
        assert timezone.now() < first_deadline

        # The timer set for the first deadline goes off during the hold and does nothing; a
        # sweep after it finds nothing due either.
        wait_until(
            lambda: wake_results(worker),
            timeout=seconds_until(first_deadline) + SLACK,
            what="the first deadline's timer",
        )
        assert "nothing due" in sweep_through(worker)
        assert timezone.now() > first_deadline
        assert wake_results(worker) == ["[]"]
        assert events(notice, "mark_overdue") == []
        assert messages(notice) == [(KIND.NOTICE, 0)]
        notice.refresh_from_db()
        assert (notice.status, notice.due_at, notice.deadline_at) == (
            Notice.Status.OPEN,
            None,
            first_deadline,
        )
        assert Report.objects.get(pk=report.pk).status == S.ON_HOLD

        workflow.report_hold_release(report.pk, actor=supervisor)

        hold = Hold.objects.get(report=report)
        held = hold.released_at - hold.started_at
        assert held > first_deadline - hold.started_at
        notice.refresh_from_db()
        assert notice.deadline_at == first_deadline + held
        assert notice.due_at == notice.deadline_at
        assert notice.held_seconds == int(held.total_seconds())
        assert Report.objects.get(pk=report.pk).status == S.TAKEDOWN_REQUESTED
        # Only the timer scheduled on release can fire it: no beat runs.
        event = wait_overdue(notice)
        assert event.at < notice.deadline_at + ON_TIME, event.at - notice.deadline_at
        assert event.data["deadline_at"] == notice.deadline_at.isoformat()
        wait_sent(notice, KIND.REPEAT)
        assert_fired_once(notice)
        assert wake_results(worker) == ["[]", "['overdue']"]

    # 6. Police first.
    def test_the_police_window_holds_the_notice_back_and_a_hold_inside_it_stops_it(
        self, worker, supervisor, settings
    ):
        settings.HOTLINE_LEA_WINDOW = "3s"
        window = timedelta(seconds=3)
        police, provider = AgencyFactory(), ProviderFactory()
        free, held = (
            actionable_report(supervisor, provider),
            actionable_report(supervisor, provider),
        )

        scheduled = {}
        for report in (free, held):
            escalation = workflow.report_escalate(
                report.pk,
                actor=supervisor,
                agency_id=police.pk,
                kind=Escalation.Kind.NOTIFICATION,
                channel=Escalation.Channel.EMAIL,
                agency_reference="PV-6",
            )
            notice = send_notice(supervisor, report)
            assert notice.status == Notice.Status.SCHEDULED
            assert notice.scheduled_for == escalation.created_at + window
            assert notice.sent_at is None
            scheduled[report.pk] = notice
        free_notice, held_notice = scheduled[free.pk], scheduled[held.pk]
        workflow.report_hold(
            held.pk,
            actor=supervisor,
            agency_id=police.pk,
            until=timezone.now() + timedelta(minutes=5),
            agency_reference="PV-6",
        )
        assert timezone.now() < held_notice.scheduled_for  # the hold came inside the window

        def free_notice_sent():
            item = MessageItem.objects.filter(notice=free_notice, kind=KIND.NOTICE).first()
            if timezone.now() < free_notice.scheduled_for:
                assert item is None, "a notice went out inside the police window"
            return item

        item = wait_until(
            free_notice_sent,
            timeout=seconds_until(free_notice.scheduled_for) + SLACK,
            what="the notice to go out when the police window ends",
        )
        wait_sent(free_notice, KIND.NOTICE)
        free_notice.refresh_from_db()
        assert item.created_at >= free_notice.scheduled_for
        assert free_notice.status == Notice.Status.OPEN
        assert free_notice.scheduled_for <= free_notice.sent_at
        assert free_notice.sent_at < free_notice.scheduled_for + ON_TIME
        [sent_event] = events(free_notice, "send_notice")
        assert sent_event.actor_kind == Event.ActorKind.SYSTEM
        assert Report.objects.get(pk=free.pk).status == S.TAKEDOWN_REQUESTED

        # The held notice's window ended as well: its timer went off, a sweep ran, nothing sent.
        wait_until(
            lambda: "[]" in wake_results(worker),
            timeout=seconds_until(held_notice.scheduled_for) + SLACK,
            what="the held notice's timer",
        )
        sweep_through(worker)
        assert timezone.now() > held_notice.scheduled_for
        assert sorted(wake_results(worker)) == ["['sent']", "[]"]
        assert messages(held_notice) == []
        assert events(held_notice, "send_notice") == []
        assert Notice.objects.get(pk=held_notice.pk).status == Notice.Status.SCHEDULED
        assert Report.objects.get(pk=held.pk).status == S.ON_HOLD

        # Released, it goes out once the rest of its window has run.
        workflow.report_hold_release(held.pk, actor=supervisor)
        hold = Hold.objects.get(report=held)
        moved = held_notice.scheduled_for + (hold.released_at - hold.started_at)
        held_notice.refresh_from_db()
        assert held_notice.scheduled_for == moved
        message = wait_sent(held_notice, KIND.NOTICE, timeout=seconds_until(moved) + SLACK)
        held_notice.refresh_from_db()
        assert moved <= held_notice.sent_at < moved + ON_TIME
        assert message.created_at >= moved
        assert messages(held_notice) == [(KIND.NOTICE, 0)]
