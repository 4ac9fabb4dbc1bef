"""Removal verification against a real web host: when checks run, what their answers mean, and
what they decide (the 3-miss rule, contested claims, re-appearances)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import RequestFactory
from django.utils import timezone

from hotline.actors import Actor
from hotline.errors import DomainError
from hotline.models import HostRule, ProviderAPIKey
from reports import deadlines, retention, verification, workflow
from reports.intake import report_submit, submission_clean
from reports.models import Channel, Event, Notice, Report
from reports.selectors.queues import reports_in_queue
from sandbox.connect_proxy import ConnectProxy
from tests.reports.factories import ILLEGAL, AgencyFactory, notice_hand_off
from tests.reports.support import deliver_due
from tests.reports.verification.conftest import IMAGE, PATH, URL

pytestmark = pytest.mark.django_db


def notice_handed_off(analyst, provider, url=URL) -> Notice:
    report = report_submit(
        submission=submission_clean(url=url), channel=Channel.WEB, actor=Actor.public()
    ).report
    actor = Actor.for_user(analyst)
    workflow.report_claim(report.pk, actor=actor)
    workflow.report_assess_illegal(report.pk, actor=actor, **ILLEGAL)
    workflow.report_set_hosting(report.pk, actor=actor, provider_id=provider.pk, country="NL")
    return notice_hand_off(workflow.report_send_notice(report.pk, actor=actor))


def outcomes(notice: Notice) -> list[str]:
    return list(
        notice.checks.exclude(checked_at=None)
        .order_by("checked_at")
        .values_list("outcome", flat=True)
    )


def due(notice: Notice) -> list[tuple[str, object]]:
    return list(
        notice.checks.filter(checked_at=None).order_by("due_at").values_list("purpose", "due_at")
    )


def in_queue(report_id: int, name: str) -> bool:
    return reports_in_queue(
        Report.objects.filter(pk=report_id), name, RequestFactory().get("/")
    ).exists()


def test_a_handed_off_notice_is_checked_at_once_then_every_interval_and_at_its_deadline(
    checks_on, analyst, provider
):
    notice = notice_handed_off(analyst, provider)
    assert [purpose for purpose, _ in due(notice)] == ["handed_off", "deadline"]
    assert verification.probes_run() == 1
    check = notice.checks.get(purpose="handed_off")
    assert (check.outcome, check.status_code, check.address) == ("online", 200, "198.51.100.50")
    assert check.headers == {"content-type": "image/jpeg", "content-length": "5000"}
    notice.refresh_from_db()
    assert notice.last_seen_online_at == check.checked_at
    (interval, at), (deadline, deadline_at) = due(notice)
    assert (interval, deadline) == ("interval", "deadline")
    assert at == check.checked_at + timedelta(hours=4) and deadline_at == notice.deadline_at
    method, path, _host = checks_on.requests[0]
    assert (method, path) == ("HEAD", PATH)  # status and headers only
    assert Event.objects.filter(report=notice.report, verb="removal_check").count() == 1


def test_three_misses_three_minutes_apart_close_the_notice_as_verified_at_the_first(
    checks_on, analyst, provider
):
    notice = notice_handed_off(analyst, provider)
    verification.probes_run()
    checks_on.set(PATH, status=404)
    first = timezone.now() + timedelta(hours=4)
    with time_machine.travel(first, tick=False):
        assert verification.probes_run() == 1  # the interval check: a miss
    notice.refresh_from_db()
    assert notice.status == "open"  # one miss decides nothing
    with time_machine.travel(first + timedelta(minutes=2), tick=False):
        assert verification.probes_run() == 0  # the next is due 3 minutes after the miss
    for minutes in (3, 6):
        with time_machine.travel(first + timedelta(minutes=minutes), tick=False):
            assert verification.probes_run() == 1
    notice.refresh_from_db()
    assert outcomes(notice) == ["online", "gone", "gone", "gone"]
    assert notice.status == "removed" and notice.removed_at == first
    assert notice.removal_verified_at == first + timedelta(minutes=6)
    event = Event.objects.get(report=notice.report, verb="verify_removal")
    assert (event.actor_label, event.data["source"]) == ("verification", "verification")
    assert [
        day for day in notice.checks.filter(purpose="recheck").values_list("recheck_day", flat=True)
    ] == [1, 7, 30]


def test_a_miss_then_online_starts_the_count_again(checks_on, analyst, provider):
    notice = notice_handed_off(analyst, provider)
    checks_on.set(PATH, status=404)
    verification.probes_run()
    checks_on.set(PATH, **IMAGE)
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
        verification.probes_run()
    assert outcomes(notice) == ["gone", "online"]
    assert verification.consecutive_misses(notice) == []


def test_a_claim_while_still_online_is_contested_and_the_notice_runs_on(
    checks_on, analyst, provider
):
    notice = notice_handed_off(analyst, provider)
    verification.probes_run()
    claimed = notice.handed_off_at  # "removed the moment you asked", before our check saw it
    api_key, _key = ProviderAPIKey.objects.create_key(provider=provider, name="desk")
    actor = Actor.for_api_key(api_key)
    workflow.notice_confirm_removed(notice.pk, actor=actor, removed_at=claimed)
    notice.refresh_from_db()
    assert notice.status == "open" and notice.removal_confirmed_at == claimed
    assert verification.probes_run() == 1  # the check after the claim
    notice.refresh_from_db()
    assert notice.status == "open" and notice.removal_contested_at is not None
    assert in_queue(notice.report_id, "contested")
    # The next message says so.
    with time_machine.travel(notice.deadline_at + timedelta(seconds=1), tick=False):
        workflow.notice_fire_due(notice.pk)
        assert deliver_due() == 1
        repeat = notice.messages.get(kind="repeat")
    assert "still found it" in repeat.body_text
    # Then it really goes: the removal counts from the last time it was seen online, not the
    # second the provider claimed.
    checks_on.set(PATH, status=410)
    seen = Notice.objects.get(pk=notice.pk).last_seen_online_at
    workflow.notice_confirm_removed(notice.pk, actor=actor, removed_at=claimed)
    start = timezone.now()
    for minutes in (0, 3, 6):
        with time_machine.travel(start + timedelta(minutes=minutes, seconds=1), tick=False):
            verification.probes_run()
    notice.refresh_from_db()
    assert notice.status == "removed" and notice.removed_at == seen > claimed


def test_no_check_runs_while_the_report_is_on_hold(checks_on, analyst, provider, supervisor):
    notice = notice_handed_off(analyst, provider)
    workflow.report_hold(
        notice.report_id,
        actor=Actor.for_user(supervisor),
        agency_id=AgencyFactory().pk,
        until=timezone.now() + timedelta(days=1),
    )
    assert verification.probes_run() == 0
    assert checks_on.requests == []


def test_no_check_before_the_hand_off_or_for_an_opted_out_host(checks_on, analyst, provider):
    report = report_submit(
        submission=submission_clean(url=URL), channel=Channel.WEB, actor=Actor.public()
    ).report
    assert not report.checks.exists()
    HostRule.objects.create(kind=HostRule.Kind.NO_PROBES, domain="check.example", provider=provider)
    notice = notice_handed_off(analyst, provider, url="http://files.check.example/f/2.jpg")
    assert not notice.checks.exists()


def test_a_soft_404_is_changed_for_an_analyst_and_never_counted(checks_on, analyst, provider):
    notice = notice_handed_off(analyst, provider)
    verification.probes_run()
    checks_on.set(PATH, status=200, headers={"Content-Type": "text/html", "Content-Length": "900"})
    with time_machine.travel(timezone.now() + timedelta(hours=4), tick=False):
        verification.probes_run()
    assert outcomes(notice) == ["online", "changed"]
    notice.refresh_from_db()
    assert notice.status == "open" and in_queue(notice.report_id, "check_changed")


def test_a_redirect_to_a_known_removal_page_is_gone(checks_on, analyst, provider):
    HostRule.objects.create(
        kind=HostRule.Kind.REMOVAL_PAGE,
        domain="check.example",
        removal_path="/removed",
        provider=provider,
    )
    checks_on.set("/removed", status=200, headers={"Content-Type": "text/html"})
    checks_on.set(PATH, redirect="http://files.check.example/removed", status=302)
    notice = notice_handed_off(analyst, provider)
    verification.probes_run()
    assert outcomes(notice) == ["gone"]


def test_a_url_back_online_after_removal_opens_a_linked_report(checks_on, analyst, provider):
    notice = notice_handed_off(analyst, provider)
    workflow.report_confirm_removal(notice.report_id, actor=Actor.for_user(analyst))
    assert notice.checks.filter(purpose="recheck").count() == 3
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1), tick=False):
        assert verification.probes_run() == 1
    again = Report.objects.exclude(pk=notice.report_id).get()
    assert (again.channel, again.previous_id, again.status) == ("recheck", notice.report_id, "new")


def test_politeness_a_few_checks_per_host_per_round(checks_on, analyst, provider, settings):
    settings.HOTLINE_PROBE_PER_HOST = 2
    for n in range(5):
        notice_handed_off(analyst, provider, url=f"http://files.check.example/f/p{n}.jpg")
    assert verification.probes_run() == 2
    settings.HOTLINE_PROBE_HOST_INTERVAL_SECONDS = 60
    assert verification.probes_run() == 2
    assert verification.probes_run() == 0  # the host was checked less than a minute ago


def test_checks_waiting_never_hold_up_a_deadline(checks_on, analyst, provider):
    notice = notice_handed_off(analyst, provider)  # its checks due, no probes worker
    with time_machine.travel(notice.deadline_at + timedelta(seconds=1), tick=False):
        deadlines.sweep_due()
    notice.refresh_from_db()
    assert notice.status == "overdue"
    assert notice.checks.filter(checked_at=None).count() == 2


def test_checks_follow_the_retention_setting(checks_on, analyst, provider, settings):
    settings.HOTLINE_RETENTION_DAYS = 30
    notice = notice_handed_off(analyst, provider)
    verification.probes_run()
    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        assert retention.checks_erase() == 1
    assert not notice.checks.exclude(checked_at=None).exists()
    assert notice.checks.filter(checked_at=None).exists()  # what is still to run stays
    assert Event.objects.filter(report=notice.report, verb="removal_check").exists()


def test_a_check_scheduled_before_an_opt_out_is_skipped(checks_on, analyst, provider):
    notice = notice_handed_off(analyst, provider)
    HostRule.objects.create(kind=HostRule.Kind.NO_PROBES, provider=provider)  # all it hosts
    assert verification.probes_run() == 0
    assert checks_on.requests == []
    assert notice.checks.get(purpose="handed_off").outcome == "skipped"


def test_checks_go_through_the_egress_proxy_when_one_is_set(checks_on, analyst, provider, settings):
    with ConnectProxy() as proxy:
        settings.HOTLINE_PROBE_PROXY = proxy.proxy
        notice = notice_handed_off(analyst, provider)
        assert verification.probes_run() == 1
    assert outcomes(notice) == ["online"]
    assert proxy.tunnels  # the host saw the proxy, not the hotline


def test_an_analyst_stops_the_checks_of_one_report(checks_on, analyst, provider):
    notice = notice_handed_off(analyst, provider)
    with pytest.raises(DomainError, match="Say why"):
        workflow.report_checks_stop(notice.report_id, actor=Actor.for_user(analyst), reason="")
    workflow.report_checks_stop(
        notice.report_id, actor=Actor.for_user(analyst), reason="the partner forbids checks"
    )
    assert verification.probes_run() == 0 and checks_on.requests == []
    assert notice.checks.get(purpose="handed_off").outcome == "skipped"
    event = Event.objects.get(report=notice.report, verb="stop_checks")
    assert event.data == {"reason": "the partner forbids checks"}
