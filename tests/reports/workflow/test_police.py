"""The triage workflow: law enforcement: escalation and hold."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from hotline.actors import Actor
from hotline.errors import DomainError
from reports import workflow
from reports.models import Escalation, Hold, Report
from tests.reports.factories import stored_values
from tests.reports.workflow.support import CALLS, S, as_user, put_in_status

pytestmark = pytest.mark.django_db


# --- law enforcement: escalation and hold ------------------------------------------------------


def test_escalate_logs_an_escalation_and_keeps_the_status(world):
    put_in_status(world, S.ACTIONABLE)

    escalation = workflow.report_escalate(
        world.report.pk,
        actor=as_user(world.supervisor),
        agency_id=world.agency.pk,
        kind="urgent",
        channel="phone",
        agency_reference=" POL-1 ",
        note=" child may be identifiable ",
    )

    escalation = Escalation.objects.get(pk=escalation.pk)
    assert (escalation.report, escalation.agency) == (world.report, world.agency)
    assert (escalation.kind, escalation.channel) == ("urgent", "phone")
    assert (escalation.agency_reference, escalation.note) == ("POL-1", "child may be identifiable")
    assert (escalation.created_by, escalation.created_by_label) == (world.supervisor, "sam")
    assert escalation.corrects is None and escalation.acknowledged_at is None
    event = world.report.events.get(verb="escalate")
    assert escalation.created_at == event.at
    assert event.data["escalation"] == escalation.pk
    assert event.data["agency"] == "National Police"
    assert Report.objects.get(pk=world.report.pk).status == S.ACTIONABLE


def test_a_correction_is_a_new_escalation_that_refers_to_the_earlier_one(world):
    put_in_status(world, S.ACTIONABLE)
    first = CALLS["escalate"](world, as_user(world.supervisor))
    first_values = Escalation.objects.filter(pk=first.pk).values().get()

    correction = workflow.report_escalate(
        world.report.pk,
        actor=as_user(world.supervisor),
        agency_id=world.agency.pk,
        kind="urgent",
        channel="phone",
        agency_reference="POL-1b",
        note="the reference was mistyped",
        corrects_id=first.pk,
    )

    assert correction.pk != first.pk
    assert correction.corrects == first
    assert list(first.corrections.all()) == [correction]
    assert Escalation.objects.filter(pk=first.pk).values().get() == first_values  # untouched
    assert Escalation.objects.count() == 2
    assert world.report.events.filter(verb="escalate").count() == 2


def test_a_correction_must_refer_to_an_escalation_of_the_same_report(world):
    put_in_status(world, S.ACTIONABLE)
    Report.objects.filter(pk=world.other.pk).update(status=S.ACTIONABLE)
    elsewhere = workflow.report_escalate(
        world.other.pk,
        actor=as_user(world.supervisor),
        agency_id=world.agency.pk,
        kind="notification",
        channel="email",
    )
    snapshot = stored_values()

    with pytest.raises(DomainError, match="not one of this report's"):
        workflow.report_escalate(
            world.report.pk,
            actor=as_user(world.supervisor),
            agency_id=world.agency.pk,
            kind="notification",
            channel="email",
            corrects_id=elsewhere.pk,
        )
    assert stored_values() == snapshot


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "gossip"}, "The kind must be one of: notification, urgent, non_compliance."),
        ({"channel": "pigeon"}, "The channel must be one of: email, phone, portal"),
        ({"agency_id": -1}, "That agency does not exist or is not active."),
        ({"inactive": True}, "That agency does not exist or is not active."),
    ],
)
def test_escalate_refuses_bad_choices_and_unknown_agencies(world, change, message):
    put_in_status(world, S.ACTIONABLE)
    if change.pop("inactive", False):
        world.agency.active = False
        world.agency.save()
    snapshot = stored_values()
    kwargs = {"agency_id": world.agency.pk, "kind": "urgent", "channel": "phone", **change}

    with pytest.raises(DomainError, match=message):
        workflow.report_escalate(world.report.pk, actor=as_user(world.supervisor), **kwargs)
    assert stored_values() == snapshot


@pytest.mark.parametrize("status", [S.ACTIONABLE, S.TAKEDOWN_REQUESTED, S.OVERDUE])
def test_hold_and_release_restore_the_status_before_the_hold(world, status):
    put_in_status(world, status)
    until = timezone.now() + timedelta(days=2)

    held = workflow.report_hold(
        world.report.pk,
        actor=as_user(world.supervisor),
        agency_id=world.agency.pk,
        until=until,
        agency_reference="POL-7",
    )

    assert (held.status, held.status_before_hold) == (S.ON_HOLD, status)
    hold = Hold.objects.get(report=world.report)
    assert (hold.agency, hold.agency_reference, hold.until) == (world.agency, "POL-7", until)
    assert hold.started_at == held.status_changed_at
    assert hold.released_at is None

    released = workflow.report_hold_release(world.report.pk, actor=as_user(world.supervisor))

    assert (released.status, released.status_before_hold) == (status, "")
    hold.refresh_from_db()
    event = released.events.get(verb="release_hold")
    assert hold.released_at == event.at == released.status_changed_at
    assert (event.from_status, event.to_status) == (S.ON_HOLD, status)
    assert event.data["expired"] is False


def test_a_hold_released_after_it_expired_ends_at_its_until(world):
    put_in_status(world, S.ACTIONABLE)
    start = timezone.now()
    until = start + timedelta(hours=6)
    workflow.report_hold(
        world.report.pk, actor=as_user(world.supervisor), agency_id=world.agency.pk, until=until
    )

    with time_machine.travel(start + timedelta(hours=9), tick=False):
        report = workflow.report_hold_release(world.report.pk, actor=Actor.system("hold expiry"))

    assert report.status == S.ACTIONABLE
    hold = Hold.objects.get(report=world.report)
    assert hold.released_at == until
    event = report.events.get(verb="release_hold")
    assert event.data["expired"] is True
    assert event.data["held_seconds"] == pytest.approx(6 * 3600, abs=1)
    assert event.actor_kind == "system"


@pytest.mark.parametrize("until", [timedelta(minutes=-1), timedelta(0)])
def test_a_hold_must_end_in_the_future(world, until):
    put_in_status(world, S.ACTIONABLE)
    snapshot = stored_values()
    now = timezone.now()

    with (
        time_machine.travel(now, tick=False),
        pytest.raises(DomainError, match="must end in the future"),
    ):
        workflow.report_hold(
            world.report.pk,
            actor=as_user(world.supervisor),
            agency_id=world.agency.pk,
            until=now + until,
        )
    assert stored_values() == snapshot
    assert not Hold.objects.exists()


def test_hosting_can_be_set_while_on_hold_without_ending_the_hold(world):
    put_in_status(world, S.ON_HOLD, before_hold=S.OVERDUE)

    report = CALLS["set_hosting"](world, as_user(world.analyst))

    assert (report.status, report.status_before_hold) == (S.ON_HOLD, S.OVERDUE)
    assert Hold.objects.get(report=world.report).released_at is None
