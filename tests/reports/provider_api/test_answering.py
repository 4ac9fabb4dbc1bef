"""The provider API: answering a notice."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from reports.models import Event, Report, ReportStatus
from tests.reports.provider_api.support import (
    BASE,
    T0,
    client_for,
    key_create,
    key_label,
    moment,
    provider_events,
    refreshed,
    rows,
)

pytestmark = pytest.mark.django_db


# --- answering a notice -----------------------------------------------------------------------


def test_acknowledge_is_recorded_once_and_repeats_answer_the_same_state(world):
    notice = world.notice(world.alpha)
    client = world.client("alpha")

    first = client.post(f"{BASE}{notice.pk}/acknowledge/")
    world.clock.shift(timedelta(minutes=3))
    again = client.post(f"{BASE}{notice.pk}/acknowledge/")

    assert (first.status_code, again.status_code) == (200, 200)
    assert moment(first.json()["acknowledged_at"]) == notice.sent_at
    assert first.json()["status"] == again.json()["status"] == "open"
    body, repeated = first.json(), again.json()
    assert body.pop("seconds_left") - repeated.pop("seconds_left") == 180  # only the clock moved
    assert body == repeated
    events = provider_events(world.key_alpha)
    assert [(e.verb, e.actor_kind, e.data) for e in events] == [
        ("acknowledge_notice", "api_key", {"notice": notice.pk})
    ]
    assert refreshed(notice).report.status == ReportStatus.TAKEDOWN_REQUESTED


def test_removed_stops_the_clock_at_the_given_time_and_the_report_shows_removed(world):
    notice = world.notice(world.alpha)
    world.clock.shift(timedelta(hours=3))
    removed_at = notice.sent_at + timedelta(hours=1, minutes=17, seconds=5)

    response = world.client("alpha").post(
        f"{BASE}{notice.pk}/removed/", {"removed_at": removed_at.isoformat()}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "removed"
    assert response.json()["seconds_left"] is None
    assert moment(response.json()["removed_at"]) == removed_at
    notice = refreshed(notice)
    assert notice.removed_at == notice.removal_confirmed_at == removed_at
    assert notice.due_at is None
    report = Report.objects.get(pk=notice.report_id)
    assert report.status == ReportStatus.REMOVED
    [event] = provider_events(world.key_alpha)
    assert (event.verb, event.from_status, event.to_status) == (
        "confirm_removal",
        ReportStatus.TAKEDOWN_REQUESTED,
        ReportStatus.REMOVED,
    )
    assert event.data["removed_at"] == removed_at.isoformat()
    assert (event.data["source"], event.data["late"]) == ("provider", False)


def test_removed_without_a_time_means_now(world):
    notice = world.notice(world.alpha)
    world.clock.shift(timedelta(minutes=42))

    response = world.client("alpha").post(f"{BASE}{notice.pk}/removed/")

    assert response.status_code == 200
    assert moment(response.json()["removed_at"]) == timezone.now()
    assert refreshed(notice).removed_at == timezone.now()


def test_removed_may_be_exactly_when_sent_or_exactly_now(world):
    at_sending, just_now = world.notice(world.alpha), world.notice(world.alpha)
    client = world.client("alpha")
    for notice, when in ((at_sending, at_sending.sent_at), (just_now, timezone.now())):
        response = client.post(
            f"{BASE}{notice.pk}/removed/", {"removed_at": when.isoformat()}, format="json"
        )
        assert response.status_code == 200
        assert refreshed(notice).removed_at == when


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        pytest.param(-timedelta(seconds=1), "before the notice reached you", id="before hand-off"),
        pytest.param(timedelta(minutes=10), "in the future", id="in the future"),
    ],
)
def test_removed_at_outside_sent_and_now_is_a_400_saying_which(world, offset, words):
    notice = world.notice(world.alpha)
    world.clock.shift(timedelta(hours=2))
    when = (notice.sent_at if offset < timedelta(0) else timezone.now()) + offset
    before = rows()

    response = world.client("alpha").post(
        f"{BASE}{notice.pk}/removed/", {"removed_at": when.isoformat()}, format="json"
    )

    assert response.status_code == 400
    [message] = response.json()["fields"]["removed_at"]
    assert words in message
    assert rows() == before


def test_removed_at_in_any_offset_is_kept_as_that_moment(world):
    notice = world.notice(world.alpha)
    world.clock.shift(timedelta(hours=3))
    when = notice.sent_at + timedelta(hours=2)
    offset = timezone.get_fixed_timezone(17 * 60 + 46)
    response = world.client("alpha").post(
        f"{BASE}{notice.pk}/removed/",
        {"removed_at": when.astimezone(offset).isoformat()},
        format="json",
    )
    assert response.status_code == 200
    assert refreshed(notice).removed_at == when


def test_an_unknown_format_is_a_404_naming_the_formats(world):
    notice = world.notice(world.alpha)
    response = world.client("alpha").get(f"{BASE}{notice.pk}/?format=pdf")
    assert response.status_code == 404
    assert "?format=json or ?format=xarf" in response.json()["detail"]


def test_removed_at_that_is_not_a_time_is_a_400(world):
    notice = world.notice(world.alpha)
    response = world.client("alpha").post(
        f"{BASE}{notice.pk}/removed/", {"removed_at": "yesterday"}, format="json"
    )
    assert response.status_code == 400
    assert "removed_at" in response.json()["fields"]


def test_repeating_removed_answers_200_with_the_same_state_and_writes_nothing(world):
    notice = world.notice(world.alpha)
    world.clock.shift(timedelta(hours=1))
    client = world.client("alpha")
    first = client.post(f"{BASE}{notice.pk}/removed/")
    world.clock.shift(timedelta(hours=1))
    before = rows()

    again = client.post(f"{BASE}{notice.pk}/removed/")
    with_other_time = client.post(
        f"{BASE}{notice.pk}/removed/",
        {"removed_at": (notice.sent_at + timedelta(minutes=1)).isoformat()},
        format="json",
    )

    assert (again.status_code, with_other_time.status_code) == (200, 200)
    assert again.json() == with_other_time.json() == first.json()
    assert rows() == before


def test_removed_on_a_notice_an_analyst_already_confirmed_is_200_unchanged(world):
    notice = world.removed_by_analyst(world.alpha)
    before = rows()
    response = world.client("alpha").post(f"{BASE}{notice.pk}/removed/")
    assert response.status_code == 200
    assert moment(response.json()["removed_at"]) == notice.removed_at
    assert rows() == before


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("removed", {}),
        ("removed", {"removed_at": T0.isoformat()}),
        ("acknowledge", {}),
        ("dispute", {"reason": "This is not our customer."}),
    ],
)
def test_acting_on_a_withdrawn_notice_is_a_409_naming_its_state(world, action, body):
    notice = world.withdrawn(world.alpha)
    before = rows()

    response = world.client("alpha").post(f"{BASE}{notice.pk}/{action}/", body, format="json")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"Notice {notice.pk} is withdrawn: it can no longer be answered."
    )
    assert rows() == before


@pytest.mark.parametrize("action", ["acknowledge", "dispute"])
def test_acknowledging_or_disputing_a_removed_notice_is_a_409_naming_its_state(world, action):
    notice = world.removed_by_analyst(world.alpha)
    response = world.client("alpha").post(
        f"{BASE}{notice.pk}/{action}/", {"reason": "Too late, but still."}, format="json"
    )
    assert response.status_code == 409
    assert "is removed" in response.json()["detail"]


def test_dispute_puts_the_report_in_the_disputed_queue(world, admin_client):
    disputed = world.notice(world.alpha)
    untouched = world.notice(world.alpha)
    reason = "The URL is on a customer's dedicated server; we have forwarded the notice to them."

    response = world.client("alpha").post(
        f"{BASE}{disputed.pk}/dispute/", {"reason": reason}, format="json"
    )

    assert response.status_code == 200
    assert moment(response.json()["disputed_at"]) == timezone.now()
    assert response.json()["status"] == "open"  # the clock keeps running until the hotline acts
    assert refreshed(disputed).dispute_reason == reason
    [event] = provider_events(world.key_alpha)
    assert (event.verb, event.data) == ("dispute_notice", {"notice": disputed.pk})
    assert reason not in json.dumps(event.data)  # free text stays on the notice, not the audit

    page = admin_client.get("/admin/reports/report/?queue=disputed")
    assert page.status_code == 200
    assert disputed.report.reference in page.content.decode()
    assert untouched.report.reference not in page.content.decode()


def test_a_second_dispute_is_a_409(world):
    notice = world.notice(world.alpha)
    client = world.client("alpha")
    first = client.post(f"{BASE}{notice.pk}/dispute/", {"reason": "No."}, format="json")
    assert first.status_code == 200
    again = client.post(f"{BASE}{notice.pk}/dispute/", {"reason": "Still no."}, format="json")
    assert again.status_code == 409
    assert "already disputed" in again.json()["detail"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param({}, "required", id="missing"),
        pytest.param({"reason": ""}, "blank", id="empty"),
        pytest.param({"reason": "   \n\t "}, "blank", id="whitespace"),
        pytest.param({"reason": None}, "null", id="null"),
        pytest.param({"reason": "x" * 2001}, "2000", id="2001 characters"),
    ],
)
def test_a_dispute_needs_a_reason_of_at_most_2000_characters(world, body, words):
    notice = world.notice(world.alpha)
    before = rows()

    response = world.client("alpha").post(f"{BASE}{notice.pk}/dispute/", body, format="json")

    assert response.status_code == 400
    [message] = response.json()["fields"]["reason"]
    assert words in message
    assert rows() == before


def test_a_reason_of_exactly_2000_characters_is_accepted(world):
    notice = world.notice(world.alpha)
    response = world.client("alpha").post(
        f"{BASE}{notice.pk}/dispute/", {"reason": "y" * 2000}, format="json"
    )
    assert response.status_code == 200
    assert len(refreshed(notice).dispute_reason) == 2000


def test_every_provider_action_is_an_event_naming_the_key_that_made_it(world):
    second_key = key_create(world.alpha.name)
    disputed, removed = world.notice(world.alpha), world.notice(world.alpha)
    world.client("alpha").post(f"{BASE}{disputed.pk}/acknowledge/")
    client_for(second_key).post(f"{BASE}{disputed.pk}/dispute/", {"reason": "No."}, format="json")
    client_for(second_key).post(f"{BASE}{removed.pk}/removed/")

    actions = [
        (e.verb, e.actor_kind, e.actor_label)
        for e in Event.objects.filter(actor_kind="api_key").order_by("id")
    ]
    assert key_label(world.key_alpha) != key_label(second_key)
    assert actions == [
        ("acknowledge_notice", "api_key", key_label(world.key_alpha)),
        ("dispute_notice", "api_key", key_label(second_key)),
        ("confirm_removal", "api_key", key_label(second_key)),
    ]
    assert key_label(second_key).startswith("providerapikey:")
