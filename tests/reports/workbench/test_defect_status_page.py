"""The reporter's status page (/report/status/) follows the reporter-status rules of the API:
coarse, on the reporter's own timeline, days rounded in UTC (whatever zone the site shows),
a duplicate answers like a new report, throttled like the API, in English and Dutch."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine

from hotline.actors import Actor
from reports import workflow
from reports.models import Report
from tests.reports.factories import ILLEGAL, ProviderFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

URL = "https://images.example.com/gallery/42"
T0 = datetime(2025, 3, 3, 2, 10, tzinfo=UTC)  # early morning in UTC: still 2 March westwards
DUTCH = {"accept-language": "nl-NL,nl;q=0.9"}


def submit(client, url=URL) -> dict:
    response = client.post("/api/v1/reports/", {"url": url}, content_type="application/json")
    assert response.status_code == 201
    return response.json()


def status_page(client, receipt, **kwargs):
    body = {"reference": receipt["reference"], "tracking_secret": receipt["tracking_secret"]}
    return client.post(
        "/report/status/",
        urlencode(body),
        content_type="application/x-www-form-urlencoded",
        **kwargs,
    )


def text_of(response) -> str:
    return response.content.decode()


def removed(report: Report) -> None:
    actor = Actor.for_user(StaffUserFactory(username="sam", role="supervisor"))
    workflow.report_claim(report.pk, actor=actor)
    workflow.report_assess_illegal(report.pk, actor=actor, **ILLEGAL)
    provider = ProviderFactory(name="Alpha Hosting BV", country="NL")
    workflow.report_set_hosting(report.pk, actor=actor, provider_id=provider.pk, country="NL")
    workflow.report_send_notice(report.pk, actor=actor)
    workflow.report_confirm_removal(report.pk, actor=actor)


def test_the_page_gives_utc_days_whatever_zone_the_site_shows(client, settings):
    settings.TIME_ZONE = "America/New_York"
    with time_machine.travel(T0, tick=False) as clock:
        receipt = submit(client)
        assert "Received on 3 March 2025." in text_of(status_page(client, receipt))
        clock.move_to(datetime(2025, 3, 5, 14, 0, tzinfo=UTC))
        removed(Report.objects.get())
        clock.move_to(datetime(2025, 3, 6, 1, 0, tzinfo=UTC))  # 5 March, evening, in New York
        page = text_of(status_page(client, receipt))
        assert "Closed on 6 March 2025: action was taken." in page
        page = text_of(status_page(client, receipt, headers=DUTCH))
        assert "6 maart 2025" in page


def test_a_duplicate_reads_exactly_like_a_new_report_on_the_page(client):
    with time_machine.travel(T0, tick=False) as clock:
        first = submit(client)
        removed(Report.objects.get())
        clock.shift(timedelta(days=3))
        duplicate = submit(client)  # the same URL, already closed
        new = submit(client, "https://images.example.com/gallery/43")

        def page(receipt):
            text = text_of(status_page(client, receipt)).replace(receipt["reference"], "REF")
            return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", text)

        assert page(duplicate) == page(new)
        assert "Received on 6 March 2025." in page(duplicate)
        assert "Closed on" in page(first)


def test_the_page_is_throttled_like_the_api_and_says_when_to_come_back(client, monkeypatch):
    from hotline.throttling import ReportStatusThrottle

    monkeypatch.setitem(ReportStatusThrottle.THROTTLE_RATES, "report_status", "1/min")
    wrong = {"reference": "HL-0000-0000", "tracking_secret": "x"}
    assert status_page(client, wrong).status_code == 400
    page = status_page(client, wrong)
    api = client.get("/api/v1/reports/HL-0000-0000/status/", headers={"x-tracking-secret": "x"})

    assert page.status_code == api.status_code == 429
    assert 0 < int(page.headers["Retry-After"]) <= 60
    assert "Retry-After" in api.headers
