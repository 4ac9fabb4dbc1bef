"""Two identical submissions at the same moment open one report: the database decides.

The races run on PostgreSQL, each thread with its own connection, released together by a barrier.
"""

import json
import urllib.request

import pytest
from django.db import IntegrityError, transaction

from hotline.actors import Actor
from hotline.url import canonicalize
from reports.intake import partner_batch_submit, report_submit, submission_clean
from reports.models import OPEN_STATUSES, Channel, Event, PartnerSubmission, Report, ReportStatus
from tests.reports.factories import ReportFactory
from tests.reports.support import run_together

THREADS = 8
ROUNDS = 3


def url_for(round_: int) -> str:
    return f"https://race-{round_}.example.com/gallery/42?page=3"


def assert_one_open_report(url: str, times: int) -> Report:
    """Exactly one open original, every other report of the URL a duplicate of it."""
    reports = Report.objects.filter(url_sha256=canonicalize(url).sha256)
    assert reports.count() == times
    original = reports.get(status__in=OPEN_STATUSES)
    assert original.times_reported == times
    duplicates = reports.exclude(pk=original.pk)
    assert set(duplicates.values_list("status", flat=True)) <= {ReportStatus.DUPLICATE}
    assert set(duplicates.values_list("duplicate_of", flat=True)) <= {original.pk}
    assert Event.objects.filter(report__in=reports).count() == times
    return original


# --- the service ------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_simultaneous_submissions_of_a_new_url_open_one_report(round_):
    url = url_for(round_)

    results = run_together(
        THREADS,
        lambda i: report_submit(
            submission=submission_clean(url=url), channel=Channel.API, actor=Actor.public()
        ),
    )

    assert sorted(result.duplicate for result in results) == [False] + [True] * (THREADS - 1)
    original = assert_one_open_report(url, THREADS)
    assert [r.report.pk for r in results if not r.duplicate] == [original.pk]
    assert len({result.tracking_secret for result in results}) == THREADS


# --- over HTTP --------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_http_posts_of_a_new_url_open_one_report(live_server):
    url = url_for(100)
    # Straight to the live server, whatever proxy the environment names.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def post(i):
        request = urllib.request.Request(  # noqa: S310 - always the live server's http URL
            f"{live_server.url}/api/v1/reports/",
            data=json.dumps({"url": url}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with opener.open(request, timeout=30) as response:
            return response.status, json.load(response)

    answers = run_together(THREADS, post)

    assert [status for status, _ in answers] == [201] * THREADS
    assert {body["status"] for _, body in answers} == {"received"}
    assert len({body["reference"] for _, body in answers}) == THREADS
    assert_one_open_report(url, THREADS)


# --- partner batch against public submission --------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_partner_batch_and_a_public_report_of_the_same_url_race_to_one_report(
    partner_key, round_
):
    partner, _ = partner_key
    api_key = partner.api_keys.get()
    url = url_for(200 + round_)
    other = f"https://bystander-{round_}.example.org/"

    def submit(i):
        if i == 0:
            return partner_batch_submit(
                partner=partner,
                items=[{"url": other}, {"url": url}, {"url": url + "#again"}],
                actor=Actor.for_api_key(api_key),
            )
        return report_submit(
            submission=submission_clean(url=url), channel=Channel.API, actor=Actor.public()
        )

    batch, public = run_together(2, submit)

    assert batch.items[0]["outcome"] == "created"
    outcomes = [item["outcome"] for item in batch.items[1:]] + [
        "duplicate" if public.duplicate else "created"
    ]
    assert sorted(outcomes) == ["created", "duplicate", "duplicate"]
    original = assert_one_open_report(url, 3)
    assert original.channel in (Channel.PARTNER, Channel.API)
    assert Report.objects.filter(url_sha256=canonicalize(other).sha256).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_sent_twice_at_once_with_one_idempotency_key_is_filed_once(partner_key):
    partner, _ = partner_key
    api_key = partner.api_keys.get()
    items = [{"url": f"https://twin-{n}.example.com/", "external_id": str(n)} for n in range(20)]

    results = run_together(
        2,
        lambda i: partner_batch_submit(
            partner=partner,
            items=items,
            actor=Actor.for_api_key(api_key),
            idempotency_key="2031-05-06-batch-1",
        ),
    )

    assert sorted(result.replayed for result in results) == [False, True]
    assert results[0].items == results[1].items
    assert Report.objects.count() == Event.objects.count() == 20
    assert PartnerSubmission.objects.count() == 1


# --- the constraint itself (any database) -----------------------------------------------------

URL = "https://images.example.com/gallery/42?page=3"


@pytest.mark.django_db
@pytest.mark.parametrize("status", OPEN_STATUSES)
def test_the_database_refuses_a_second_open_report_of_a_url(status):
    ReportFactory(submitted_url=URL)

    with pytest.raises(IntegrityError), transaction.atomic():
        ReportFactory(
            submitted_url="HTTPS://IMAGES.EXAMPLE.COM:443/gallery/42?page=3", status=status
        )

    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_closed_reports_and_duplicates_of_a_url_do_not_count_against_it():
    original = ReportFactory(submitted_url=URL)
    for status in (ReportStatus.CLOSED, ReportStatus.FORWARDED, ReportStatus.REMOVED):
        ReportFactory(submitted_url=URL, status=status)
    ReportFactory.create_batch(
        3, submitted_url=URL, status=ReportStatus.DUPLICATE, duplicate_of=original
    )

    assert Report.objects.filter(url_sha256=original.url_sha256).count() == 7


@pytest.mark.django_db
def test_a_duplicate_must_point_at_its_original():
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportFactory(submitted_url=URL, status=ReportStatus.DUPLICATE, duplicate_of=None)

    assert not Report.objects.exists()
