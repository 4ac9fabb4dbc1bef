"""The report's timeline reads as sentences, one presenter per verb (reports/timeline.py), with
what was recorded one click away and no database ids."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from hotline.actors import Actor
from reports import workflow
from reports.models import Event, Notice
from reports.timeline import PRESENTERS, event_sentence
from reports.workflow import TRANSITIONS
from tests.reports.factories import ProviderFactory, StaffUserFactory, notice_send
from tests.reports.triage_admin.support import change_url, client_for, page, submit

NOW = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # 14:00 in Amsterdam
REPORTS_APP = Path(settings.BASE_DIR) / "reports"
# How the code names the verb of an event it writes for a report.
WRITERS = [
    r'event_build\(\s*"(\w+)"',
    r'_run\(\s*[\w.]+,\s*"(\w+)"',
    r'_event\(\s*[\w\[\].]+,\s*"(\w+)"',
    r'_message_event_append\(\s*"(\w+)"',
]
NO_REPORT = {"provider_test_delivery"}  # an event of the directory, not on any timeline


def verbs_written() -> set[str]:
    found = set(TRANSITIONS)
    for path in REPORTS_APP.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        source = path.read_text()
        for pattern in WRITERS:
            found |= set(re.findall(pattern, source))
    return found - NO_REPORT


def test_every_verb_the_workflow_and_services_write_has_a_sentence():
    written = verbs_written()

    assert {"received", "claim", "hand_off_notice", "removal_check"} <= written  # the scan works
    assert written - set(PRESENTERS) == set()


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
def test_a_report_worked_to_a_notice_reads_as_sentences_without_ids(clock, settings):
    settings.HOTLINE_LEA_WINDOW = ""
    ann = StaffUserFactory(username="ann", role="analyst")
    actor = Actor.for_user(ann)
    provider = ProviderFactory(name="Example Images BV", country="NL")
    report = submit("https://images.example.com/gallery/4411")
    workflow.report_claim(report.pk, actor=actor)
    workflow.report_assess_illegal(
        report.pk,
        actor=actor,
        legal_status="baseline",
        industry_category="A1",
        content_type="image",
        site_type="image_host",
        commerciality="non_commercial",
    )
    workflow.report_set_hosting(report.pk, actor=actor, provider_id=provider.pk, country="NL")
    notice = notice_send(report.pk, actor=actor)

    text = page(client_for(ann), change_url(report))

    timeline = text[text.index('id="events-group"') :]
    for sentence in [
        "Received by web",
        "Claimed by ann",
        "Assessed illegal: baseline, A1, image, image host, non-commercial, by ann",
        "Hosting set: Example Images BV (NL) by ann",
        "Notice sent to Example Images BV by ann",
        "Notice accepted by Example Images BV (e-mail), deadline 3 Dec 14:00 CET",
    ]:
        assert sentence in timeline, sentence
    assert "new → in review" in timeline
    # The recorded data, collapsed, for auditors.
    assert "<details><summary>hand_off_notice</summary>" in timeline
    # No database ids: the notice as a row title, a heading or a column.
    assert f"notice {notice.pk}" not in text
    assert f"for {report.pk}" not in text
    assert str(Notice.objects.get(pk=notice.pk)) == (
        f"notice on {report.reference} to Example Images BV"
    )


@pytest.mark.parametrize("verb", sorted(PRESENTERS))
def test_a_sentence_is_written_even_from_an_event_that_recorded_little(verb):
    # Events written by older versions carry fewer keys: the page must still read.
    event = Event(verb=verb, actor_kind="system", actor_label="deadline timer", data={})

    assert event_sentence(event, notices={}).strip()
