"""The provider API: a provider's abuse desk sees and answers its own notices, and no one else's.

Notices are made the way the hotline makes them (claim, assess, set hosting, send) by a
supervisor, for two providers whose keys come from ``manage.py apikey create``. The clock is
frozen and moved with time-machine: ``seconds_left`` and ``removed_at`` are exact.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Max
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from hotline.actors import Actor
from hotline.models import Provider, ProviderAPIKey
from hotline.throttling import ProviderThrottle
from reports import deadlines, workflow
from reports.models import Event, Notice, OutgoingMessage, Report, ReportStatus
from reports.notices import message_deliver, messages_redeliver
from tests.reports.factories import (
    ILLEGAL,
    AgencyFactory,
    ProviderFactory,
    ReportFactory,
    StaffUserFactory,
    notice_hand_off,
    notice_send,
)
from tests.xarf_schemas import xarf_validator

pytestmark = pytest.mark.django_db

BASE = "/api/v1/provider/notices/"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
DEADLINE = timedelta(hours=24)  # HOTLINE_TAKEDOWN_DEADLINE's default, for voluntary notices
# Queries of one list request, whatever the page size or the number of notices: the key (1),
# its provider (1), the page of notices with their reports (1). Raise it only knowingly.
LIST_QUERIES = 3
NOT_FOUND = "No notice of yours has this id."


# --- building notices the way the hotline does ------------------------------------------------


def key_create(provider_name: str) -> str:
    """A key made by the management command: its last line of output."""
    out = StringIO()
    call_command("apikey", "create", "--provider", provider_name, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def key_label(key: str) -> str:
    return f"providerapikey:{ProviderAPIKey.objects.get_from_key(key).prefix}"


def client_for(key: str | None) -> APIClient:
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@dataclass
class World:
    clock: Any
    supervisor: Any
    alpha: Provider
    beta: Provider
    key_alpha: str
    key_beta: str
    clients: dict[str, APIClient] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        return Actor.for_user(self.supervisor)

    def report(self, provider: Provider, url: str | None = None) -> Report:
        """A report assessed illegal and hosted by ``provider``, ready for a notice."""
        report = ReportFactory(**({"submitted_url": url} if url else {}))
        workflow.report_claim(report.pk, actor=self.actor)
        workflow.report_assess_illegal(report.pk, actor=self.actor, **ILLEGAL)
        workflow.report_set_hosting(
            report.pk, actor=self.actor, provider_id=provider.pk, country=provider.country
        )
        return report

    def notice(self, provider: Provider, *, url: str | None = None, minutes: int = 1) -> Notice:
        """A notice sent ``minutes`` after the previous one (so newest-first is meaningful)."""
        report = self.report(provider, url)
        self.clock.shift(timedelta(minutes=minutes))
        return notice_send(report.pk, actor=self.actor)

    def overdue(self, provider: Provider) -> Notice:
        notice = self.notice(provider)
        self.clock.shift(DEADLINE + timedelta(hours=1))
        assert "overdue" in workflow.notice_fire_due(notice.pk)
        return refreshed(notice)

    def removed_by_analyst(self, provider: Provider) -> Notice:
        notice = self.notice(provider)
        self.clock.shift(timedelta(minutes=5))
        workflow.report_confirm_removal(notice.report_id, actor=self.actor)
        return refreshed(notice)

    def withdrawn(self, provider: Provider) -> Notice:
        notice = self.notice(provider)
        workflow.report_withdraw_notice(
            notice.report_id, actor=self.actor, reason="Sent to the wrong provider."
        )
        return refreshed(notice)

    def scheduled(self, provider: Provider) -> Notice:
        """A notice still waiting for the police window: not sent, so not the provider's yet."""
        with override_settings(HOTLINE_LEA_WINDOW="48h"):
            report = self.report(provider)
            workflow.report_escalate(
                report.pk,
                actor=self.actor,
                agency_id=AgencyFactory(name="National Police").pk,
                kind="notification",
                channel="email",
            )
            notice = workflow.report_send_notice(report.pk, actor=self.actor)
        assert notice.status == Notice.Status.SCHEDULED
        return notice

    def client(self, who: str) -> APIClient:
        if who not in self.clients:
            self.clients[who] = client_for({"alpha": self.key_alpha, "beta": self.key_beta}[who])
        return self.clients[who]


def refreshed(notice: Notice) -> Notice:
    notice.refresh_from_db()
    return notice


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(clock, settings):
    settings.HOTLINE_LEA_WINDOW = ""
    alpha = ProviderFactory(name="Alpha Hosting BV", country="NL")
    beta = ProviderFactory(name="Beta Cloud GmbH", country="DE")
    return World(
        clock=clock,
        supervisor=StaffUserFactory(username="sam", role="supervisor"),
        alpha=alpha,
        beta=beta,
        key_alpha=key_create(alpha.name),
        key_beta=key_create(beta.name),
    )


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def notice_row(notice: Notice) -> dict:
    return Notice.objects.filter(pk=notice.pk).values().get()


def rows() -> tuple:
    """Everything a provider action could write."""
    return (
        list(Event.objects.order_by("pk").values_list("pk", flat=True)),
        list(Notice.objects.order_by("pk").values()),
        list(Report.objects.order_by("pk").values()),
        OutgoingMessage.objects.count(),
    )


# --- listing ----------------------------------------------------------------------------------


def test_the_list_shows_only_your_notices_newest_first_with_url_status_and_clock(world):
    exact = "https://img.share.example/albums/7/IMG_0042.jpg?id=42&size=full"
    older = world.notice(world.alpha)
    world.notice(world.beta)
    newer = world.notice(world.alpha, url=exact)

    response = world.client("alpha").get(BASE)

    assert response.status_code == 200
    assert ids(response) == [newer.pk, older.pk]
    item = response.json()["results"][0]
    assert item["reference"] == newer.report.reference
    assert item["url"] == exact == newer.report.canonical_url  # exact, not defanged
    assert item["status"] == "open"
    assert moment(item["sent_at"]) == newer.sent_at == timezone.now()
    assert moment(item["deadline_at"]) == newer.sent_at + DEADLINE
    assert item["seconds_left"] == DEADLINE.total_seconds()

    world.clock.shift(timedelta(hours=1, seconds=30))
    item = world.client("alpha").get(BASE).json()["results"][0]
    assert item["seconds_left"] == (DEADLINE - timedelta(hours=1, seconds=30)).total_seconds()


def test_seconds_left_is_negative_when_overdue_and_null_once_closed(world):
    overdue = world.overdue(world.alpha)
    removed = world.removed_by_analyst(world.alpha)
    withdrawn = world.withdrawn(world.alpha)

    items = {item["id"]: item for item in world.client("alpha").get(BASE).json()["results"]}

    assert items[overdue.pk]["status"] == "overdue"
    assert items[overdue.pk]["seconds_left"] == int(
        (overdue.deadline_at - timezone.now()).total_seconds()
    )
    assert items[overdue.pk]["seconds_left"] < 0
    assert (items[removed.pk]["status"], items[removed.pk]["seconds_left"]) == ("removed", None)
    assert (items[withdrawn.pk]["status"], items[withdrawn.pk]["seconds_left"]) == (
        "withdrawn",
        None,
    )


def test_the_cursor_walks_every_notice_once_even_when_new_ones_arrive(world):
    mine = [world.notice(world.alpha) for _ in range(7)]
    world.notice(world.beta)
    expected = [notice.pk for notice in reversed(mine)]

    seen, pages = [], 0
    url = f"{BASE}?page_size=3"
    while url:
        response = world.client("alpha").get(url)
        assert response.status_code == 200
        assert len(response.json()["results"]) <= 3
        seen.extend(ids(response))
        url = response.json()["next"]
        pages += 1
        if pages == 1:
            world.notice(world.alpha)  # newer than the cursor: not on the following pages

    assert pages == 3
    assert seen == expected
    assert len(set(seen)) == len(seen)


def test_the_page_size_is_capped(world):
    for _ in range(3):
        world.notice(world.alpha)
    response = world.client("alpha").get(f"{BASE}?page_size=1000000")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_status_filters_open_overdue_and_closed(world):
    overdue = world.overdue(world.alpha)
    removed = world.removed_by_analyst(world.alpha)
    withdrawn = world.withdrawn(world.alpha)
    world.notice(world.beta)
    world.overdue(world.beta)
    opened = world.notice(world.alpha)
    client = world.client("alpha")

    assert ids(client.get(f"{BASE}?status=open")) == [opened.pk]
    assert ids(client.get(f"{BASE}?status=overdue")) == [overdue.pk]
    assert ids(client.get(f"{BASE}?status=closed")) == [withdrawn.pk, removed.pk]
    assert ids(client.get(BASE)) == [opened.pk, withdrawn.pk, removed.pk, overdue.pk]


def test_a_notice_is_overdue_from_its_deadline_even_before_the_clock_fires(world):
    notice = world.notice(world.alpha)
    world.clock.move_to(notice.deadline_at)
    client = world.client("alpha")

    assert refreshed(notice).status == Notice.Status.OPEN  # the sweep has not run yet
    assert client.get(f"{BASE}{notice.pk}/").json()["status"] == "overdue"
    assert ids(client.get(f"{BASE}?status=overdue")) == [notice.pk]
    assert ids(client.get(f"{BASE}?status=open")) == []


def test_since_keeps_notices_sent_at_or_after_it(world):
    first = world.notice(world.alpha, minutes=60)
    second = world.notice(world.alpha, minutes=60)
    third = world.notice(world.alpha, minutes=60)
    client = world.client("alpha")

    since = quote(second.sent_at.isoformat())
    assert ids(client.get(f"{BASE}?since={since}")) == [third.pk, second.pk]
    later = quote((third.sent_at + timedelta(seconds=1)).isoformat())
    assert ids(client.get(f"{BASE}?since={later}")) == []
    assert ids(client.get(f"{BASE}?since={quote(T0.isoformat())}&status=open")) == [
        third.pk,
        second.pk,
        first.pk,
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=pending", "status"),
        ("status=", "status"),
        ("since=last+tuesday", "since"),
        ("since=", "since"),
        ("since=0001-01-01T00:00:00%2B05:00", "since"),  # before year 1 in UTC
        ("page_size=ten", "page_size"),
        ("cursor=%C3%A9t%C3%A9", "cursor"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(world, query, field):
    world.notice(world.alpha)
    response = world.client("alpha").get(f"{BASE}?{query}")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_since_accepts_any_offset_python_does(world):
    # -17:46 is beyond PostgreSQL's offsets (15:59): the filter compares in UTC.
    notice = world.notice(world.alpha)
    offset = timezone.get_fixed_timezone(-(17 * 60 + 46))
    since = quote(notice.sent_at.astimezone(offset).isoformat())
    assert ids(world.client("alpha").get(f"{BASE}?since={since}")) == [notice.pk]


def test_notices_waiting_for_the_police_window_are_not_shown_to_the_provider(world):
    sent = world.notice(world.alpha)
    scheduled = world.scheduled(world.alpha)
    client = world.client("alpha")

    assert ids(client.get(BASE)) == [sent.pk]
    for status in ("open", "overdue", "closed"):
        assert scheduled.pk not in ids(client.get(f"{BASE}?status={status}"))
    response = client.get(f"{BASE}{scheduled.pk}/")
    assert response.status_code == 404
    assert response.json() == client.get(f"{BASE}{missing_id()}/").json()


def test_a_notice_not_yet_accepted_by_the_providers_mail_server_is_not_shown(world, settings):
    shown = world.notice(world.alpha)
    settings.EMAIL_BACKEND = "tests.reports.test_notices.FailingBackend"
    delivering = workflow.report_send_notice(world.report(world.alpha).pk, actor=world.actor)
    assert message_deliver(delivering.messages.get().pk) is False
    client = world.client("alpha")
    assert refreshed(delivering).status == Notice.Status.DELIVERING

    assert ids(client.get(BASE)) == [shown.pk]
    for status in ("open", "overdue", "closed"):
        assert delivering.pk not in ids(client.get(f"{BASE}?status={status}"))
    for path in ("", "?format=xarf", "acknowledge/", "removed/", "dispute/"):
        if path.endswith("/"):
            response = client.post(f"{BASE}{delivering.pk}/{path}", {"reason": "No."}, "json")
        else:
            response = client.get(f"{BASE}{delivering.pk}/{path}")
        assert response.status_code == 404, path
        assert response.json() == client.get(f"{BASE}{missing_id()}/").json()
    assert refreshed(delivering).acknowledged_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.clock.shift(timedelta(minutes=3))
    notice_hand_off(delivering)
    assert ids(client.get(BASE)) == [delivering.pk, shown.pk]
    detail = client.get(f"{BASE}{delivering.pk}/").json()
    handed_off = refreshed(delivering).handed_off_at
    assert handed_off == timezone.now()
    assert moment(detail["handed_off_at"]) == handed_off
    assert moment(detail["deadline_at"]) == handed_off + DEADLINE


def test_list_queries_do_not_grow_with_the_page_size(world, django_assert_num_queries):
    for _ in range(150):
        world.notice(world.alpha)
    client = world.client("alpha")

    with django_assert_num_queries(LIST_QUERIES):
        small = client.get(f"{BASE}?page_size=5")
    with django_assert_num_queries(LIST_QUERIES):
        large = client.get(f"{BASE}?page_size=100")
    with django_assert_num_queries(LIST_QUERIES):
        following = client.get(large.json()["next"])

    assert (len(ids(small)), len(ids(large)), len(ids(following))) == (5, 100, 50)


# --- one notice -------------------------------------------------------------------------------


def test_detail_answers_the_notice_as_listed(world):
    notice = world.notice(world.alpha)
    client = world.client("alpha")

    response = client.get(f"{BASE}{notice.pk}/")

    assert response.status_code == 200
    assert response.json() == client.get(BASE).json()["results"][0]


def keys_anywhere(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_anywhere(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_anywhere(v)}
    return set()


def test_xarf_format_is_a_valid_xarf_v4_document_without_evidence(world):
    notice = world.notice(world.alpha)
    removed = world.removed_by_analyst(world.alpha)
    validator = xarf_validator()

    for item, content_removed in ((notice, False), (removed, True)):
        response = world.client("alpha").get(f"{BASE}{item.pk}/?format=xarf")

        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/json")
        document = response.json()
        errors = [error.message for error in validator.iter_errors(document)]
        assert errors == []
        assert "evidence" not in keys_anywhere(document)
        assert (document["category"], document["type"]) == ("content", "csam")
        assert document["report_id"] == str(item.uuid)
        assert document["url"] == item.report.canonical_url
        assert document["hosting_provider"] == "Alpha Hosting BV"
        assert document["content_removed"] is content_removed


# --- answering a notice -----------------------------------------------------------------------


def provider_events(key: str) -> list[Event]:
    return list(Event.objects.filter(actor_label=key_label(key)).order_by("id"))


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


# --- who may call it --------------------------------------------------------------------------

ENDPOINTS = {
    "detail": ("get", "{id}/", None),
    "xarf": ("get", "{id}/?format=xarf", None),
    "acknowledge": ("post", "{id}/acknowledge/", {}),
    "removed": ("post", "{id}/removed/", {}),
    "dispute": ("post", "{id}/dispute/", {"reason": "This is not our customer."}),
}
ALL_ENDPOINTS = {"list": ("get", "", None), **ENDPOINTS}


def call(client: APIClient, endpoint: str, notice_id, body: dict | None = None):
    method, path, default = ALL_ENDPOINTS[endpoint]
    url = BASE + path.format(id=notice_id)
    if method == "get":
        return client.get(url)
    return client.post(url, default if body is None else body, format="json")


def missing_id() -> int:
    return (Notice.objects.aggregate(top=Max("pk"))["top"] or 0) + 1000


def _revoked(world):
    key = key_create(world.alpha.name)
    ProviderAPIKey.objects.filter(pk=ProviderAPIKey.objects.get_from_key(key).pk).update(
        revoked=True
    )
    return f"Api-Key {key}"


def _expired(world):
    key = key_create(world.alpha.name)
    ProviderAPIKey.objects.filter(pk=ProviderAPIKey.objects.get_from_key(key).pk).update(
        expiry_date=timezone.now() - timedelta(days=1)
    )
    return f"Api-Key {key}"


def _partner(world):
    from hotline.services import partner_api_key_create

    return f"Api-Key {partner_api_key_create(partner_name='Partner', key_name='p')[1]}"


def _inactive(world):
    Provider.objects.filter(pk=world.alpha.pk).update(active=False)
    return f"Api-Key {world.key_alpha}"


@pytest.mark.parametrize("endpoint", list(ALL_ENDPOINTS))
@pytest.mark.parametrize(
    ("authorization", "status", "words"),
    [
        pytest.param(lambda w: None, 401, "'Authorization: Api-Key <key>'", id="no key"),
        pytest.param(
            lambda w: f"Bearer {w.key_alpha}", 401, "'Authorization: Api-Key <key>'", id="bearer"
        ),
        pytest.param(
            lambda w: "Api-Key abcdefgh.0123456789abcdef0123456789abcdef",
            401,
            "unknown or has been revoked",
            id="unknown key",
        ),
        pytest.param(_revoked, 401, "unknown or has been revoked", id="revoked key"),
        pytest.param(_expired, 401, "expired on", id="expired key"),
        pytest.param(_partner, 401, "unknown or has been revoked", id="partner key"),
        pytest.param(
            _inactive, 403, "a provider the hotline lists as active", id="inactive provider"
        ),
    ],
)
def test_without_a_valid_provider_key_nothing_is_answered(
    world, endpoint, authorization, status, words
):
    notice = world.notice(world.alpha)
    header = authorization(world)
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    before = rows()

    response = call(client, endpoint, notice.pk)

    assert response.status_code == status
    assert words in response.json()["detail"]
    if status == 401:
        assert response["WWW-Authenticate"] == "Api-Key"
    assert rows() == before


def test_a_provider_key_does_not_open_the_partner_api(world):
    response = world.client("alpha").post(
        "/api/v1/partner/reports/", {"reports": [{"url": "https://a.example/x"}]}, format="json"
    )
    assert response.status_code == 401


def test_the_throttle_counts_per_key(world, monkeypatch):
    monkeypatch.setitem(ProviderThrottle.THROTTLE_RATES, "provider", "3/min")
    second_key_of_alpha = client_for(key_create(world.alpha.name))

    answers = [world.client("alpha").get(BASE).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    limited = world.client("alpha").get(BASE)
    assert limited.status_code == 429
    assert "available in" in limited.json()["detail"]
    assert int(limited["Retry-After"]) > 0
    assert world.client("beta").get(BASE).status_code == 200
    assert second_key_of_alpha.get(BASE).status_code == 200
    world.clock.shift(timedelta(minutes=1, seconds=1))
    assert world.client("alpha").get(BASE).status_code == 200


# --- another provider's notice: exactly as if it did not exist --------------------------------


def answer(response) -> tuple:
    headers = {name: value for name, value in response.headers.items() if name != "Date"}
    return response.status_code, response.content, headers


BODIES = {
    "valid": {"removed": {"removed_at": T0.isoformat()}, "dispute": {"reason": "Not ours."}},
    "invalid": {"removed": {"removed_at": "soon"}, "dispute": {"reason": ""}},
}


CROSS_CASES = [
    pytest.param(endpoint, body, id=f"{endpoint}-{body}")
    for endpoint in ENDPOINTS
    for body in BODIES
    if endpoint in BODIES[body] or body == "valid"
]


@pytest.mark.parametrize(("endpoint", "body"), CROSS_CASES)
@pytest.mark.parametrize("state", ["open", "overdue", "removed", "withdrawn", "acknowledged"])
def test_another_providers_notice_is_a_404_exactly_like_a_missing_one(world, state, endpoint, body):
    notice = {
        "open": lambda: world.notice(world.alpha),
        "overdue": lambda: world.overdue(world.alpha),
        "removed": lambda: world.removed_by_analyst(world.alpha),
        "withdrawn": lambda: world.withdrawn(world.alpha),
        "acknowledged": lambda: world.notice(world.alpha),
    }[state]()
    if state == "acknowledged":
        assert call(world.client("alpha"), "acknowledge", notice.pk).status_code == 200
    world.notice(world.beta)  # beta has notices of its own
    payload = BODIES[body].get(endpoint)
    before = rows()

    theirs = call(world.client("beta"), endpoint, notice.pk, payload)
    missing = call(world.client("beta"), endpoint, missing_id(), payload)

    assert theirs.status_code == 404
    assert NOT_FOUND in theirs.json()["detail"]
    assert answer(theirs) == answer(missing)
    assert rows() == before
    # ... and the owner still sees it.
    assert call(world.client("alpha"), "detail", notice.pk).status_code == 200


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_a_scheduled_notice_is_a_404_like_a_missing_one_even_for_its_provider(world, endpoint):
    notice = world.scheduled(world.alpha)
    before = rows()
    for who in ("alpha", "beta"):
        own = call(world.client(who), endpoint, notice.pk, BODIES["valid"].get(endpoint))
        missing = call(world.client(who), endpoint, missing_id(), BODIES["valid"].get(endpoint))
        assert answer(own) == answer(missing)
        assert own.status_code == 404
    assert rows() == before


ROUTE_SEGMENT = re.compile(r"[^/.]+")  # what the router passes to the view as the id
ID_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/"), max_size=40
)


@pytest.fixture
def crowded_world(world, monkeypatch):
    """Both providers with notices in every visible state, and one scheduled."""
    monkeypatch.setitem(ProviderThrottle.THROTTLE_RATES, "provider", "1000000/min")
    for provider in (world.alpha, world.beta):
        world.notice(provider)
        world.overdue(provider)
        world.removed_by_analyst(provider)
        world.withdrawn(provider)
        world.scheduled(provider)
    return world


@hypothesis_settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_id_that_is_not_your_own_is_a_404(crowded_world, data):
    world = crowded_world
    visible = dict(
        Notice.objects.filter(status__in=workflow.PROVIDER_VISIBLE).values_list("pk", "provider")
    )
    all_ids = list(Notice.objects.values_list("pk", flat=True))
    who = data.draw(st.sampled_from(["alpha", "beta"]), label="caller")
    own = {pk for pk, provider in visible.items() if provider == getattr(world, who).pk}
    segment = data.draw(
        st.one_of(
            st.sampled_from(all_ids).map(str),
            st.sampled_from(all_ids).map(lambda pk: f"{pk:+d}"),  # "+5": not how ids are spelt
            st.sampled_from(all_ids).map(lambda pk: f" {pk}"),
            st.integers(),
            st.integers(min_value=-(2**80), max_value=2**80),
            st.integers(min_value=2**63 - 3, max_value=2**63 + 3),
            ID_TEXT,
        ).map(str),
        label="id",
    )
    endpoint = data.draw(st.sampled_from(list(ENDPOINTS)), label="endpoint")
    is_own = re.fullmatch(r"[0-9]+", segment) is not None and int(segment) in own
    if is_own:
        return  # the caller's own notice: answered above, and the actions would change it
    before = rows()

    response = call(world.client(who), endpoint, quote(segment, safe=""))

    assert response.status_code == 404, (response.status_code, response.content[:300])
    if ROUTE_SEGMENT.fullmatch(segment):  # the view answered, not the URL router
        assert answer(response) == answer(call(world.client(who), endpoint, missing_id()))
    assert rows() == before


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
    repeat = OutgoingMessage.objects.get(notice=held, kind=OutgoingMessage.Kind.REPEAT)
    first_repeat = OutgoingMessage.objects.filter(notice=plain, kind="repeat").earliest("pk")
    for message in (repeat, first_repeat):  # rendered when handed over
        message_deliver(message.pk)
        message.refresh_from_db()
    assert repeat.subject.replace(held.report.reference, "") == first_repeat.subject.replace(
        plain.report.reference, ""
    )


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
        messages_redeliver()

    messages = list(held.messages.order_by("pk"))
    assert [m.kind for m in messages] == ["notice", "repeat"]
    assert all(stated.strftime("%Y-%m-%dT%H:%M:%SZ") in m.subject for m in messages)
