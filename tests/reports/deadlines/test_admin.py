"""The removal clock: the admin."""

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from hotline.errors import DomainError
from hotline.models import PartnerHotline, Provider
from reports import deadlines, workflow
from reports.models import Notice
from tests.reports.deadlines.support import (
    DEADLINE,
    H,
    M,
    N,
    S,
    fire,
    messages,
    notify_police,
    reload,
)
from tests.reports.factories import ActionableReportFactory, notice_hand_off, notice_send
from tests.reports.support import T0

pytestmark = pytest.mark.django_db


# --- the admin --------------------------------------------------------------------------------


def form_post(client, url, data):
    return client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst.user)
    return client


def transition_url(report_id: int, name: str) -> str:
    return reverse("admin:reports_report_transition", args=[report_id, name])


def test_the_send_notice_button_sends_it(clock, policy, analyst_client):
    report = ActionableReportFactory()
    page = analyst_client.get(reverse("admin:reports_report_change", args=[report.pk]))
    assert transition_url(report.pk, "send_notice") in page.content.decode()

    response = form_post(
        analyst_client,
        transition_url(report.pk, "send_notice"),
        {"send_notice-kind": "legal_order"},
    )

    assert response.status_code == 302
    notice = Notice.objects.get(report=report)
    assert notice.kind == "legal_order"
    assert notice.status == N.DELIVERING  # its e-mail goes after commit
    notice = notice_hand_off(notice)
    assert notice.deadline_at == T0 + 12 * H
    assert notice.created_by_label == "ann"
    page = analyst_client.get(response.url).content.decode()
    assert "Send notice: done." in page
    assert "12\u00a0h" in page  # time left


def test_the_buttons_refuse_multipart_bodies(clock, policy, analyst_client):
    report = ActionableReportFactory()
    response = analyst_client.post(
        transition_url(report.pk, "send_notice"), {"send_notice-kind": "voluntary"}
    )
    assert response.status_code == 415
    assert not Notice.objects.exists()


def test_the_send_button_shows_why_it_was_refused(clock, policy, analyst_client):
    report = ActionableReportFactory(provider=None)
    response = form_post(
        analyst_client, transition_url(report.pk, "send_notice"), {"send_notice-kind": "voluntary"}
    )
    page = analyst_client.get(response.url).content.decode()
    assert "Set the hosting provider first" in page
    assert not Notice.objects.exists()


def test_the_confirm_removal_button_removes(clock, notice, analyst_client):
    clock.move_to(T0 + 5 * H)
    response = form_post(
        analyst_client,
        transition_url(notice.report_id, "confirm_removal"),
        # Confirmed on the page that asks first; a typed time is the hotline's zone: 14:30 in
        # Amsterdam (CET).
        {"confirm_removal-removed_at": "2026-03-02 14:30:00", "_confirmed": "1"},
    )
    assert response.status_code == 302
    notice = reload(notice)
    assert notice.report.status == S.REMOVED
    assert notice.removed_at == datetime(2026, 3, 2, 13, 30, tzinfo=UTC)


def test_the_overdue_queue_lists_overdue_reports_and_time_left_turns_red(
    clock, policy, analyst, analyst_client
):
    late = notice_send(ActionableReportFactory().pk, actor=analyst)
    clock.move_to(T0 + 2 * H)
    running = notice_send(ActionableReportFactory().pk, actor=analyst)
    clock.move_to(DEADLINE + 90 * M)
    fire(late)
    late, running = reload(late), reload(running)

    analyst_client.force_login(analyst.user)  # a new working day, a new session
    listing = analyst_client.get(reverse("admin:reports_report_changelist") + "?queue=overdue")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert late.report.reference in text
    assert running.report.reference not in text
    assert "Overdue (1)" in text

    page = analyst_client.get(reverse("admin:reports_report_change", args=[late.report_id]))
    text = page.content.decode()
    assert "overdue by 1\u00a0h 30\u00a0min" in text
    assert 'class="overdue"' in text
    page = analyst_client.get(reverse("admin:reports_report_change", args=[running.report_id]))
    assert ">30\u00a0min<" in page.content.decode()
    assert "overdue by" not in page.content.decode()

    notices_page = analyst_client.get(reverse("admin:reports_notice_changelist"))
    assert notices_page.status_code == 200
    assert "overdue by 1\u00a0h 30\u00a0min" in notices_page.content.decode()


def test_a_notice_waiting_for_the_police_window_shows_in_the_scheduled_queue(
    clock, window, analyst, supervisor, police, analyst_client
):
    waiting = ActionableReportFactory()
    notify_police(waiting.pk, supervisor, police)
    workflow.report_send_notice(waiting.pk, actor=analyst)
    ready = ActionableReportFactory()

    page = analyst_client.get(reverse("admin:reports_report_changelist") + "?queue=scheduled")
    text = page.content.decode()
    assert waiting.reference in text
    assert ready.reference not in text

    page = analyst_client.get(reverse("admin:reports_report_changelist") + "?queue=ready_to_send")
    text = page.content.decode()
    assert ready.reference in text
    assert waiting.reference not in text


def test_a_scheduled_notice_whose_provider_was_deactivated_is_withdrawn_not_sent(
    clock, window, analyst, supervisor, police
):
    report = ActionableReportFactory()
    notify_police(report.pk, supervisor, police)
    notice = workflow.report_send_notice(report.pk, actor=analyst)
    Provider.objects.filter(pk=notice.provider_id).update(active=False)
    clock.move_to(T0 + 60 * M)

    assert deadlines.sweep_due().notices == {"withdrawn": 1}
    notice = reload(notice)
    assert notice.status == N.WITHDRAWN
    assert notice.withdrawal_reason == "provider deactivated"
    assert notice.report.status == S.ACTIONABLE  # the analyst sets another provider
    assert messages(notice) == []
    assert deadlines.sweep_due().notices == {}


def test_a_report_with_a_scheduled_notice_cannot_be_forwarded_until_it_is_withdrawn(
    clock, window, analyst, supervisor, police
):
    report = ActionableReportFactory()
    notify_police(report.pk, supervisor, police)
    notice = workflow.report_send_notice(report.pk, actor=analyst)
    partner = PartnerHotline.objects.create(name="Abroad", countries=["DE"])

    with pytest.raises(DomainError, match="withdraw it before forwarding"):
        workflow.report_forward(report.pk, actor=analyst, partner_id=partner.pk)
    workflow.report_withdraw_notice(report.pk, actor=analyst, reason="hosted abroad")
    workflow.report_forward(report.pk, actor=analyst, partner_id=partner.pk)
    assert reload(notice).report.status == S.FORWARDED
    clock.move_to(T0 + 2 * H)
    assert deadlines.sweep_due().notices == {}
