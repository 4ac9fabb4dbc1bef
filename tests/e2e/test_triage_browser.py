"""The analysts' triage, end to end in a real browser: headless Chromium (Debian's package) driven
by Playwright's sync API against pytest-django's live server.

An analyst signs in through the real login page, claims a demo report, assesses it illegal, sets
the hosting provider (the suggested one is preselected) and sends the notice; the provider then
confirms removal through its API over real HTTP, and the report page shows it removed with the
removal time. The public report form is posted from the browser too. Every request the browser
makes is recorded: none may go to a reported URL's host, and all go to the live server; no script
error and nothing blocked by the Content-Security-Policy. Screenshots of each step land in
test-artifacts/e2e/. A provider without an API key answers "removed" from the link in its
notice e-mail, on the one-click answer page.
"""

import json
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime

from hotline.actors import Actor
from hotline.roles import roles_sync
from hotline.times import hotline_zone
from reports import deadlines, hosting, outbox, workflow
from reports.management.commands import demo_data
from reports.models import Notice, Report, ReportStatus
from reports.outbox import outbox_drain
from tests.reports.factories import (
    ActionableReportFactory,
    ProviderFactory,
    StaffUserFactory,
    notice_hand_off,
)

pytestmark = [pytest.mark.e2e, pytest.mark.axes, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces: no name resolves, so nothing could leave the machine even by mistake
    # (the request is still recorded and the test fails).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "e2e"
PASSWORD = "hotline-demo"
URL = "https://images.example.com/gallery/4411"  # a demo report, suggested "Example Images BV"
DEFANGED = "hxxps://images[.]example[.]com/gallery/4411"
PROVIDER = "Example Images BV"
TIMEOUT_MS = 10_000


def in_thread(work):
    """Run ORM work in a thread of its own: the browser's event loop runs in this one, and
    Django's ORM refuses to run inside an event loop."""

    def run():
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def hand_off(reference: str) -> None:
    """Deliver the report's notice (in a thread, see in_thread)."""
    in_thread(lambda: notice_hand_off(Notice.objects.get(report__reference=reference)))


@pytest.fixture
def demo(live_server, monkeypatch):
    """The demo data, the live server's origin, a provider key and every reported host."""
    # No broker traffic: timers and mail delivery are other tests' business.
    monkeypatch.setattr(deadlines, "_send_wakes", lambda *args: None)
    monkeypatch.setattr(outbox, "drain_kick", lambda: None)
    # The four months of closed history behind the SLA figures take most of demo_data's time
    # and play no part here: the command makes the users, the directory and the new reports.
    monkeypatch.setattr(demo_data, "demo_history_load", lambda user: 0)
    roles_sync()  # transactional tests flush the groups a migrate made
    call_command("demo_data", stdout=StringIO())
    # The lookups worker's part (no DNS server runs here: the directory's domains decide).
    hosting.intake_lookups_run(list(Report.objects.values_list("pk", flat=True)))
    out = StringIO()
    call_command("apikey", "create", "--provider", PROVIDER, stdout=out)
    report = Report.objects.get(canonical_url=URL, status=ReportStatus.NEW)
    hosts = set(Report.objects.values_list("host", flat=True))
    for canonical, submitted in Report.objects.values_list("canonical_url", "submitted_url"):
        hosts |= {urlsplit(canonical).hostname, urlsplit(submitted).hostname}
    # The live server listens on IPv4 loopback; the browser uses the address, not a name.
    origin = live_server.url.replace("://localhost:", "://127.0.0.1:")
    return {
        "origin": origin,
        "reference": report.reference,
        "key": out.getvalue().strip().splitlines()[-1],
        "hosts": hosts - {None},
    }


@pytest.fixture
def browser(request):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    request.addfinalizer(playwright.stop)
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    request.addfinalizer(chromium.close)  # finalizers run last-in first-out
    return chromium


@pytest.fixture(scope="module")
def artifacts():
    """test-artifacts/e2e/, emptied once per run: the screenshots there are this run's."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


class Watched:
    """A page whose every request is recorded (the whole context's, popups included), with
    script errors and anything the Content-Security-Policy blocked, and numbered screenshots."""

    def __init__(self, browser, artifacts: Path, name: str, locale: str = "en-US"):
        context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(TIMEOUT_MS)
        self.requested: list[str] = []
        self.problems: list[str] = []
        context.on("request", lambda request: self.requested.append(request.url))
        self.page = context.new_page()
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on("console", self._console)
        self._shots = (artifacts / f"{name}-{n:02d}" for n in range(1, 100))

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(message.text)

    def shot(self, step: str) -> None:
        self.page.screenshot(path=f"{next(self._shots)}-{step}.png", full_page=True)

    def assert_stayed_home(self, origin: str, reported_hosts: set[str]) -> None:
        """Nothing went to a reported host; everything went to the live server."""
        assert self.requested
        leaked = [url for url in self.requested if urlsplit(url).hostname in reported_hosts]
        assert leaked == []
        elsewhere = [url for url in self.requested if not url.startswith(f"{origin}/")]
        assert elsewhere == []
        assert self.problems == []


def provider_api(origin: str, key: str, path: str, body: dict | None = None) -> dict:
    """The provider's side, over real HTTP to the live server (an http:// origin)."""
    request = urllib.request.Request(  # noqa: S310
        f"{origin}/api/v1/provider/notices/{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200
        return json.loads(response.read())


def test_analyst_takes_a_report_to_removal_without_the_browser_touching_its_host(
    demo, browser, artifacts
):
    origin = demo["origin"]
    watched = Watched(browser, artifacts, "triage")
    page, shot = watched.page, watched.shot

    def submit(transition: str) -> None:
        form = page.locator(f'form[action$="/transition/{transition}/"]')
        # A <form> nested in the admin's own form is dropped by the browser's parser.
        assert form.count() == 1, f"no form posts to the {transition} transition"
        with page.expect_navigation():
            form.locator('input[type="submit"]').click()
        page.locator("ul.messagelist li.success").filter(has_text="done.").wait_for()
        assert page.locator("ul.messagelist li.error").count() == 0

    # Sign in through the real login page.
    page.goto(f"{origin}/admin/")
    assert "/admin/login/" in page.url
    page.fill("#id_username", "analyst")
    page.fill("#id_password", PASSWORD)
    shot("login")
    with page.expect_navigation():
        page.click('input[type="submit"]')
    assert "/admin/login/" not in page.url

    # The report list, then the demo report (new).
    page.goto(f"{origin}/admin/reports/report/?queue=new")
    row = page.locator("#result_list tbody tr").filter(has_text=DEFANGED)
    assert row.count() == 1
    shot("list-new")
    with page.expect_navigation():
        row.get_by_role("link", name=demo["reference"]).click()
    # Step by step on this one report (opened from the queue, each step would move on to the
    # next report of the queue: tests/e2e/test_workbench_triage_browser.py).
    page.goto(page.url.split("?")[0])
    heading = page.locator("#triage-heading")
    assert "new" in heading.inner_text()
    assert page.locator("section.triage code.defanged-url").inner_text() == DEFANGED
    shot("report-new")

    submit("claim")
    assert "claimed by analyst" in heading.inner_text()
    shot("claimed")

    form = page.locator('form[action$="/transition/assess_illegal/"]')
    form.locator('select[name="assess_illegal-legal_status"]').select_option("baseline")
    form.locator('select[name="assess_illegal-industry_category"]').select_option("B2")
    form.locator('select[name="assess_illegal-content_type"]').select_option("image")
    form.locator('select[name="assess_illegal-site_type"]').select_option("image_host")
    form.locator('select[name="assess_illegal-commerciality"]').select_option("commercial")
    shot("assess-filled")
    submit("assess_illegal")
    assert "actionable" in heading.inner_text()

    form = page.locator('form[action$="/transition/set_hosting/"]')
    provider = form.locator('select[name="set_hosting-provider"]')
    selected = provider.locator("option:checked").inner_text()
    assert selected == PROVIDER  # the suggested provider is preselected
    provider.select_option(label=PROVIDER)
    assert form.locator('input[name="set_hosting-country"]').input_value() == "NL"
    shot("hosting")
    submit("set_hosting")

    submit("send_notice")
    assert "takedown requested" in heading.inner_text()
    shot("notice-sent")
    # Its e-mail goes out (the delivery task's work, done here): the provider's clock starts.
    hand_off(demo["reference"])

    # The provider confirms removal through its API, over real HTTP.
    listed = provider_api(origin, demo["key"], "?status=open")
    (notice,) = [n for n in listed["results"] if n["reference"] == demo["reference"]]
    assert notice["url"] == URL
    answer = provider_api(origin, demo["key"], f"{notice['id']}/removed/", body={})
    assert answer["status"] == "removed"
    removed_at = parse_datetime(answer["removed_at"])

    page.reload()
    assert "removed" in heading.inner_text()
    assert page.locator("div.field-status").inner_text().endswith("removed")
    with translation.override("en"):
        shown = formats.localize(timezone.localtime(removed_at, hotline_zone()))  # the admin's
    assert page.locator("td.field-removed_at").inner_text().strip() == shown
    shot("removed")

    assert demo["hosts"] >= {"images.example.com", "share.example.com"}
    watched.assert_stayed_home(origin, demo["hosts"])


def test_the_public_form_files_a_report_from_a_real_browser(live_server, browser, artifacts):
    """The public form posts (CSRF accepts the browser's Origin) and shows the reference."""
    origin = live_server.url.replace("://localhost:", "://127.0.0.1:")
    watched = Watched(browser, artifacts, "public-form")
    page = watched.page
    page.goto(f"{origin}/report/")
    page.fill('input[name="url"]', "https://uploads.example.com/p/123")
    watched.shot("filled")
    with page.expect_navigation():
        page.get_by_role("button", name="Send report").click()
    assert "your report was received" in page.title()
    assert re.search(r"\bHL-[0-9A-Z]{4}-[0-9A-Z]{4}\b", page.locator("body").inner_text())
    assert page.url == f"{origin}/report/received/"  # post, redirect, get
    watched.shot("received")
    page.reload()  # files nothing again, and the secret is not shown twice
    assert "were shown once" in page.locator("h1").inner_text()
    watched.assert_stayed_home(origin, {"uploads.example.com"})


def test_the_public_form_in_dutch_and_the_language_switch(live_server, browser, artifacts):
    """A Dutch browser gets the Dutch form; the switch (a plain form, no script) changes the
    language and stays on the page; a report filed in Dutch is confirmed in Dutch."""
    origin = live_server.url.replace("://localhost:", "://127.0.0.1:")
    watched = Watched(browser, artifacts, "public-form-nl", locale="nl-NL")
    page = watched.page
    page.goto(f"{origin}/report/")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert (
        page.locator("h1").inner_text()
        == "Materiaal van seksueel kindermisbruik op internet melden"
    )
    watched.shot("dutch")
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert page.url == f"{origin}/report/"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Send report").is_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Nederlands").click()
    page.get_by_label("Webadres (URL)").fill("https://uploads.example.com/p/456")
    with page.expect_navigation():
        page.get_by_role("button", name="Melding versturen").click()
    assert page.title() == "Dank u wel: uw melding is ontvangen"
    assert "Uw kenmerk:" in page.locator("body").inner_text()
    watched.shot("received")
    watched.assert_stayed_home(origin, {"uploads.example.com"})


@pytest.fixture
def answer_link(live_server, settings):
    """A notice e-mailed through the outbox to a provider without an API key; the live server's
    answer-page link as the e-mail gives it, with the notice. Made before the browser starts."""
    origin = live_server.url.replace("://localhost:", "://127.0.0.1:")
    settings.HOTLINE_PUBLIC_URL = origin
    roles_sync()  # transactional tests flush the groups a migrate made
    analyst = Actor.for_user(StaffUserFactory(username="ann", role="analyst"))
    provider = ProviderFactory(name=PROVIDER, abuse_email="abuse@images.example")
    report = ActionableReportFactory(provider=provider, submitted_url=URL)
    notice = workflow.report_send_notice(report.pk, actor=analyst)
    outbox_drain()
    [email] = mail.outbox
    [link] = re.findall(re.escape(origin) + r"/notice/[0-9a-f]{64}/", email.body)
    return {"origin": origin, "link": link, "notice": notice.pk, "reference": report.reference}


def test_a_provider_answers_removed_from_the_link_in_its_email(answer_link, browser, artifacts):
    """The page shows the URL defanged and the exact one to copy (never as a link), the copy
    button copies it exactly, and "Removed" posts (Django's own CSRF check) and comes back saying
    what was recorded."""
    origin, reference = answer_link["origin"], answer_link["reference"]
    watched = Watched(browser, artifacts, "answer-page")
    page = watched.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    page.goto(answer_link["link"])
    section = page.locator(f"#notice-{answer_link['notice']}")
    assert reference in section.locator("h2").inner_text()
    assert section.locator("code").first.inner_text() == DEFANGED
    assert section.locator("input[readonly]").input_value() == URL
    assert page.locator(f'a[href*="{URL}"], img, iframe').count() == 0
    watched.shot("open")

    section.get_by_role("button", name="Copy the exact URL").click()
    section.locator(".copy-status").filter(has_text="Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == URL

    with page.expect_navigation():
        section.get_by_role("button", name="Removed").click()
    assert page.url == answer_link["link"]  # POST, then redirected back here
    recorded = page.locator(".messages li.success").inner_text()
    assert recorded.startswith(f"Recorded: {reference} removed at ")
    assert "removed: closed, nothing more to do" in section.inner_text()
    assert section.get_by_role("button").count() == 0
    watched.shot("removed")

    def audit():
        notice = Notice.objects.get(pk=answer_link["notice"])
        event = notice.report.events.latest("id")
        return notice.status, notice.report.status, event.verb, event.actor_label

    assert in_thread(audit) == (
        Notice.Status.REMOVED,
        ReportStatus.REMOVED,
        "confirm_removal",
        f"answer page ({PROVIDER})",
    )
    watched.assert_stayed_home(origin, {"images.example.com"})
