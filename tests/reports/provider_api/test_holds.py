"""The provider API: a police hold is invisible to the provider."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from reports import deadlines, workflow
from reports.models import Event, Notice, OutgoingMessage, Report, ReportStatus
from tests.reports.factories import AgencyFactory, notice_send
from tests.reports.provider_api.support import (
    BASE,
    DEADLINE,
    ids,
    moment,
    provider_events,
    refreshed,
)
from tests.reports.support import deliver_due

pytestmark = pytest.mark.django_db


# --- a police hold is invisible to the provider -----------------------------------------------
# Two notices are sent to the same provider at the same moment; an agency asks the hotline to
# hold one of them. Whatever the provider asks or answers, the two must look alike.

HOLD_FOR = timedelta(days=5)


def twins(world) -> tuple[Notice, Notice]:
    """(held, plain): notices sent at the same moment; the first put on hold an hour later."""
    reports = [world.report(world.alpha) for _ in range(2)]
    held, plain = (notice_send(r.pk, actor=world.actor) for r in reports)
    world.clock.shift(timedelta(hours=1))
    workflow.report_hold(
        held.report_id,
        actor=world.actor,
        agency_id=AgencyFactory(name="National Police").pk,
        until=timezone.now() + HOLD_FOR,
        agency_reference="POL-2025-117",
    )
    return refreshed(held), refreshed(plain)


def provider_sees(world, notice: Notice) -> dict:
    """Every view the provider has of the notice, with what names this one notice taken out."""
    client = world.client("alpha")
    listed = {item["id"]: item for item in client.get(f"{BASE}?page_size=200").json()["results"]}
    views = {
        "detail": client.get(f"{BASE}{notice.pk}/").json(),
        "listed": listed[notice.pk],
        "xarf": client.get(f"{BASE}{notice.pk}/?format=xarf").json(),
        "in_filter": [
            name
            for name in ("open", "overdue", "closed")
            if notice.pk in ids(client.get(f"{BASE}?status={name}"))
        ],
    }
    text = json.dumps(views, sort_keys=True)
    report = notice.report
    for own in (str(notice.uuid), report.reference, report.canonical_url, report.host):
        text = text.replace(own, "<own>")
    return json.loads(text.replace(f'"id": {notice.pk}', '"id": "<own>"'))


def without_repeat_count(views: dict) -> dict:
    """Repeats are not sent while held: the count of repeats received is the one difference."""
    for name in ("detail", "listed"):
        views[name].pop("repeats_sent")
    return views


def test_during_and_after_a_hold_the_notice_looks_like_one_never_held(world):
    held, plain = twins(world)
    sent = plain.sent_at
    for at, status in (
        (sent + timedelta(hours=1), "open"),
        (sent + DEADLINE - timedelta(seconds=1), "open"),
        (sent + DEADLINE, "overdue"),
        (sent + DEADLINE + timedelta(days=2), "overdue"),
    ):
        world.clock.move_to(at)
        deadlines.sweep_due()
        deliver_due()
        seen = provider_sees(world, refreshed(held))
        assert without_repeat_count(seen) == without_repeat_count(provider_sees(world, plain))
        assert seen["detail"]["status"] == status
        assert moment(seen["detail"]["deadline_at"]) == sent + DEADLINE
        assert seen["detail"]["seconds_left"] == int((sent + DEADLINE - at).total_seconds())
        assert "hold" not in json.dumps(seen).lower()
    assert Report.objects.get(pk=held.report_id).status == ReportStatus.ON_HOLD

    workflow.report_hold_release(held.report_id, actor=world.actor)
    world.clock.shift(timedelta(hours=1))
    deadlines.sweep_due()
    assert refreshed(held).deadline_at > sent + DEADLINE  # the hotline's own clock moved...
    seen = provider_sees(world, refreshed(held))
    assert without_repeat_count(seen) == without_repeat_count(provider_sees(world, plain))
    assert moment(seen["detail"]["deadline_at"]) == sent + DEADLINE  # ...what was said did not

    world.clock.move_to(refreshed(held).deadline_at)
    deadlines.sweep_due()
    assert deliver_due() == 1  # rendered when handed over
    repeat = OutgoingMessage.objects.get(items__notice=held, kind=OutgoingMessage.Kind.REPEAT)
    first_repeat = OutgoingMessage.objects.filter(items__notice=plain, kind="repeat").earliest("pk")
    assert [repeat.items.count(), first_repeat.items.count()] == [1, 1]
    assert said(repeat, held) == said(first_repeat, plain)


def said(message: OutgoingMessage, notice: Notice) -> str:
    """The message's subject without what names the notice or the message itself."""
    subject = message.subject.replace(notice.report.reference, "<own>")
    return re.sub(r"\[HL-ref:\w+\]", "[HL-ref:<own>]", subject)


def test_acknowledging_a_held_notice_is_accepted_as_outside_a_hold(world):
    held, plain = twins(world)
    client = world.client("alpha")

    answers = [client.post(f"{BASE}{notice.pk}/acknowledge/") for notice in (held, plain)]

    assert [answer.status_code for answer in answers] == [200, 200]
    assert without_repeat_count(provider_sees(world, refreshed(held))) == without_repeat_count(
        provider_sees(world, plain)
    )
    assert refreshed(held).acknowledged_at == timezone.now()
    event = provider_events(world.key_alpha)[0]
    assert (event.verb, event.from_status, event.to_status) == (
        "acknowledge_notice",
        ReportStatus.ON_HOLD,
        ReportStatus.ON_HOLD,
    )


def test_a_dispute_of_a_held_notice_is_recorded_and_waits_for_the_analysts(world, admin_client):
    held, plain = twins(world)
    client = world.client("alpha")
    reason = "This forum is run by a customer; we have passed the notice on."

    answers = [
        client.post(f"{BASE}{notice.pk}/dispute/", {"reason": reason}, format="json")
        for notice in (held, plain)
    ]

    assert [answer.status_code for answer in answers] == [200, 200]
    assert "hold" not in answers[0].content.decode().lower()
    assert provider_sees(world, refreshed(held)) == provider_sees(world, refreshed(plain))
    held = refreshed(held)
    assert (held.disputed_at, held.dispute_reason) == (timezone.now(), reason)
    assert held.report.status == ReportStatus.ON_HOLD
    page = admin_client.get("/admin/reports/report/?queue=disputed").content.decode()
    assert held.report.reference in page


def test_a_removal_during_a_hold_closes_the_notice_and_ends_the_hold(world, client, admin_user):
    held, plain = twins(world)
    started = timezone.now()
    world.clock.move_to(held.sent_at + DEADLINE + timedelta(hours=6))  # past the first deadline
    removed_at = timezone.now() - timedelta(hours=1)
    provider = world.client("alpha")

    answers = [
        provider.post(
            f"{BASE}{n.pk}/removed/", {"removed_at": removed_at.isoformat()}, format="json"
        )
        for n in (held, plain)
    ]

    assert [answer.status_code for answer in answers] == [200, 200], answers[0].json()
    assert provider_sees(world, refreshed(held)) == provider_sees(world, refreshed(plain))
    assert answers[0].json()["status"] == "removed"
    held = refreshed(held)
    assert held.status == Notice.Status.REMOVED
    assert held.removed_at == held.removal_confirmed_at == removed_at
    assert held.due_at is None
    # The clock stood still from the hold's start to the removal: not late, unlike its twin.
    assert held.held_seconds == (removed_at - started).total_seconds()
    assert held.deadline_at == held.sent_at + DEADLINE + (removed_at - started)
    report = Report.objects.get(pk=held.report_id)
    assert (report.status, report.status_before_hold) == (ReportStatus.REMOVED, "")
    hold = report.holds.get()
    assert (hold.released_at, hold.end_reason) == (timezone.now(), "removed")
    event = report.events.get(verb="confirm_removal")
    assert (event.from_status, event.to_status) == (ReportStatus.ON_HOLD, ReportStatus.REMOVED)
    assert event.data["late"] is False
    assert event.data["hold"] == {
        "agency": "National Police",
        "agency_reference": "POL-2025-117",
        "held_seconds": held.held_seconds,
        "ended": "removed",
    }
    twin_event = Event.objects.get(report_id=plain.report_id, verb="confirm_removal")
    assert twin_event.data["late"] is True

    world.clock.shift(HOLD_FOR)  # the hold's end passes: nothing left to release or send
    deadlines.sweep_due()
    assert not report.events.filter(verb="release_hold").exists()
    assert list(held.messages.values_list("kind", flat=True)) == ["notice"]
    client.force_login(admin_user)  # the supervisor's view of the hold, for the agency
    page = client.get(f"/admin/reports/report/{report.pk}/change/").content.decode()
    assert "content removed during the hold" in page


def test_a_removal_made_before_the_hold_but_reported_during_it_moves_no_deadline(world):
    held, _ = twins(world)
    removed_at = held.sent_at + timedelta(minutes=30)  # the hold began an hour after sending
    world.clock.shift(timedelta(hours=2))

    response = world.client("alpha").post(
        f"{BASE}{held.pk}/removed/", {"removed_at": removed_at.isoformat()}, format="json"
    )

    assert response.status_code == 200
    held = refreshed(held)
    assert (held.held_seconds, held.deadline_at) == (0, held.sent_at + DEADLINE)
    assert held.report.holds.get().end_reason == "removed"


def test_after_a_hold_no_reminder_says_a_deadline_that_has_passed(world):
    held, _ = twins(world)
    stated = held.sent_at + DEADLINE
    world.clock.shift(timedelta(hours=6))  # held for longer than a reminder comes early
    workflow.report_hold_release(held.report_id, actor=world.actor)

    while timezone.now() < refreshed(held).deadline_at + timedelta(hours=1):
        world.clock.shift(timedelta(minutes=30))
        deadlines.sweep_due()
        deliver_due()

    messages = list(held.messages.order_by("pk"))
    assert [m.kind for m in messages] == ["notice", "repeat"]
    assert all(stated.strftime("%Y-%m-%dT%H:%M:%SZ") in m.subject for m in messages)
