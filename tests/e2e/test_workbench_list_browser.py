"""The report list at 1280 px in a real browser (headless Chromium, as in test_triage_browser):
no horizontal scroll with the admin's sidebar open or collapsed, references on one line, in the
unfiltered list and in the queues "awaiting removal" and "due within 4 h".

Screenshots, checked by eye and kept: test-artifacts/list-1280.png (sidebar open),
list-1280-sidebar-collapsed.png, list-1280-awaiting-removal.png, list-1280-due-soon.png.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from hotline.roles import roles_sync
from reports.models import Notice, ReportStatus
from tests.e2e.test_triage_browser import browser  # noqa: F401  (the fixture)
from tests.reports.factories import ActionableReportFactory, ProviderFactory, StaffUserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
PASSWORD = "hotline-list-1280"
WIDTH, HEIGHT = 1280, 800
S = ReportStatus
# Long names, as real ones are: the columns must still fit.
PROVIDERS = [
    "Example Images BV",
    "Hetzner Online GmbH - Abuse Department",
    "OVH SAS (Roubaix data centre)",
    "Cloud Storage Provider of the Netherlands B.V.",
]


def worked_reports() -> None:
    """A list as an analyst sees it: new, in review, notices running, due soon, overdue."""
    now = timezone.now()
    providers = [ProviderFactory(name=name) for name in PROVIDERS]
    for number in range(24):
        provider = providers[number % len(providers)]
        path = "/".join(["gallery", "2026", "albums", f"user-{number:04d}", "photos" * 3])
        url = f"https://img{number}.files.images-{number}.example.com/{path}/{number}.jpg?size=full"
        shape = number % 6
        if shape == 0:
            ActionableReportFactory(submitted_url=url, status=S.NEW, provider=None)
            continue
        report = ActionableReportFactory(
            submitted_url=url,
            provider=provider,
            status=S.OVERDUE if shape == 5 else S.TAKEDOWN_REQUESTED,
        )
        left = {1: timedelta(hours=2), 2: timedelta(minutes=40), 3: timedelta(days=1, hours=3)}
        deadline = now + left.get(shape, timedelta(hours=-5 if shape == 5 else 20))
        Notice.objects.create(
            report=report,
            provider=provider,
            status=Notice.Status.OVERDUE if shape == 5 else Notice.Status.OPEN,
            created_by_label="test",
            sent_at=deadline - timedelta(hours=24),
            handed_off_at=deadline - timedelta(hours=24),
            deadline_at=deadline,
        )


@pytest.fixture
def reports_listed():
    """Made before the browser starts: its event loop would refuse the ORM."""
    roles_sync()  # transactional tests flush the groups a migrate made
    user = StaffUserFactory(username="ann", role="analyst")
    user.set_password(PASSWORD)
    user.save()
    worked_reports()


@pytest.fixture
def signed_in(live_server, reports_listed, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    origin = live_server.url.replace("://localhost:", "://127.0.0.1:")
    page.goto(f"{origin}/admin/login/")
    page.fill("#id_username", "ann")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click('input[type="submit"]')
    return page, origin


def fits(page) -> None:
    """No horizontal scroll, of the page or of the table's own box; every reference on one
    line."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"the page is {width} px wide"
    results = page.locator("#changelist .results")
    overflow = results.evaluate("box => box.scrollWidth - box.clientWidth")
    assert overflow <= 0, f"the table is {overflow} px wider than its box"
    references = page.locator("#result_list .reference")
    assert references.count() > 0
    for box in references.evaluate_all("els => els.map(e => e.getClientRects().length)"):
        assert box == 1  # one line box: not wrapped


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_the_report_list_fits_1280_px_with_the_sidebar_open_or_collapsed(signed_in):
    page, origin = signed_in
    page.goto(f"{origin}/admin/reports/report/")
    page.evaluate("localStorage.setItem('django.admin.navSidebarIsOpen', 'true')")
    page.reload()
    assert page.locator("#nav-sidebar").is_visible()
    shot(page, "list-1280")
    fits(page)

    page.click("#toggle-nav-sidebar")
    assert not page.locator("#nav-sidebar").is_visible()
    fits(page)
    shot(page, "list-1280-sidebar-collapsed")


@pytest.mark.parametrize(
    ("queue", "name"), [("awaiting_removal", "awaiting-removal"), ("due_soon", "due-soon")]
)
def test_the_new_queues_fit_1280_px(signed_in, queue, name):
    page, origin = signed_in
    page.goto(f"{origin}/admin/reports/report/?queue={queue}")
    fits(page)
    shot(page, f"list-1280-{name}")
