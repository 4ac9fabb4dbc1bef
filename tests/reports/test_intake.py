"""The intake service: check, canonicalise, de-duplicate, file, and audit one report."""

import base64
import hashlib
import json
import random
import re

import pytest
from django.core.exceptions import ValidationError

from hotline.actors import Actor
from hotline.url import canonicalize
from reports import intake
from reports.intake import REFERENCE_ALPHABET, report_submit, submission_clean
from reports.models import OPEN_STATUSES, Channel, Event, Report, ReportStatus
from tests.reports.factories import stored_values

pytestmark = pytest.mark.django_db

URL = "https://images.example.com/gallery/42?page=3"
CLOSED_STATUSES = [ReportStatus.CLOSED, ReportStatus.FORWARDED, ReportStatus.REMOVED]
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def submit(url=URL, *, channel=Channel.API, actor=None, **fields):
    return report_submit(
        submission=submission_clean(url=url, **fields),
        channel=channel,
        actor=actor or Actor.public(),
    )


def set_status(report, status):
    # There is no workflow module yet: move the report the way it eventually will be.
    Report.objects.filter(pk=report.pk).update(status=status)


# --- new, duplicate, recurrence ---------------------------------------------------------------


def test_a_new_url_opens_a_new_report():
    result = submit("  HTTPS://Images.Example.com:443/gallery/42?page=3#top  ")

    report = Report.objects.get()
    assert result.report == report
    assert result.duplicate is False
    assert report.status == ReportStatus.NEW
    assert report.submitted_url == "HTTPS://Images.Example.com:443/gallery/42?page=3#top"
    assert report.canonical_url == URL
    assert report.url_sha256 == hashlib.sha256(URL.encode()).hexdigest()
    assert report.host == "images.example.com"
    assert report.channel == Channel.API
    assert report.times_reported == 1
    assert report.duplicate_of is None
    assert report.previous is None
    assert report.received_at is not None


@pytest.mark.parametrize("open_status", OPEN_STATUSES)
def test_a_url_with_an_open_report_becomes_a_counted_duplicate(open_status):
    original = submit().report
    set_status(original, open_status)

    second = submit()
    third = submit(URL + "#again")

    for result in (second, third):
        assert result.duplicate is True
        assert result.report.status == ReportStatus.DUPLICATE
        assert result.report.duplicate_of == original
        assert result.report.previous is None
    original.refresh_from_db()
    assert original.status == open_status  # a duplicate never moves the original
    assert original.times_reported == 3
    assert Report.objects.filter(status__in=OPEN_STATUSES).count() == 1


@pytest.mark.parametrize("closed_status", CLOSED_STATUSES)
def test_a_url_matching_only_closed_reports_opens_a_recurrence_of_the_newest(closed_status):
    first = submit().report
    set_status(first, closed_status)
    second = submit().report
    set_status(second, closed_status)

    third = submit()

    assert third.duplicate is False
    assert third.report.status == ReportStatus.NEW
    assert third.report.duplicate_of is None
    assert third.report.previous == second
    assert second.previous == first
    assert third.report.times_reported == 1


def test_a_recurrence_links_to_the_earlier_case_not_to_a_duplicate_of_it():
    case = submit().report
    submit()  # a duplicate of the case, filed after it
    set_status(case, ReportStatus.REMOVED)

    recurrence = submit().report

    assert recurrence.status == ReportStatus.NEW
    assert recurrence.previous == case


@pytest.mark.parametrize(
    "variant",
    [
        "HTTPS://IMAGES.EXAMPLE.COM/gallery/42?page=3",  # case of scheme and host
        "https://images.example.com:443/gallery/42?page=3",  # default port
        "https://images.example.com/gallery/42?page=3#photo-7",  # fragment
        "https://images.example.com./gallery/42?page=3",  # trailing dot of the host
        "https://someone:secret@images.example.com/gallery/42?page=3",  # userinfo
        "https://images.example.com/gallery/./x/../42?page=3",  # dot segments
        "https://images.example.com/%67allery/42?page=3",  # needless escape of "g"
        "https://images.example.com\\gallery\\42?page=3",  # backslashes, read as slashes
    ],
)
def test_spellings_of_the_same_address_dedupe_together(variant):
    original = submit(URL).report

    result = submit(variant)

    assert result.duplicate is True
    assert result.report.duplicate_of == original
    assert result.report.submitted_url == variant  # what the reporter sent is kept as sent
    original.refresh_from_db()
    assert original.times_reported == 2


@pytest.mark.parametrize(
    "different",
    [
        "https://images.example.com/gallery/42?page=4",  # the query is part of the address
        "https://images.example.com/Gallery/42?page=3",  # paths are case-sensitive
        "http://images.example.com/gallery/42?page=3",  # another scheme
        "https://images.example.com:8443/gallery/42?page=3",  # a non-default port
        "https://www.images.example.com/gallery/42?page=3",  # another host
    ],
)
def test_different_addresses_are_not_duplicates(different):
    submit(URL)

    result = submit(different)

    assert result.duplicate is False
    assert result.report.status == ReportStatus.NEW
    assert Report.objects.filter(status=ReportStatus.NEW).count() == 2


def test_a_submission_that_loses_a_race_is_filed_as_a_duplicate(monkeypatch):
    """Simulates the twin committing between our look-up and our insert: the index decides."""
    original = submit().report
    real_lookup = intake._open_reports_locked
    calls = []

    def lookup_missing_the_twin_once(url_hashes):
        calls.append(url_hashes)
        return {} if len(calls) == 1 else real_lookup(url_hashes)

    monkeypatch.setattr(intake, "_open_reports_locked", lookup_missing_the_twin_once)

    result = submit()

    assert len(calls) == 2  # the insert failed on the unique index and was retried
    assert result.report.status == ReportStatus.DUPLICATE
    assert result.report.duplicate_of == original
    original.refresh_from_db()
    assert original.times_reported == 2
    assert Report.objects.count() == 2
    assert Event.objects.count() == 2


# --- the audit trail --------------------------------------------------------------------------

DESCRIPTION = "Third picture from the left, under the heading Summer camp 2023"


def test_every_intake_appends_one_event_with_actor_and_data():
    new = submit(description=DESCRIPTION).report
    duplicate = submit(description=DESCRIPTION).report
    set_status(new, ReportStatus.CLOSED)
    recurrence = submit(description=DESCRIPTION).report

    events = {event.report_id: event for event in Event.objects.all()}
    assert len(events) == Event.objects.count() == 3
    expected = {
        new: ("new", {"channel": "api"}),
        duplicate: ("duplicate", {"channel": "api", "duplicate_of": new.reference}),
        recurrence: ("new", {"channel": "api", "previous": new.reference}),
    }
    for report, (to_status, data) in expected.items():
        event = events[report.pk]
        assert event.verb == "received"
        assert event.from_status == ""
        assert event.to_status == to_status
        assert event.actor_kind == Event.ActorKind.PUBLIC
        assert event.actor_label == "public reporter"
        assert event.actor_user is None
        assert event.at == report.received_at
        assert event.data == data


def test_the_event_records_the_partner_and_the_api_key(partner_key):
    partner, _ = partner_key
    api_key = partner.api_keys.get()

    report = report_submit(
        submission=submission_clean(url=URL, description=DESCRIPTION),
        channel=Channel.PARTNER,
        actor=Actor.for_api_key(api_key),
        partner=partner,
    ).report

    event = report.events.get()
    assert event.actor_kind == Event.ActorKind.API_KEY
    assert event.actor_label == f"partnerapikey:{api_key.prefix}"
    assert event.data == {"channel": "partner", "partner": partner.pk}


def test_the_audit_trail_never_holds_the_description():
    submit(description=DESCRIPTION)
    submit(description=DESCRIPTION)

    assert Report.objects.filter(description=DESCRIPTION).count() == 2  # stored on the report
    for event in Event.objects.all():
        assert "Summer camp" not in json.dumps(event.data, ensure_ascii=False)
        columns = [str(getattr(event, f.attname)) for f in Event._meta.concrete_fields]
        assert not any("Summer camp" in value for value in columns)


# --- reference and tracking secret ------------------------------------------------------------


def test_the_reference_is_short_in_crockford_base32_and_unique():
    references = [submit(f"https://site{n}.example.org/").report.reference for n in range(40)]

    pattern = re.compile(rf"HL-[{CROCKFORD}]{{4}}-[{CROCKFORD}]{{4}}")
    assert all(pattern.fullmatch(reference) for reference in references), references
    assert len(set(references)) == len(references)


def test_references_use_the_whole_crockford_alphabet_and_nothing_else():
    # Without I, L, O and U a reference read aloud is not misheard; 40 random bits stay unguessable.
    assert "".join(sorted(REFERENCE_ALPHABET)) == CROCKFORD
    symbols = "".join(intake.reference_generate()[3:].replace("-", "") for _ in range(2000))
    assert set(symbols) == set(CROCKFORD)


def test_the_tracking_secret_is_stored_only_as_its_hash():
    results = [submit(), submit()]  # a new report and its duplicate both get one

    values = stored_values()
    for result in results:
        secret = result.tracking_secret
        assert len(secret) >= 32
        assert not any(secret in value for value in values)
        report = Report.objects.get(pk=result.report.pk)
        assert report.tracking_secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert results[0].tracking_secret != results[1].tracking_secret


def test_partner_reports_get_no_tracking_secret(partner_key):
    partner, _ = partner_key

    result = report_submit(
        submission=submission_clean(url=URL),
        channel=Channel.PARTNER,
        actor=Actor.system(),
        partner=partner,
    )

    assert result.tracking_secret is None
    assert Report.objects.get().tracking_secret_hash == ""


# --- what submission_clean accepts and refuses ------------------------------------------------

BASE64_RUN = base64.b64encode(random.Random(5).randbytes(300)).decode()


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"url": ""}, "url", "URL is required"),
        ({"url": "ftp://files.example.com/a"}, "url", '"ftp:" scheme'),
        ({"url": "http://192.168.1.20/cam"}, "url", "private"),
        ({"description": "x " * 1000 + "y"}, "description", "2001 characters; at most 2000"),
        ({"description": f"look: {BASE64_RUN}"}, "description", "encoded data"),
        ({"reporter_email": "someone@"}, "reporter_email", "valid e-mail"),
        ({"category": "spam"}, "category", "Unknown category 'spam'"),
        ({"description": 42}, "description", "must be text"),
        ({"external_id": "x" * 201}, "external_id", "at most 200"),
    ],
)
def test_submission_clean_refuses_with_a_reason_per_field(fields, field, words):
    with pytest.raises(ValidationError) as refused:
        submission_clean(**{"url": URL} | fields)

    assert list(refused.value.message_dict) == [field]
    assert words in " ".join(refused.value.message_dict[field])


@pytest.mark.parametrize(
    "fields",
    [
        {"description": "x " * 999 + "xy"},  # exactly 2,000 characters
        {"description": f"look: {BASE64_RUN[:199]}"},  # a run one short of the limit
        {"description": "See https://images.example.com/gallery/42?page=3&sort=new"},
        {"reporter_email": "  someone@example.org  ", "category": "grooming"},
    ],
)
def test_submission_clean_accepts_what_is_just_within_the_rules(fields):
    submission = submission_clean(url=URL, **fields)

    assert submission.url == canonicalize(URL)
    assert submission.reporter_email in ("", "someone@example.org")
