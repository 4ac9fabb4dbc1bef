"""The workbench's bulk path in a real browser (headless Debian Chromium, Playwright, the live
server; fixtures of test_triage_browser.py): the demo's 20 new reports on images.example.com go
from "new" to "notice sent" by the README's nine steps (select all, assess illegal with one
classification, select all, send notices), and an analyst pastes URLs. Screenshots land in
test-artifacts/bulk-*.png; nothing the browser asks for goes to a reported host.
"""

from pathlib import Path

import pytest
from django.conf import settings

from reports.demo import BULK_URLS
from reports.models import Channel, Notice, Report, ReportStatus
from tests.e2e import test_triage_browser as triage
from tests.e2e.test_triage_browser import PASSWORD, PROVIDER, Watched, in_thread

pytestmark = [pytest.mark.e2e, pytest.mark.axes, pytest.mark.django_db(transaction=True)]

# The triage test's fixtures: the demo data on a live server, and the browser.
demo, browser = triage.demo, triage.browser
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
HOST = "images.example.com"


@pytest.fixture(scope="module")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("bulk-*.png"):
        old.unlink()
    return ARTIFACTS


def signed_in(watched: Watched, origin: str):
    page = watched.page
    page.goto(f"{origin}/admin/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click('input[type="submit"]')
    return page


def action_run(page, label: str) -> None:
    """Steps "tick all" and "choose the action, Go": the action's form page opens."""
    page.locator("#action-toggle").check()
    page.locator('select[name="action"]').select_option(label=label)
    with page.expect_navigation():
        page.locator('button[name="index"]').click()


def test_twenty_demo_reports_from_new_to_notice_sent_in_nine_steps(demo, browser, artifacts):
    origin = demo["origin"]
    watched = Watched(browser, artifacts, "bulk")
    page, shot = watched.page, watched.shot
    page.set_viewport_size({"width": 1280, "height": 900})
    page = signed_in(watched, origin)

    # 1. The queue "New" from the admin index; 2. search the host.
    with page.expect_navigation():
        page.locator("#triage-queues").get_by_role("link", name="New").click()
    page.fill("#searchbar", HOST)
    with page.expect_navigation():
        page.locator("#searchbar").press("Enter")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == len(BULK_URLS) + 1  # and gallery/4411
    shot("list-new")

    # 3. Select all; 4. "Assess illegal", Go: the form page lists the 21.
    action_run(page, "Assess illegal (one classification; claims unclaimed ones)")
    assert page.locator("#bulk-reports tbody tr").count() == 21
    # 5. One classification for all.
    for field, value in {
        "legal_status": "baseline",
        "industry_category": "A1",
        "content_type": "image",
        "site_type": "image_host",
        "commerciality": "non_commercial",
    }.items():
        page.locator(f'select[name="bulk-{field}"]').select_option(value)
    shot("assess-form")
    with page.expect_navigation():
        page.locator('.bulk-form input[type="submit"]').click()
    done = page.locator("ul.messagelist li.success").inner_text()
    assert done.startswith(
        "Assess illegal (one classification; claims unclaimed ones): done for 21"
    )
    assert page.locator("ul.messagelist li.error").count() == 0
    shot("assessed")

    # 6. The queue "Actionable", the search kept; 7. select all; 8. "Send notices", Go.
    with page.expect_navigation():
        page.locator("#changelist-filter").get_by_role("link", name="Actionable (").first.click()
    assert page.locator("#result_list tbody tr").count() == 21
    action_run(page, "Send notices (grouped per provider)")
    assert (
        page.locator("#bulk-reports").inner_text().count(f"{PROVIDER} (suggested by the lookup)")
        == 21
    )
    shot("send-form")
    # 9. Send.
    with page.expect_navigation():
        page.locator('.bulk-form input[type="submit"]').click()
    assert page.locator("ul.messagelist li.info").first.inner_text() == (
        f"{PROVIDER}: 21 notices queued; they go as one message per provider."
    )
    shot("sent")

    def outcome():
        reports = Report.objects.filter(canonical_url__in=BULK_URLS)
        return (
            set(reports.values_list("status", flat=True)),
            set(Notice.objects.filter(report__in=reports).values_list("provider__name", flat=True)),
        )

    assert in_thread(outcome) == ({ReportStatus.TAKEDOWN_REQUESTED}, {PROVIDER})
    watched.assert_stayed_home(origin, demo["hosts"])


def test_an_analyst_pastes_urls(demo, browser, artifacts):
    origin = demo["origin"]
    watched = Watched(browser, artifacts, "bulk-paste")
    page = signed_in(watched, origin)
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_navigation():
        page.locator("#paste-urls").get_by_role("link", name="Paste URLs").click()
    pasted = [
        "https://uploads.example.com/p/1\tseen on the forum's front page",
        "https://uploads.example.com/p/2",
        "https://uploads.example.com/p/1#top",
        "https://images.example.com/gallery/4411",
        "http://192.168.1.20/x",
        "not-a-web-address",
    ]
    page.fill("#id_urls", "\n".join(pasted))
    page.fill("#id_note", "list from a partner's crawl")
    watched.shot("form")
    with page.expect_navigation():
        page.get_by_role("button", name="File these URLs").click()
    answers = page.locator("#paste-answers tbody tr")
    assert answers.count() == 6
    assert [answers.nth(n).get_attribute("class") for n in range(6)] == [
        "filed",
        "filed",
        "filed",
        "duplicate",
        "refused",
        "refused",
    ]
    assert "same URL as line 1" in answers.nth(2).inner_text()
    assert "hxxps://uploads[.]example[.]com/p/1" in answers.nth(0).inner_text()
    assert page.locator('#paste-answers a[href*="example.com"]').count() == 0
    watched.shot("answer")

    def filed():
        return sorted(Report.objects.filter(channel=Channel.ANALYST).values_list("description"))

    assert in_thread(filed) == [
        ("list from a partner's crawl",),
        ("list from a partner's crawl",),
        ("seen on the forum's front page\nlist from a partner's crawl",),
    ]
    watched.assert_stayed_home(origin, demo["hosts"] | {"uploads.example.com", "192.168.1.20"})
