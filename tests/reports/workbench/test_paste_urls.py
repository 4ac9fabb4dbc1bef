""" "Paste URLs": an analyst files up to 1,000 URLs at once through intake, as channel analyst,
with intake's refusals and de-duplication and a body cap of the page's own."""

import re

import pytest

from reports.models import Channel, Event, Report, ReportStatus
from tests.reports.factories import StaffUserFactory
from tests.reports.workbench.bulk_support import (
    LIST,
    PASTE,
    client_for,
    form_post,
    new_reports,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann():
    return client_for(StaffUserFactory(username="ann", role="analyst"))


def paste(client, text: str, note: str = ""):
    form = client.get(PASTE)
    assert form.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', form.content.decode()).group(1)
    return form_post(client, PASTE, {"urls": text, "note": note, "token": token})


def outcomes(response) -> list[str]:
    """Each answer row as text: line, defanged URL, outcome."""
    rows = re.findall(r"<tr class=\"[a-z]+\">(.*?)</tr>", response.content.decode(), re.S)
    cells = (re.sub(r"<(?!/?td)[^>]+>", "", re.sub(r"</?td>", " ", row)) for row in rows)
    return [" ".join(cell.split()) for cell in cells]


def test_pasted_urls_are_filed_as_channel_analyst_with_their_notes(ann):
    response = paste(
        ann,
        "https://images.example.com/a/1\tfrom the forum's index\n\n"
        "https://images.example.com/a/2\n",
        note="crawl of 1 Dec",
    )

    first, second = Report.objects.order_by("pk")
    assert (first.channel, second.channel) == (Channel.ANALYST, Channel.ANALYST)
    assert first.description == "from the forum's index\ncrawl of 1 Dec"
    assert second.description == "crawl of 1 Dec"
    assert first.tracking_secret_hash == ""  # nobody outside follows it
    assert outcomes(response) == [
        f"1 hxxps://images[.]example[.]com/a/1 filed as {first.reference}",
        f"3 hxxps://images[.]example[.]com/a/2 filed as {second.reference}",
    ]
    received = Event.objects.get(report=first, verb="received")
    assert (received.actor_label, received.data) == ("ann", {"channel": "analyst"})
    assert received.actor_user.username == "ann"


def test_the_answer_links_the_references_and_never_the_urls(ann):
    response = paste(ann, "https://images.example.com/a/1")

    text = response.content.decode()
    report = Report.objects.get()
    assert f'<a href="/admin/reports/report/{report.pk}/change/">{report.reference}</a>' in text
    assert not re.search(r'(?:href|src|action)="[^"]*images\.example\.com', text)
    assert "https://images.example.com" not in text


def test_refusals_and_duplicates_as_intake_decides_them(ann):
    [open_report] = new_reports(1)
    long_url = "https://images.example.com/" + "x" * 2100
    response = paste(
        ann,
        "\n".join(
            [
                open_report.canonical_url,  # an open report: a duplicate of it
                "https://files.example.org/d/1",
                "https://files.example.org/d/1#again",  # the same URL once canonical
                "not-a-web-address",
                "http://10.0.0.7/private",
                long_url,
            ]
        ),
    )

    rows = outcomes(response)
    duplicate = Report.objects.get(duplicate_of=open_report)
    filed = Report.objects.get(canonical_url="https://files.example.org/d/1")
    assert duplicate.status == ReportStatus.DUPLICATE
    assert rows[0].endswith(
        f"duplicate of {open_report.reference} (filed as {duplicate.reference})"
    )
    assert rows[1].endswith(f"filed as {filed.reference}")
    assert rows[2].endswith(f"same URL as line 2: filed as {filed.reference}")
    assert rows[3].startswith("4 not-a-web-address refused: url: ")
    assert rows[4].startswith("5 hxxp://10[.]0[.]0[.]7/private refused: url: ")
    assert "2048" in rows[5]
    assert Report.objects.count() == 3  # the open one, its duplicate, and one for d/1
    assert "New reports: 1. Duplicates of open reports: 1. Refused: 3." in response.content.decode()
    assert Report.objects.get(pk=open_report.pk).times_reported == 2


def test_a_thousand_urls_pass_though_the_body_is_over_the_public_cap(ann, settings):
    lines = [
        f"https://images.example.com/gallery/{n:04d}/{'p' * 40}\tnote {n}" for n in range(1000)
    ]
    text = "\n".join(lines)
    assert len(text) > settings.HOTLINE_MAX_BODY_BYTES

    response = paste(ann, text)

    assert response.status_code == 200
    assert Report.objects.filter(channel=Channel.ANALYST).count() == 1000
    assert len(outcomes(response)) == 1000


def test_a_thousand_and_one_urls_are_refused_and_nothing_is_filed(ann):
    text = "\n".join(f"https://images.example.com/g/{n}" for n in range(1001))

    response = paste(ann, text)

    assert "1001 URLs were pasted; at most 1000 are taken at once" in response.content.decode()
    assert not Report.objects.exists()


def test_a_body_over_the_pages_cap_is_refused_before_it_is_read(ann, settings):
    settings.HOTLINE_PASTE_MAX_BYTES = 100_000
    response = form_post(ann, PASTE, {"urls": "https://images.example.com/" + "a" * 100_000})

    assert response.status_code == 413
    assert "the limit is 100000 bytes" in response.content.decode()


@pytest.mark.parametrize("path", ["/report/", "/api/v1/reports/", "/admin/login/"])
def test_the_public_endpoints_keep_their_64_kib_cap(client, path):
    response = client.post(
        path, "url=https://images.example.com/" + "a" * 70_000, content_type="text/plain"
    )

    assert response.status_code == 413


def test_reloading_the_answer_does_not_file_again(ann):
    form = ann.get(PASTE)
    token = re.search(r'name="token" value="([^"]+)"', form.content.decode()).group(1)
    data = {"urls": "https://images.example.com/a/1", "token": token}
    form_post(ann, PASTE, data)

    again = form_post(ann, PASTE, data)

    assert "This paste was filed already" in again.content.decode()
    assert Report.objects.count() == 1


def test_only_roles_that_triage_paste(ann):
    auditor = client_for(StaffUserFactory(username="aud", role="auditor"))
    assert auditor.get(PASTE).status_code == 403
    assert "Paste URLs" not in auditor.get(LIST).content.decode()
    assert "Paste URLs" not in auditor.get("/admin/").content.decode()
    assert f'href="{PASTE}"' in ann.get(LIST).content.decode()
    assert f'href="{PASTE}"' in ann.get("/admin/").content.decode()
