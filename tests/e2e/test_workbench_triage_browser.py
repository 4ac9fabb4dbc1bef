"""The workbench's path for one URL in a real browser (headless Chromium through Playwright
against the live server, as tests/e2e/test_triage_browser.py runs it): a new report from the
queue to its notice in two actions, a dispute answered (rejected, then upheld after the
confirmation page), and a screenshot of the triage box in each state, kept in test-artifacts/
(triage-box-<state>.png, 1280 px wide) to be checked by eye.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from hotline.actors import Actor
from hotline.models import Agency, Provider
from reports import workflow
from reports.demo import DISPUTED_URL
from reports.models import Notice, Report, ReportStatus
from tests.e2e import test_triage_browser as base
from tests.e2e.test_triage_browser import PASSWORD, PROVIDER, Watched, hand_off, in_thread
from tests.reports.factories import ActionableReportFactory, notice_send

# The demo data and Chromium, as the first browser test makes them.
demo = base.demo
browser = base.browser

pytestmark = [pytest.mark.e2e, pytest.mark.axes, pytest.mark.django_db(transaction=True)]
SHOTS = Path(settings.BASE_DIR) / "test-artifacts"
WIDTH = 1280


@pytest.fixture
def analyst(request, tmp_path):
    """A signed-in analyst's page, 1280 px wide, with the demo's facts; every request
    recorded."""
    site = request.getfixturevalue("demo")
    watched = Watched(request.getfixturevalue("browser"), tmp_path, "workbench")
    watched.page.set_viewport_size({"width": WIDTH, "height": 900})
    watched.site = site
    page = watched.page
    page.goto(f"{site['origin']}/admin/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click('input[type="submit"]')
    yield watched
    watched.assert_stayed_home(site["origin"], site["hosts"])


def actor(username: str) -> Actor:
    return Actor.for_user(get_user_model().objects.get(username=username))


def box_shot(page, state: str) -> None:
    """The triage box alone, as it reads at 1280 px."""
    SHOTS.mkdir(exist_ok=True)
    page.locator("section.triage").first.screenshot(path=SHOTS / f"triage-box-{state}.png")


def status_of(reference: str) -> str:
    return in_thread(lambda: Report.objects.get(reference=reference).status)


def open_report(page, origin: str, reference: str) -> None:
    page.goto(f"{origin}/admin/reports/report/?q={reference}")
    with page.expect_navigation():
        page.locator("#result_list").get_by_role("link", name=reference).click()


def test_one_url_from_the_queue_to_notice_sent_in_two_actions(analyst):
    page, origin, reference = analyst.page, analyst.site["origin"], analyst.site["reference"]
    page.goto(f"{origin}/admin/reports/report/?queue=new")

    # Action 1: open the report from the queue.
    with page.expect_navigation():
        page.locator("#result_list").get_by_role("link", name=reference).click()
    assert "_changelist_filters=queue%3Dnew" in page.url
    form = page.locator('form[action$="/transition/assess_illegal/"]')
    for field, value in {
        "legal_status": "baseline",
        "industry_category": "A1",
        "content_type": "image",
        "site_type": "image_host",
        "commerciality": "non_commercial",
    }.items():
        form.locator(f'select[name="assess_illegal-{field}"]').select_option(value)
    box_shot(page, "new")
    button = form.get_by_role("button", name=f"Assess illegal and notify {PROVIDER} — 24 h")

    # Action 2: assess, set the hosting and send the notice, in one.
    with page.expect_navigation():
        button.click()

    success = page.locator("ul.messagelist li.success")
    assert success.inner_text() == f"{reference}: assessed illegal and notified {PROVIDER}: done."
    assert reference not in page.locator("#triage-heading").inner_text()  # the next one
    assert page.get_by_role("link", name="← Back to the queue").get_attribute("href") == (
        "/admin/reports/report/?queue=new"
    )
    assert status_of(reference) == ReportStatus.TAKEDOWN_REQUESTED
    hand_off(reference)
    open_report(page, origin, reference)
    time_left = page.locator(".triage-clock .time-left").inner_text().replace("\u00a0", " ")
    assert time_left.startswith(("23 h", "24 h"))
    box_shot(page, "notice-sent")


def _disputed_report(provider_name: str, reason: str) -> str:
    """Another report whose notice reached its provider and was disputed."""

    def make():
        provider = Provider.objects.get(name=provider_name)
        report = ActionableReportFactory(provider=provider, hosting_country="NL")
        notice = notice_send(report.pk, actor=actor("analyst"))
        workflow.notice_dispute(notice.pk, actor=Actor.provider_link(provider), reason=reason)
        return report.reference

    return in_thread(make)


def test_a_dispute_is_rejected_and_another_upheld(analyst):
    page, origin = analyst.page, analyst.site["origin"]
    demo_disputed = in_thread(lambda: Report.objects.get(canonical_url=DISPUTED_URL).reference)
    second = _disputed_report("Example Forum Hosting", "Wrong host: we moved the forum.")
    page.goto(f"{origin}/admin/reports/report/?queue=disputed")
    with page.expect_navigation():
        page.locator("#result_list").get_by_role("link", name=demo_disputed).click()
    dispute = page.locator(".triage-dispute")
    assert "we hold her age records" in dispute.inner_text()
    box_shot(page, "disputed")

    form = page.locator('form[action$="/transition/reject_dispute/"]')
    form.locator('textarea[name="reject_dispute-reason"]').fill(
        "Two analysts assessed the person shown as a child."
    )
    with page.expect_navigation():
        form.locator('input[type="submit"]').click()
    assert (
        "Dispute rejected: the notice runs on: done." in page.locator("ul.messagelist").inner_text()
    )
    # On to the next disputed report of the queue: the second one.
    assert second in page.locator("#triage-heading").inner_text()
    answered = in_thread(lambda: Notice.objects.get(report__reference=demo_disputed).dispute_answer)
    assert answered == "rejected"

    form = page.locator('form[action$="/transition/uphold_dispute/"]')
    form.locator('textarea[name="uphold_dispute-reason"]').fill("The content moved elsewhere.")
    with page.expect_navigation():
        form.locator('input[type="submit"]').click()
    # Asked first, on a page of its own.
    assert "this cannot be undone" in page.locator("#content-main").inner_text()
    page.screenshot(path=SHOTS / "triage-box-confirm-uphold.png")
    with page.expect_navigation():
        page.get_by_role("button", name="Yes: Dispute upheld: withdraw the notice").click()
    assert "The queue is empty." in page.locator("ul.messagelist").inner_text()
    assert status_of(second) == ReportStatus.ACTIONABLE

    open_report(page, origin, demo_disputed)
    assert "Answered" in page.locator(".triage-dispute").inner_text()
    box_shot(page, "dispute-rejected")
    open_report(page, origin, second)
    box_shot(page, "dispute-upheld")


def test_the_triage_box_in_the_other_states(analyst):
    """On hold (the clock stopped) and escalated, and removed."""
    page, origin = analyst.page, analyst.site["origin"]

    def held():
        report = Report.objects.get(canonical_url=DISPUTED_URL)
        supervisor = actor("supervisor")
        police = Agency.objects.filter(kind=Agency.Kind.POLICE).first()
        workflow.report_escalate(
            report.pk,
            actor=supervisor,
            agency_id=police.pk,
            kind="notification",
            channel="portal",
            agency_reference="POL-2291",
        )
        workflow.report_hold(
            report.pk,
            actor=supervisor,
            agency_id=police.pk,
            until=timezone.now() + timedelta(days=3),
            agency_reference="POL-2291",
        )
        return report.reference

    open_report(page, origin, in_thread(held))
    assert page.locator(".triage-clock .time-left").inner_text() == "Clock stopped"
    assert "POL-2291" in page.locator(".triage-hold").inner_text()
    box_shot(page, "on-hold")

    def removed():
        notice = Notice.objects.filter(status="delivering").select_related("report").first()
        return notice.report.reference

    reference = in_thread(removed)
    hand_off(reference)

    def confirm():
        report = Report.objects.get(reference=reference)
        workflow.report_confirm_removal(report.pk, actor=actor("analyst"))

    in_thread(confirm)
    open_report(page, origin, reference)
    assert "Removed at" in page.locator(".triage-verification").inner_text()
    box_shot(page, "removed")
