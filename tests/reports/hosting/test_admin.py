"""The lookup on the report page: what it found, "look up again", and the hosting-changed
decision."""

from datetime import timedelta

import pytest
import time_machine

from reports.models import Event, Report
from tests.reports.factories import StaffUserFactory
from tests.reports.hosting.support import delivered, looked_up, notice_running, repeat_due, submit

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"  # what the buttons post (multipart is refused)


def page(client, report: Report) -> str:
    return client.get(f"/admin/reports/report/{report.pk}/change/").content.decode()


def test_the_report_page_shows_the_lookup_and_an_analyst_can_ask_again(
    client, outside, directory, analyst
):
    report = submit("https://www.cdn-site.example/v/1")
    looked_up(report)
    client.force_login(analyst)
    shown = page(client, report)
    for fact in ("192.0.2.80", "edge.cdn.example.net", "Example CDN", "behind a CDN", "AS64510"):
        assert fact in shown
    assert "Look up again" in shown

    answer = client.post(
        f"/admin/reports/report/{report.pk}/hosting-lookup/", "", content_type=FORM
    )
    assert answer.status_code == 302
    assert report.lookups.filter(purpose="on_demand", state="pending").count() == 1
    assert Event.objects.filter(report=report, verb="hosting_lookup_request").exists()
    assert "a lookup is running" in page(client, report)


def test_an_auditor_sees_the_lookup_but_cannot_ask_again(client, outside, directory):
    report = submit("https://img.known.example/a/1")
    looked_up(report)
    client.force_login(StaffUserFactory(username="audrey", role="auditor"))
    shown = page(client, report)
    assert "Known Hosting BV" in shown and "Look up again" not in shown
    assert (
        client.post(
            f"/admin/reports/report/{report.pk}/hosting-lookup/", "", content_type=FORM
        ).status_code
        == 403
    )
    assert report.lookups.count() == 1


def test_a_hosting_change_shows_both_answers_and_its_two_decisions(
    client, outside, directory, analyst, dns_server
):
    notice = notice_running("https://img.known.example/a/2", analyst)
    client.force_login(analyst)
    shown = page(client, notice.report)
    assert "Set hosting" not in shown  # refused while the notice runs
    assert "Keep the notice running" not in shown
    dns_server.set("img.known.example", A=["203.0.113.25"])
    with time_machine.travel(notice.deadline_at + timedelta(hours=13)):
        assert not delivered(repeat_due(notice))
        client.force_login(analyst)  # a day later: a new session
        shown = page(client, notice.report)
        assert "Hosting changed" in shown
        assert "Known Hosting BV" in shown and "Unlisted Hosting Ltd" in shown
        assert "Withdraw the notice: the content moved" in shown
        assert "Keep the notice running" in shown
        answer = client.post(
            f"/admin/reports/report/{notice.report_id}/transition/hosting_move_follow/",
            "",
            content_type=FORM,
        )
    assert answer.status_code == 302
    notice.refresh_from_db()
    assert notice.moved and notice.report.status == "actionable"
