"""The provider API: listing; one notice."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from reports import workflow
from reports.models import Notice
from tests.reports.factories import notice_hand_off
from tests.reports.provider_api.support import (
    BASE,
    DEADLINE,
    LIST_QUERIES,
    T0,
    ids,
    missing_id,
    moment,
    refreshed,
)
from tests.reports.support import deliver_due
from tests.xarf_schemas import xarf_validator

pytestmark = pytest.mark.django_db


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
    settings.EMAIL_BACKEND = "tests.reports.notices.support.FailingBackend"
    delivering = workflow.report_send_notice(world.report(world.alpha).pk, actor=world.actor)
    assert deliver_due() == 0
    assert delivering.messages.get().status == "pending"  # to be tried again
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
