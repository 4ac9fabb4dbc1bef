"""The triage box shows what matters in each state, and only buttons that can succeed; the steps
that cannot be undone ask first, on a page of their own (no JavaScript needed)."""

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from hotline.actors import Actor
from hotline.models import HostRule
from hotline.times import time_html
from reports import workflow
from reports.models import Event, Notice, Report
from tests.reports.factories import ActionableReportFactory, stored_values
from tests.reports.triage_admin.support import FORM, buttons, messages_of, page, post

pytestmark = pytest.mark.django_db


def change(report) -> str:
    return f"/admin/reports/report/{report.pk}/change/"


def test_a_running_notice_shows_its_deadline_and_time_left_in_large_type(ann, disputed):
    text = page(ann, change(disputed))

    assert re.search(r'<span class="time-left"><span title="[^"]*">2[34]\xa0h', text)
    assert "Notice to Example Images BV" in text
    deadline = disputed.notices.get().deadline_at
    assert f"Deadline: {time_html(deadline)}" in text  # the hotline's zone, UTC on hover


def test_a_held_notice_shows_its_clock_stopped(sam, people, disputed, agency):
    until = timezone.now() + timedelta(days=2)
    workflow.report_hold(
        disputed.pk,
        actor=Actor.for_user(people["supervisor"]),
        agency_id=agency.pk,
        until=until,
        agency_reference="POL-9",
    )

    text = page(sam, change(disputed))

    assert '<span class="time-left">Clock stopped</span>' in text
    assert "left when the hold began" in text
    assert f"Until {time_html(until)}, at the request of National Police (POL-9)" in text


def test_a_dispute_shows_its_reason_and_time_and_the_answers(ann, disputed):
    text = page(ann, change(disputed))
    notice = disputed.notices.get()

    assert f"Disputed by Example Images BV at {time_html(notice.disputed_at)}" in text
    assert "This is an adult model, aged 23." in text
    assert {"uphold_dispute", "reject_dispute", "withdraw_notice"} <= buttons(text)


def test_without_a_dispute_or_notice_those_buttons_are_not_shown(ann, people):
    report = ActionableReportFactory(hosting_country="NL")

    shown = buttons(page(ann, change(report)))

    assert shown.isdisjoint({"uphold_dispute", "reject_dispute", "withdraw_notice"})
    assert "forward" not in shown  # hosted at home
    assert "confirm_assessment" not in shown  # no four-eyes rule
    assert "send_notice" in shown


def test_no_send_notice_before_the_hosting_is_set(ann):
    report = ActionableReportFactory(provider=None, hosting_country="")

    shown = buttons(page(ann, change(report)))

    assert "send_notice" not in shown and "forward" not in shown
    assert "set_hosting" in shown


def test_the_page_names_no_database_ids(ann, disputed):
    text = page(ann, change(disputed))
    notice = disputed.notices.get()

    box = text[text.index('class="triage"') : text.index('class="triage removal-checks"')]
    assert f"notice {notice.pk}" not in box.lower()
    assert "the notice to Example Images BV" in box


def test_withdrawing_asks_first_and_only_the_confirmation_withdraws(ann, disputed):
    before = stored_values()
    body = {"withdraw_notice-reason": "sent to the wrong provider", "_changelist_filters": ""}

    asked = ann.post(
        f"/admin/reports/report/{disputed.pk}/transition/withdraw_notice/",
        urlencode(body),
        content_type=FORM,
    )

    assert asked.status_code == 200
    text = asked.content.decode()
    assert "this cannot be undone" in text
    assert "The notice to Example Images BV is open." in text
    assert 'name="_confirmed" value="1"' in text
    assert stored_values() == before  # nothing yet

    ann.post(
        f"/admin/reports/report/{disputed.pk}/transition/withdraw_notice/",
        urlencode({**body, "_confirmed": "1"}),
        content_type=FORM,
    )
    assert disputed.notices.get().status == Notice.Status.WITHDRAWN


def test_upholding_a_dispute_from_the_page_asks_first(ann, disputed):
    url = f"/admin/reports/report/{disputed.pk}/transition/uphold_dispute/"
    body = {"uphold_dispute-reason": "The provider showed the model's ID."}

    assert ann.post(url, urlencode(body), content_type=FORM).status_code == 200
    response = ann.post(url, urlencode({**body, "_confirmed": "1"}), content_type=FORM)

    assert response.status_code == 302
    notice = disputed.notices.get()
    assert (notice.status, notice.dispute_answer) == ("withdrawn", "upheld")


def test_rejecting_a_dispute_from_the_page_needs_no_confirmation(ann, disputed):
    response = post(ann, disputed, "reject_dispute", reason="Assessed a child by two analysts.")

    assert response.status_code == 302
    assert messages_of(response) == [
        f"{disputed.reference}: Dispute rejected: the notice runs on: done."
    ]
    assert disputed.notices.get().dispute_answer == "rejected"
    assert "Answered" in page(ann, change(disputed))


def test_a_supervisor_adds_a_host_rule_from_the_report(sam, ann, provider):
    report = ActionableReportFactory(host="cdn.images.example.org")

    analyst_page = page(ann, change(report))
    assert "Host rules for cdn.images.example.org" in analyst_page
    assert "host-rule-add" not in analyst_page  # analysts read, supervisors write

    text = page(sam, change(report))
    assert "images.example.org and its subdomains" in text
    response = sam.post(
        f"/admin/reports/report/{report.pk}/host-rule/",
        urlencode({"domain": "images.example.org", "provider": provider.pk, "note": "reseller"}),
        content_type=FORM,
    )

    rule = HostRule.objects.get()
    assert (rule.kind, rule.domain, rule.provider) == ("host", "images.example.org", provider)
    assert "nothing is assessed by it" in messages_of(response)[0]
    event = Event.objects.filter(verb="host_rule_create").get()
    assert event.actor_label == "sam" and event.report is None
    assert Report.objects.get(pk=report.pk).status == report.status  # assesses nothing
    text = page(sam, change(report))
    assert f'href="/admin/hotline/hostrule/{rule.pk}/change/"' in text  # edit it there


def test_an_analyst_may_not_add_a_host_rule(ann, provider):
    report = ActionableReportFactory(host="images.example.org")
    before = stored_values()

    response = ann.post(
        f"/admin/reports/report/{report.pk}/host-rule/",
        urlencode({"domain": "images.example.org", "provider": provider.pk}),
        content_type=FORM,
    )

    assert response.status_code == 403
    assert stored_values() == before
