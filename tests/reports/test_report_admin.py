"""The read-only report admin: defanged URLs, never links; filters and search."""

import re

import pytest

from hotline.actors import Actor
from reports.intake import report_submit, submission_clean
from reports.models import Channel

pytestmark = pytest.mark.django_db

URL = "https://images.example.com/gallery/4411?p=2"


@pytest.fixture
def report():
    return report_submit(
        submission=submission_clean(url=URL, description="second row"),
        channel=Channel.WEB,
        actor=Actor.public(),
    ).report


def _elements_pointing_at(page: str, host: str) -> list[str]:
    """Every tag attribute that would make a browser fetch or link to the host."""
    return re.findall(rf'(?:href|src|action|data|poster)\s*=\s*"[^"]*{re.escape(host)}', page)


def test_report_page_shows_the_url_defanged_and_never_as_a_link(admin_client, report):
    page = admin_client.get(f"/admin/reports/report/{report.pk}/change/").content.decode()
    assert "hxxps://images[.]example[.]com/gallery/4411?p=2" in page
    assert _elements_pointing_at(page, "images.example.com") == []
    # The exact URL is present once, for the copy button, in an attribute no browser fetches.
    assert page.count("https://images.example.com") == 1
    assert f'data-copy-url="{URL}"' in page
    assert "received" in page  # the event timeline


def test_report_list_filters_by_status_and_channel_and_searches_reference_and_host(
    admin_client, report
):
    page = admin_client.get("/admin/reports/report/").content.decode()
    assert "hxxps://images[.]example[.]com" in page
    assert _elements_pointing_at(page, "images.example.com") == []
    assert (
        report.reference
        in admin_client.get(
            "/admin/reports/report/", {"status__exact": "new", "channel__exact": "web"}
        ).content.decode()
    )
    assert (
        report.reference
        not in admin_client.get(
            "/admin/reports/report/", {"channel__exact": "partner"}
        ).content.decode()
    )
    for term in (report.reference, "images.example.com"):
        found = admin_client.get("/admin/reports/report/", {"q": term}).content.decode()
        assert report.reference in found


@pytest.mark.parametrize(
    "pasted",
    [
        URL,
        "  HTTPS://Images.Example.COM:443/gallery/4411?p=2#top  ",  # canonicalised like intake
        "hxxps://images[.]example[.]com/gallery/4411?p=2",  # as the admin shows it
        "hXXps[:]//images[.]example[.]com/gallery/4411?p=2",
    ],
)
def test_search_finds_a_report_by_a_pasted_url_exact_or_defanged(admin_client, report, pasted):
    other = report_submit(
        submission=submission_clean(url="https://images.example.com/gallery/4412"),
        channel=Channel.WEB,
        actor=Actor.public(),
    ).report

    found = admin_client.get("/admin/reports/report/", {"q": pasted}).content.decode()

    assert report.reference in found
    assert other.reference not in found


def test_intake_fields_cannot_be_changed_added_or_deleted_in_the_admin(admin_client, report):
    assert admin_client.get("/admin/reports/report/add/").status_code == 403
    response = admin_client.post(
        f"/admin/reports/report/{report.pk}/change/",
        "description=edited",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 403
    assert admin_client.get(f"/admin/reports/report/{report.pk}/delete/").status_code == 403
    report.refresh_from_db()
    assert report.description == "second row"


def test_events_are_listed_read_only(admin_client, report):
    event = report.events.get()
    page = admin_client.get("/admin/reports/event/").content.decode()
    assert report.reference in page
    assert admin_client.get(f"/admin/reports/event/{event.pk}/delete/").status_code == 403
