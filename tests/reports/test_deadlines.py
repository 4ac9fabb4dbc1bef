"""The removal clock: reminders, the deadline, repeats, escalation, holds, the police window,
removal, withdrawal, the sweep, and the admin's view of it.

Time moves only with time-machine. The timer functions (``notice_fire_due``, ``notice_wake``,
``sweep_due``) are called directly, as the Celery tasks and the beat would call them.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from io import StringIO
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from hotline.actors import Actor
from hotline.errors import DomainError
from hotline.models import Agency, PartnerHotline, Provider
from reports import deadlines, notices, workflow
from reports.models import (
    Escalation,
    Event,
    Hold,
    Notice,
    OutgoingMessage,
    Report,
    ReportStatus,
)
from tests.reports.factories import (
    ActionableReportFactory,
    AgencyFactory,
    ProviderFactory,
    StaffUserFactory,
    notice_hand_off,
    notice_send,
)

S = ReportStatus
N = Notice.Status
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
DEADLINE = T0 + 24 * H

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def policy(settings):
    """The defaults, spelt out: the arithmetic below depends on them."""
    settings.HOTLINE_TAKEDOWN_DEADLINE = "24h"
    settings.HOTLINE_REMINDER_BEFORE = "4h"
    settings.HOTLINE_REPEAT_INTERVAL = "24h"
    settings.HOTLINE_MAX_REPEATS = 3
    settings.HOTLINE_ESCALATE_AFTER = ""
    settings.HOTLINE_ESCALATION_AGENCY = ""
    settings.HOTLINE_LEA_WINDOW = ""
    return settings


@pytest.fixture
def analyst(db):
    return Actor.for_user(StaffUserFactory(username="ann", role="analyst"))


@pytest.fixture
def supervisor(db):
    return Actor.for_user(StaffUserFactory(username="sam", role="supervisor"))


@pytest.fixture
def police(db):
    return AgencyFactory(name="National Police", kind=Agency.Kind.POLICE)


@pytest.fixture
def notice(db, clock, policy, analyst):
    """A notice sent at T0 with a 24 h deadline."""
    report = ActionableReportFactory()
    return notice_send(report.pk, actor=analyst)


def fire(notice: Notice) -> list[str]:
    return workflow.notice_fire_due(notice.pk)


def reload(notice: Notice) -> Notice:
    return Notice.objects.select_related("report").get(pk=notice.pk)


def messages(notice: Notice, kind: str | None = None) -> list[tuple[str, int]]:
    rows = OutgoingMessage.objects.filter(notice=notice)
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.order_by("id").values_list("kind", "attempt"))


def verbs(report_id: int) -> list[str]:
    """The workflow's events (the mailer's hand-offs are tested with the messages)."""
    events = Event.objects.filter(report_id=report_id).exclude(verb="message_handed_off")
    return list(events.values_list("verb", flat=True))


def hold(report_id: int, actor: Actor, agency: Agency, until: datetime) -> Report:
    return workflow.report_hold(
        report_id, actor=actor, agency_id=agency.pk, until=until, agency_reference="OPS-7"
    )


# --- before the deadline ----------------------------------------------------------------------


def test_nothing_fires_before_the_reminder(clock, notice):
    clock.move_to(DEADLINE - 4 * H - timedelta(seconds=1))
    assert fire(notice) == []
    assert deadlines.sweep_due().notices == {}
    assert messages(notice) == [("notice", 0)]
    assert verbs(notice.report_id) == ["send_notice", "hand_off_notice"]


def test_the_reminder_goes_out_once_before_the_deadline(clock, notice):
    clock.move_to(DEADLINE - 4 * H)

    assert fire(notice) == ["reminder"]
    assert fire(notice) == []
    assert deadlines.sweep_due().notices == {}

    notice = reload(notice)
    assert messages(notice, "reminder") == [("reminder", 0)]
    assert notice.reminder_sent_at == DEADLINE - 4 * H
    assert notice.status == N.OPEN
    assert notice.report.status == S.TAKEDOWN_REQUESTED
    assert notice.due_at == DEADLINE
    assert verbs(notice.report_id) == ["send_notice", "hand_off_notice", "notice_timer"]
    clock.move_to(DEADLINE - M)
    assert fire(notice) == []
    assert messages(notice, "reminder") == [("reminder", 0)]


def test_no_reminder_when_the_deadline_is_shorter_than_the_reminder_lead(clock, policy, analyst):
    policy.HOTLINE_TAKEDOWN_DEADLINE = "2h"
    notice = notice_send(ActionableReportFactory().pk, actor=analyst)
    clock.move_to(T0 + 2 * H - M)
    assert fire(notice) == []
    clock.move_to(T0 + 2 * H)
    assert fire(notice) == ["overdue"]
    assert messages(notice, "reminder") == []


# --- the deadline and after -------------------------------------------------------------------


def test_at_the_deadline_the_notice_is_overdue_with_one_repeat(clock, notice):
    clock.move_to(DEADLINE - timedelta(seconds=1))
    assert fire(notice) == ["reminder"]  # late, but before the deadline: still a reminder
    clock.move_to(DEADLINE)

    assert fire(notice) == ["overdue"]

    notice = reload(notice)
    assert notice.status == N.OVERDUE
    assert notice.report.status == S.OVERDUE
    assert notice.report.status_changed_at == DEADLINE
    assert notice.repeats_sent == 1
    assert messages(notice, "repeat") == [("repeat", 1)]
    event = Event.objects.get(report_id=notice.report_id, verb="mark_overdue")
    assert (event.from_status, event.to_status) == (S.TAKEDOWN_REQUESTED, S.OVERDUE)
    assert event.actor_kind == "system"
    assert event.data["deadline_at"] == DEADLINE.isoformat()
    assert notice.due_at == DEADLINE + 24 * H  # the next repeat


def test_a_repeat_every_interval_and_never_more_than_the_maximum(clock, notice):
    seen = []
    for day in range(0, 8):
        clock.move_to(DEADLINE + day * 24 * H)
        seen.append(fire(notice))
        clock.move_to(DEADLINE + day * 24 * H + 23 * H)
        assert fire(notice) == []  # nothing between the repeats
    assert seen == [["overdue"], ["repeat"], ["repeat"], [], [], [], [], []]
    assert messages(notice, "repeat") == [("repeat", 1), ("repeat", 2), ("repeat", 3)]
    notice = reload(notice)
    assert notice.repeats_sent == 3
    assert notice.due_at is None  # nothing left for a timer to do
    assert notice.status == N.OVERDUE  # still overdue until removed


@pytest.mark.parametrize("max_repeats", [1, 5])
def test_the_maximum_number_of_repeats_is_a_setting(clock, notice, policy, max_repeats):
    policy.HOTLINE_MAX_REPEATS = max_repeats
    for day in range(10):
        clock.move_to(DEADLINE + day * 24 * H)
        deadlines.sweep_due()
    assert len(messages(notice, "repeat")) == max_repeats


def test_after_a_long_outage_one_repeat_is_sent_for_the_missed_ones(clock, notice, policy):
    policy.HOTLINE_MAX_REPEATS = 10
    clock.move_to(DEADLINE)
    assert fire(notice) == ["overdue"]

    clock.move_to(DEADLINE + 5 * 24 * H + 3 * H)  # five intervals later, nothing ran
    assert deadlines.sweep_due().notices == {"repeat": 1}
    assert deadlines.sweep_due().notices == {}

    assert messages(notice, "repeat") == [("repeat", 1), ("repeat", 6)]
    notice = reload(notice)
    assert notice.repeats_sent == 6
    assert notice.due_at == DEADLINE + 6 * 24 * H  # back on the interval grid


def test_an_outage_over_the_deadline_makes_it_overdue_with_one_repeat(clock, notice):
    clock.move_to(DEADLINE + 5 * 24 * H)
    assert deadlines.sweep_due().notices == {"overdue": 1}
    assert deadlines.sweep_due().notices == {}
    assert messages(notice) == [("notice", 0), ("repeat", 3)]
    assert verbs(notice.report_id) == ["send_notice", "hand_off_notice", "mark_overdue"]


def test_firing_and_sweeping_again_at_the_same_moment_fires_nothing_new(clock, notice):
    clock.move_to(DEADLINE)
    results = [fire(notice) for _ in range(3)]
    results += [deadlines.sweep_due().notices for _ in range(3)]
    assert results == [["overdue"], [], [], {}, {}, {}]
    assert verbs(notice.report_id) == ["send_notice", "hand_off_notice", "mark_overdue"]
    assert messages(notice) == [("notice", 0), ("repeat", 1)]


def test_the_sweep_finds_due_notices_in_batches(clock, policy, analyst):
    sent = [notice_send(ActionableReportFactory().pk, actor=analyst) for _ in range(5)]
    clock.move_to(DEADLINE)
    assert deadlines.sweep_due(batch=2).notices == {"overdue": 5}
    assert set(Notice.objects.values_list("status", flat=True)) == {N.OVERDUE}
    assert all(messages(n, "repeat") == [("repeat", 1)] for n in sent)


# --- escalation -------------------------------------------------------------------------------


@pytest.fixture
def regulator(db):
    return AgencyFactory(
        name="Online Safety Regulator", kind=Agency.Kind.REGULATOR, contact_email="nc@reg.example"
    )


def test_non_compliance_is_escalated_to_the_configured_agency_once(
    clock, notice, policy, regulator
):
    policy.HOTLINE_ESCALATE_AFTER = "24h"
    policy.HOTLINE_ESCALATION_AGENCY = regulator.name
    clock.move_to(DEADLINE)
    assert fire(notice) == ["overdue"]
    clock.move_to(DEADLINE + 24 * H - M)
    assert fire(notice) == []
    assert not Escalation.objects.exists()

    clock.move_to(DEADLINE + 24 * H)
    assert sorted(fire(notice)) == ["escalation", "repeat"]

    escalation = Escalation.objects.get()
    assert escalation.report_id == notice.report_id
    assert escalation.agency == regulator
    assert escalation.kind == Escalation.Kind.NON_COMPLIANCE
    assert escalation.channel == Escalation.Channel.SYSTEM
    assert escalation.created_by_label == "deadline timer"
    [message] = OutgoingMessage.objects.filter(notice=notice, kind="escalation")
    assert message.to_address == "nc@reg.example"
    assert message.xarf is None
    assert reload(notice).escalated_at == DEADLINE + 24 * H

    for hours in (24, 48, 72, 200):
        clock.move_to(DEADLINE + (24 + hours) * H)
        deadlines.sweep_due()
        fire(notice)
    assert Escalation.objects.count() == 1
    assert messages(notice, "escalation") == [("escalation", 0)]
    event = Event.objects.get(report_id=notice.report_id, verb="escalate")
    assert event.data["kind"] == "non_compliance"
    assert event.to_status == S.OVERDUE


def test_an_escalation_agency_without_an_address_is_never_sent_the_providers_address(
    clock, notice, policy
):
    agency = AgencyFactory(name="Quiet Regulator", kind=Agency.Kind.REGULATOR, contact_email="")
    policy.HOTLINE_ESCALATE_AFTER = "1h"
    policy.HOTLINE_ESCALATION_AGENCY = agency.name
    clock.move_to(DEADLINE + H)
    deadlines.sweep_due()
    escalation = Escalation.objects.get()
    assert "no e-mail address" in escalation.note
    assert messages(notice, "escalation") == []
    provider_address = reload(notice).provider.abuse_email
    assert not OutgoingMessage.objects.filter(
        kind="escalation", to_address=provider_address
    ).exists()


@pytest.mark.parametrize(
    ("after", "agency_name"),
    [("", ""), ("24h", ""), ("", "Online Safety Regulator"), ("24h", "No Such Agency")],
    ids=["neither", "no-agency", "no-delay", "unknown-agency"],
)
def test_without_both_settings_nothing_is_ever_escalated(
    clock, notice, policy, regulator, after, agency_name
):
    policy.HOTLINE_ESCALATE_AFTER = after
    policy.HOTLINE_ESCALATION_AGENCY = agency_name
    for day in range(0, 10):
        clock.move_to(DEADLINE + day * 24 * H)
        deadlines.sweep_due()
    assert not Escalation.objects.exists()
    assert messages(notice, "escalation") == []
    assert reload(notice).due_at is None


def test_a_misconfigured_escalation_cannot_keep_the_sweep_busy(clock, policy, analyst):
    policy.HOTLINE_ESCALATE_AFTER = "1h"
    policy.HOTLINE_ESCALATION_AGENCY = "No Such Agency"
    for _ in range(3):
        notice_send(ActionableReportFactory().pk, actor=analyst)
    clock.move_to(DEADLINE + 2 * H)
    assert deadlines.sweep_due(batch=1).notices == {"overdue": 3}
    clock.move_to(DEADLINE + 3 * H)
    assert deadlines.sweep_due(batch=1).notices == {}  # returns: nothing left due


def test_a_due_notice_with_nothing_to_do_is_picked_once_per_sweep(
    clock, notice, policy, monkeypatch
):
    clock.move_to(DEADLINE)
    fire(notice)  # the next repeat is due in 24h ...
    policy.HOTLINE_REPEAT_INTERVAL = "48h"  # ... but the interval changed with a deploy
    clock.move_to(DEADLINE + 25 * H)
    calls = []
    fire_due = workflow.notice_fire_due

    def counting(notice_id, **options):
        calls.append(notice_id)
        assert len(calls) < 10, "the sweep keeps picking the same notice"
        return fire_due(notice_id, **options)

    monkeypatch.setattr(workflow, "notice_fire_due", counting)
    assert deadlines.sweep_due(batch=1).notices == {}
    assert calls == [notice.pk]
    clock.move_to(DEADLINE + 48 * H)
    assert deadlines.sweep_due(batch=1).notices == {"repeat": 1}


# --- wake-ups ---------------------------------------------------------------------------------


def test_a_wake_up_with_the_current_deadline_fires(clock, notice):
    clock.move_to(DEADLINE)
    assert deadlines.notice_wake(notice.pk, DEADLINE.isoformat()) == ["overdue"]
    assert deadlines.notice_wake(notice.pk, DEADLINE.isoformat()) == []


def test_a_wake_up_for_a_deadline_that_moved_does_nothing(clock, notice, supervisor, police):
    old_key = DEADLINE.isoformat()
    clock.move_to(T0 + H)
    hold(notice.report_id, supervisor, police, until=T0 + 10 * H)
    clock.move_to(T0 + 3 * H)
    workflow.report_hold_release(notice.report_id, actor=supervisor)
    new_deadline = DEADLINE + 2 * H
    assert reload(notice).deadline_at == new_deadline

    clock.move_to(new_deadline)  # due by the new deadline, but the wake-up is for the old one
    assert deadlines.notice_wake(notice.pk, old_key) == []
    assert reload(notice).status == N.OPEN
    assert deadlines.notice_wake(notice.pk, new_deadline.isoformat()) == ["overdue"]


def test_a_wake_up_for_a_finished_notice_does_nothing(clock, notice, analyst):
    workflow.report_confirm_removal(notice.report_id, actor=analyst)
    clock.move_to(DEADLINE)
    assert deadlines.notice_wake(notice.pk, DEADLINE.isoformat()) == []


def test_releasing_a_hold_schedules_wake_ups_for_the_moved_deadline(
    clock, notice, supervisor, police, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(
        "celery.app.base.Celery.send_task",
        lambda self, name, args=None, eta=None, **kw: calls.append((name, args, eta)),
    )
    clock.move_to(DEADLINE - M)
    assert fire(notice) == ["reminder"]
    with django_capture_on_commit_callbacks(execute=True):
        hold(notice.report_id, supervisor, police, until=T0 + 10 * 24 * H)
    assert calls == []  # the clock is paused: nothing to wake up for
    clock.shift(timedelta(seconds=30))
    with django_capture_on_commit_callbacks(execute=True):
        workflow.report_hold_release(notice.report_id, actor=supervisor)
    # The moved deadline is 1 minute ahead, inside the wake-up horizon.
    moved = DEADLINE + timedelta(seconds=30)
    assert calls == [("reports.tasks.notice_wake", [notice.pk, moved.isoformat()], moved)]


# --- holds ------------------------------------------------------------------------------------


def test_nothing_fires_during_a_hold_and_release_moves_the_deadline_by_its_length(
    clock, notice, supervisor, police
):
    clock.move_to(T0 + 2 * H)
    report = hold(notice.report_id, supervisor, police, until=T0 + 10 * 24 * H)
    assert report.status == S.ON_HOLD
    assert reload(notice).due_at is None

    for at in (DEADLINE - 4 * H, DEADLINE, DEADLINE + 24 * H, T0 + 5 * 24 * H):
        clock.move_to(at)
        assert fire(notice) == []
        assert deadlines.sweep_due().notices == {}
    assert messages(notice) == [("notice", 0)]

    clock.move_to(T0 + 5 * 24 * H)
    report = workflow.report_hold_release(notice.report_id, actor=supervisor)

    held = 5 * 24 * H - 2 * H
    notice = reload(notice)
    assert report.status == S.TAKEDOWN_REQUESTED
    assert report.status_before_hold == ""
    assert notice.status == N.OPEN
    assert notice.deadline_at == DEADLINE + held
    assert notice.held_seconds == int(held.total_seconds())
    # No reminder: it would name the deadline the provider was given, which passed in the hold.
    assert notice.due_at == DEADLINE + held
    hold_row = Hold.objects.get()
    assert hold_row.notice == notice
    assert hold_row.released_at == T0 + 5 * 24 * H
    event = Event.objects.filter(verb="release_hold").get()
    assert event.data["held_seconds"] == int(held.total_seconds())
    assert event.data["deadline_at"] == (DEADLINE + held).isoformat()
    assert (event.from_status, event.to_status) == (S.ON_HOLD, S.TAKEDOWN_REQUESTED)

    clock.move_to(DEADLINE + held - M)
    assert fire(notice) == []
    clock.move_to(DEADLINE + held)
    assert fire(notice) == ["overdue"]


def test_a_notice_held_before_its_hand_off_waits_and_its_clock_starts_after_the_hold(
    clock, policy, analyst, supervisor, police, mailoutbox
):
    notice = workflow.report_send_notice(ActionableReportFactory().pk, actor=analyst)
    clock.move_to(T0 + 10 * M)
    hold(notice.report_id, supervisor, police, until=T0 + 10 * 24 * H)
    assert Hold.objects.get().notice_id == notice.pk

    for at in (T0 + 2 * H, DEADLINE, DEADLINE + 24 * H):  # the mail server is up all along
        clock.move_to(at)
        deadlines.sweep_due()
        assert notices.messages_redeliver() == 0
    assert mailoutbox == []  # the agency asked the hotline not to alert the provider yet
    assert reload(notice).status == N.DELIVERING

    workflow.report_hold_release(notice.report_id, actor=supervisor)
    notice = reload(notice)
    # The clock had not started: nothing to move, no held time to take off later.
    assert (notice.status, notice.deadline_at, notice.held_seconds) == (N.DELIVERING, None, 0)
    assert notice.report.status == S.TAKEDOWN_REQUESTED

    assert notices.messages_redeliver() == 1  # the next redelivery hands it over
    notice = reload(notice)
    assert notice.status == N.OPEN
    assert notice.handed_off_at == DEADLINE + 24 * H
    assert notice.deadline_at == DEADLINE + 48 * H
    assert len(mailoutbox) == 1


def test_a_hold_on_an_overdue_notice_pauses_its_repeats(clock, notice, supervisor, police):
    clock.move_to(DEADLINE)
    fire(notice)
    clock.move_to(DEADLINE + 2 * H)
    hold(notice.report_id, supervisor, police, until=DEADLINE + 30 * 24 * H)
    clock.move_to(DEADLINE + 5 * 24 * H)
    assert deadlines.sweep_due().notices == {}
    workflow.report_hold_release(notice.report_id, actor=supervisor)
    notice = reload(notice)
    assert notice.report.status == S.OVERDUE
    assert notice.deadline_at == DEADLINE + 5 * 24 * H - 2 * H
    assert messages(notice, "repeat") == [("repeat", 1)]
    clock.move_to(notice.deadline_at + 24 * H)
    assert fire(notice) == ["repeat"]


def test_the_sweep_releases_an_expired_hold_by_its_planned_length(
    clock, notice, supervisor, police
):
    clock.move_to(T0 + 2 * H)
    hold(notice.report_id, supervisor, police, until=T0 + 6 * H)
    clock.move_to(T0 + 11 * H)  # the hold ended five hours ago; the sweep finds it now

    result = deadlines.sweep_due()

    assert result.holds_released == 1
    assert deadlines.sweep_due().holds_released == 0
    notice = reload(notice)
    assert notice.report.status == S.TAKEDOWN_REQUESTED
    assert notice.deadline_at == DEADLINE + 4 * H  # until - start, not until the sweep ran
    assert notice.held_seconds == 4 * 3600
    assert Hold.objects.get().released_at == T0 + 6 * H
    event = Event.objects.get(verb="release_hold")
    assert event.actor_kind == "system"
    assert event.data["expired"] is True
    assert event.data["held_seconds"] == 4 * 3600


# --- the police window ------------------------------------------------------------------------


@pytest.fixture
def window(policy):
    policy.HOTLINE_LEA_WINDOW = "60m"
    return policy


def notify_police(report_id: int, actor: Actor, agency: Agency) -> Escalation:
    return workflow.report_escalate(
        report_id, actor=actor, agency_id=agency.pk, kind="notification", channel="email"
    )


def test_with_a_police_window_a_notice_needs_the_police_notified_first(
    clock, window, analyst, supervisor
):
    report = ActionableReportFactory()
    regulator = AgencyFactory(name="Regulator", kind=Agency.Kind.REGULATOR)
    notify_police(report.pk, supervisor, regulator)  # a regulator is not the police
    before = (Notice.objects.count(), Event.objects.count())

    with pytest.raises(DomainError, match="Notify the police first") as excinfo:
        workflow.report_send_notice(report.pk, actor=analyst)

    assert "60m" in excinfo.value.message
    assert (Notice.objects.count(), Event.objects.count()) == before


def test_a_notice_in_the_police_window_is_scheduled_and_sent_when_it_ends(
    clock, window, analyst, supervisor, police, mailoutbox
):
    report = ActionableReportFactory()
    notify_police(report.pk, supervisor, police)  # at T0
    clock.move_to(T0 + 10 * M)

    notice = workflow.report_send_notice(report.pk, actor=analyst)

    notice = reload(notice)
    assert notice.status == N.SCHEDULED
    assert notice.scheduled_for == T0 + 60 * M
    assert notice.sent_at is None and notice.deadline_at is None
    assert notice.report.status == S.ACTIONABLE
    assert messages(notice) == []
    assert (
        Event.objects.filter(verb="schedule_notice").get().data["scheduled_for"]
        == (T0 + 60 * M).isoformat()
    )

    for at in (T0 + 30 * M, T0 + 60 * M - timedelta(seconds=1)):
        clock.move_to(at)
        assert deadlines.sweep_due().notices == {}
        assert fire(notice) == []
    assert messages(notice) == []

    clock.move_to(T0 + 60 * M)
    assert deadlines.sweep_due().notices == {"sent": 1}
    assert deadlines.sweep_due().notices == {}

    notice = reload(notice)
    assert notice.status == N.DELIVERING  # sent, not yet accepted by the provider's mail server
    assert notice.report.status == S.TAKEDOWN_REQUESTED
    assert notice.sent_at == T0 + 60 * M
    assert notice.deadline_at is None
    assert messages(notice) == [("notice", 0)]
    clock.move_to(T0 + 62 * M)
    notice = notice_hand_off(notice)
    assert notice.status == N.OPEN
    assert notice.handed_off_at == T0 + 62 * M
    assert notice.deadline_at == T0 + 62 * M + 24 * H
    event = Event.objects.get(verb="send_notice")
    assert event.actor_kind == "system"
    assert (event.from_status, event.to_status) == (S.ACTIONABLE, S.TAKEDOWN_REQUESTED)


def test_after_the_window_the_analyst_sends_at_once(clock, window, analyst, supervisor, police):
    report = ActionableReportFactory()
    notify_police(report.pk, supervisor, police)
    clock.move_to(T0 + 60 * M)
    notice = reload(notice_send(report.pk, actor=analyst))
    assert notice.status == N.OPEN
    assert notice.sent_at == T0 + 60 * M


def test_a_hold_inside_the_police_window_stops_the_notice_and_release_moves_it(
    clock, window, analyst, supervisor, police
):
    report = ActionableReportFactory()
    notify_police(report.pk, supervisor, police)
    clock.move_to(T0 + 10 * M)
    notice = workflow.report_send_notice(report.pk, actor=analyst)
    clock.move_to(T0 + 20 * M)
    hold(report.pk, supervisor, police, until=T0 + 5 * H)

    for at in (T0 + 60 * M, T0 + 2 * H):
        clock.move_to(at)
        assert deadlines.sweep_due().notices == {}
    assert messages(notice) == []

    workflow.report_hold_release(report.pk, actor=supervisor)  # at T0 + 2h: held 100 minutes
    notice = reload(notice)
    assert notice.report.status == S.ACTIONABLE
    assert notice.status == N.SCHEDULED
    assert notice.scheduled_for == T0 + 160 * M
    assert notice.held_seconds == 100 * 60

    clock.move_to(T0 + 160 * M - timedelta(seconds=1))
    assert deadlines.sweep_due().notices == {}
    clock.move_to(T0 + 160 * M)
    assert deadlines.sweep_due().notices == {"sent": 1}
    notice = notice_hand_off(reload(notice))
    assert notice.sent_at == T0 + 160 * M
    assert notice.deadline_at == T0 + 160 * M + 24 * H
    assert notice.report.status == S.TAKEDOWN_REQUESTED


def test_without_a_police_window_the_analyst_sends_at_once(clock, policy, analyst):
    notice = reload(notice_send(ActionableReportFactory().pk, actor=analyst))
    assert notice.status == N.OPEN
    assert notice.sent_at == T0
    assert messages(notice) == [("notice", 0)]


# --- removal ----------------------------------------------------------------------------------


def test_an_analyst_verifies_removal(clock, notice, analyst):
    clock.move_to(T0 + 3 * H)
    report = workflow.report_confirm_removal(notice.report_id, actor=analyst)
    notice = reload(notice)
    assert report.status == S.REMOVED
    assert notice.status == N.REMOVED
    assert notice.removed_at == T0 + 3 * H
    assert notice.removal_confirmed_at is None
    assert notice.due_at is None
    event = Event.objects.get(verb="confirm_removal")
    assert event.data["source"] == "analyst"
    assert event.data["late"] is False
    assert (event.from_status, event.to_status) == (S.TAKEDOWN_REQUESTED, S.REMOVED)


def test_the_provider_confirms_removal_with_its_api_key(clock, notice):
    provider = Actor(kind="api_key", label="providerapikey:abc")
    clock.move_to(T0 + 3 * H)
    workflow.report_confirm_removal(notice.report_id, actor=provider, removed_at=T0 + 2 * H)
    notice = reload(notice)
    assert notice.report.status == S.REMOVED
    assert notice.removed_at == T0 + 2 * H
    assert notice.removal_confirmed_at == T0 + 2 * H
    event = Event.objects.get(verb="confirm_removal")
    assert (event.actor_kind, event.actor_label) == ("api_key", "providerapikey:abc")
    assert event.data["source"] == "provider"


@pytest.mark.parametrize(
    "removed_at", [T0 - timedelta(seconds=1), T0 + 3 * H + timedelta(seconds=1)]
)
def test_a_removal_time_before_the_notice_or_in_the_future_is_refused(
    clock, notice, analyst, removed_at
):
    clock.move_to(T0 + 3 * H)
    before = Event.objects.count()
    with pytest.raises(DomainError, match="between the notice reaching the provider"):
        workflow.report_confirm_removal(notice.report_id, actor=analyst, removed_at=removed_at)
    assert Event.objects.count() == before
    notice = reload(notice)
    assert notice.status == N.OPEN and notice.removed_at is None
    assert notice.report.status == S.TAKEDOWN_REQUESTED


def test_an_overdue_notice_can_still_be_removed_late(clock, notice, analyst):
    clock.move_to(DEADLINE)
    fire(notice)
    clock.move_to(DEADLINE + 6 * H)
    report = workflow.report_confirm_removal(notice.report_id, actor=analyst)
    notice = reload(notice)
    assert report.status == S.REMOVED
    assert notice.removed_at == DEADLINE + 6 * H
    assert notice.removed_at > notice.deadline_at
    event = Event.objects.get(verb="confirm_removal")
    assert event.from_status == S.OVERDUE
    assert event.data["late"] is True


def test_after_removal_nothing_fires(clock, notice, analyst):
    workflow.report_confirm_removal(notice.report_id, actor=analyst)
    for at in (DEADLINE - 4 * H, DEADLINE, DEADLINE + 10 * 24 * H):
        clock.move_to(at)
        assert fire(notice) == []
        assert deadlines.sweep_due().notices == {}
    assert messages(notice) == [("notice", 0)]
    assert verbs(notice.report_id) == ["send_notice", "hand_off_notice", "confirm_removal"]


def test_removal_without_a_running_notice_is_refused(clock, policy, analyst):
    report = ActionableReportFactory()
    with pytest.raises(DomainError, match="Confirm removal"):
        workflow.report_confirm_removal(report.pk, actor=analyst)


# --- withdrawal -------------------------------------------------------------------------------


def test_a_withdrawn_notice_puts_the_report_back_and_stops_its_timers(clock, notice, analyst):
    clock.move_to(T0 + H)
    report = workflow.report_withdraw_notice(
        notice.report_id, actor=analyst, reason="  Wrong provider: the site moved.  "
    )
    notice = reload(notice)
    assert report.status == S.ACTIONABLE
    assert notice.status == N.WITHDRAWN
    assert notice.withdrawn_at == T0 + H
    assert notice.withdrawal_reason == "Wrong provider: the site moved."
    assert notice.due_at is None
    for at in (DEADLINE - 4 * H, DEADLINE, DEADLINE + 5 * 24 * H):
        clock.move_to(at)
        assert fire(notice) == []
        assert deadlines.sweep_due().notices == {}
    assert messages(notice) == [("notice", 0)]
    # A corrected notice can be sent afterwards.
    new = notice_send(notice.report_id, actor=analyst)
    assert new.pk != notice.pk and reload(new).status == N.OPEN


def test_withdrawing_needs_a_reason(notice, analyst):
    with pytest.raises(DomainError, match="reason"):
        workflow.report_withdraw_notice(notice.report_id, actor=analyst, reason="   ")
    assert reload(notice).status == N.OPEN


# --- the sweep command ------------------------------------------------------------------------


def test_manage_py_deadlines_sweep_prints_what_it_did(clock, notice):
    out = StringIO()
    call_command("deadlines", "sweep", stdout=out)
    assert "nothing due" in out.getvalue()

    clock.move_to(DEADLINE)
    out = StringIO()
    call_command("deadlines", "sweep", stdout=out)
    text = out.getvalue()
    assert "1 overdue" in text
    assert "holds released: 0" in text
    assert "failed: 0" in text
    assert reload(notice).status == N.OVERDUE


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
def test_two_sweeps_at_once_fire_each_due_notice_once(policy, monkeypatch):
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
        barrier = threading.Barrier(2)

        def sweep(_):
            try:
                barrier.wait(timeout=30)
                return deadlines.sweep_due(batch=5)
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(sweep, range(2)))

    assert sum(r.notices.get("overdue", 0) for r in results) == 20
    assert all(r.failed == [] for r in results)
    for notice in sent:
        assert verbs(notice.report_id) == ["send_notice", "hand_off_notice", "mark_overdue"]
        assert messages(notice) == [("notice", 0), ("repeat", 1)]
    assert set(Notice.objects.values_list("status", flat=True)) == {N.OVERDUE}
    # Each message (20 notices, 20 repeats) was handed to delivery once, after its commit.
    delivered = [args[0] for name, args in queued if name == "reports.tasks.message_deliver"]
    assert sorted(delivered) == sorted(OutgoingMessage.objects.values_list("pk", flat=True))
    assert len(delivered) == 40


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


# --- the admin --------------------------------------------------------------------------------


def form_post(client, url, data):
    return client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst.user)
    return client


def transition_url(report_id: int, name: str) -> str:
    return reverse("admin:reports_report_transition", args=[report_id, name])


def test_the_send_notice_button_sends_it(clock, policy, analyst_client):
    report = ActionableReportFactory()
    page = analyst_client.get(reverse("admin:reports_report_change", args=[report.pk]))
    assert transition_url(report.pk, "send_notice") in page.content.decode()

    response = form_post(
        analyst_client,
        transition_url(report.pk, "send_notice"),
        {"send_notice-kind": "legal_order"},
    )

    assert response.status_code == 302
    notice = Notice.objects.get(report=report)
    assert notice.kind == "legal_order"
    assert notice.status == N.DELIVERING  # its e-mail goes after commit
    notice = notice_hand_off(notice)
    assert notice.deadline_at == T0 + 12 * H
    assert notice.created_by_label == "ann"
    page = analyst_client.get(response.url).content.decode()
    assert "Send notice: done." in page
    assert "12h 00m" in page  # time left


def test_the_buttons_refuse_multipart_bodies(clock, policy, analyst_client):
    report = ActionableReportFactory()
    response = analyst_client.post(
        transition_url(report.pk, "send_notice"), {"send_notice-kind": "voluntary"}
    )
    assert response.status_code == 415
    assert not Notice.objects.exists()


def test_the_send_button_shows_why_it_was_refused(clock, policy, analyst_client):
    report = ActionableReportFactory(provider=None)
    response = form_post(
        analyst_client, transition_url(report.pk, "send_notice"), {"send_notice-kind": "voluntary"}
    )
    page = analyst_client.get(response.url).content.decode()
    assert "Set the hosting provider first" in page
    assert not Notice.objects.exists()


def test_the_confirm_removal_button_removes(clock, notice, analyst_client):
    clock.move_to(T0 + 5 * H)
    response = form_post(
        analyst_client,
        transition_url(notice.report_id, "confirm_removal"),
        {"confirm_removal-removed_at": "2026-03-02 13:30:00"},
    )
    assert response.status_code == 302
    notice = reload(notice)
    assert notice.report.status == S.REMOVED
    assert notice.removed_at == datetime(2026, 3, 2, 13, 30, tzinfo=UTC)


def test_the_overdue_queue_lists_overdue_reports_and_time_left_turns_red(
    clock, policy, analyst, analyst_client
):
    late = notice_send(ActionableReportFactory().pk, actor=analyst)
    clock.move_to(T0 + 2 * H)
    running = notice_send(ActionableReportFactory().pk, actor=analyst)
    clock.move_to(DEADLINE + 90 * M)
    fire(late)
    late, running = reload(late), reload(running)

    analyst_client.force_login(analyst.user)  # a new working day, a new session
    listing = analyst_client.get(reverse("admin:reports_report_changelist") + "?queue=overdue")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert late.report.reference in text
    assert running.report.reference not in text
    assert "Overdue (1)" in text

    page = analyst_client.get(reverse("admin:reports_report_change", args=[late.report_id]))
    text = page.content.decode()
    assert "overdue by 1h 30m" in text
    assert 'style="color:#ba2121"' in text
    page = analyst_client.get(reverse("admin:reports_report_change", args=[running.report_id]))
    assert "0h 30m" in page.content.decode()
    assert "overdue by" not in page.content.decode()

    notices_page = analyst_client.get(reverse("admin:reports_notice_changelist"))
    assert notices_page.status_code == 200
    assert "overdue by 1h 30m" in notices_page.content.decode()


def test_a_notice_waiting_for_the_police_window_shows_in_the_scheduled_queue(
    clock, window, analyst, supervisor, police, analyst_client
):
    waiting = ActionableReportFactory()
    notify_police(waiting.pk, supervisor, police)
    workflow.report_send_notice(waiting.pk, actor=analyst)
    ready = ActionableReportFactory()

    page = analyst_client.get(reverse("admin:reports_report_changelist") + "?queue=scheduled")
    text = page.content.decode()
    assert waiting.reference in text
    assert ready.reference not in text

    page = analyst_client.get(reverse("admin:reports_report_changelist") + "?queue=ready_to_send")
    text = page.content.decode()
    assert ready.reference in text
    assert waiting.reference not in text


def test_a_scheduled_notice_whose_provider_was_deactivated_is_withdrawn_not_sent(
    clock, window, analyst, supervisor, police
):
    report = ActionableReportFactory()
    notify_police(report.pk, supervisor, police)
    notice = workflow.report_send_notice(report.pk, actor=analyst)
    Provider.objects.filter(pk=notice.provider_id).update(active=False)
    clock.move_to(T0 + 60 * M)

    assert deadlines.sweep_due().notices == {"withdrawn": 1}
    notice = reload(notice)
    assert notice.status == N.WITHDRAWN
    assert notice.withdrawal_reason == "provider deactivated"
    assert notice.report.status == S.ACTIONABLE  # the analyst sets another provider
    assert messages(notice) == []
    assert deadlines.sweep_due().notices == {}


def test_a_report_with_a_scheduled_notice_cannot_be_forwarded_until_it_is_withdrawn(
    clock, window, analyst, supervisor, police
):
    report = ActionableReportFactory()
    notify_police(report.pk, supervisor, police)
    notice = workflow.report_send_notice(report.pk, actor=analyst)
    partner = PartnerHotline.objects.create(name="Abroad", countries=["DE"])
    workflow.report_set_hosting(
        report.pk, actor=analyst, provider_id=notice.provider_id, country="DE"
    )

    with pytest.raises(DomainError, match="withdraw it before forwarding"):
        workflow.report_forward(report.pk, actor=analyst, partner_id=partner.pk)
    workflow.report_withdraw_notice(report.pk, actor=analyst, reason="hosted abroad")
    workflow.report_forward(report.pk, actor=analyst, partner_id=partner.pk)
    assert reload(notice).report.status == S.FORWARDED
    clock.move_to(T0 + 2 * H)
    assert deadlines.sweep_due().notices == {}
