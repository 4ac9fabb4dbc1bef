"""Sending a notice: sending."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings

from hotline.errors import DomainError
from reports import workflow
from reports.models import Event, MessageItem, Notice, OutgoingMessage, ReportStatus
from reports.outbox import DRAIN_TASK as DRAIN
from tests.reports.factories import (
    ActionableReportFactory,
    ProviderFactory,
    notice_hand_off,
    notice_send,
)
from tests.reports.notices.support import send
from tests.reports.support import T0

pytestmark = pytest.mark.django_db


# --- sending ----------------------------------------------------------------------------------


def test_sending_records_what_to_say_and_the_clock_waits_for_its_delivery(actor, clock, mailoutbox):
    report = ActionableReportFactory()

    notice = send(report, actor)

    assert notice.status == Notice.Status.DELIVERING
    assert notice.provider == report.provider
    assert notice.kind == Notice.Kind.VOLUNTARY
    assert notice.sent_at == T0
    assert (notice.handed_off_at, notice.deadline_at, notice.due_at) == (None, None, None)
    assert notice.created_by_label == "ann"
    report.refresh_from_db()
    assert report.status == ReportStatus.TAKEDOWN_REQUESTED
    assert report.status_changed_at == T0
    event = Event.objects.get(report=report)
    assert (event.verb, event.from_status, event.to_status) == (
        "send_notice",
        ReportStatus.ACTIONABLE,
        ReportStatus.TAKEDOWN_REQUESTED,
    )
    assert event.actor_label == "ann"
    provider = report.provider.name
    assert event.data == {"notice": notice.pk, "provider": provider, "kind": "voluntary"}
    item = MessageItem.objects.get()
    assert (item.notice, item.kind, item.attempt, item.channel) == (notice, "notice", 0, "email")
    assert item.target == report.provider.abuse_email
    assert item.message is None  # the outbox forms the e-mail when its group's window closes
    assert not OutgoingMessage.objects.exists()
    assert mailoutbox == []  # handed to the mail backend only by the delivery queue

    notice = notice_hand_off(notice)

    assert notice.status == Notice.Status.OPEN
    assert notice.handed_off_at == T0
    assert notice.deadline_at == T0 + timedelta(hours=24)
    assert notice.policy == "default: 24h"
    report.refresh_from_db()
    assert report.status == ReportStatus.TAKEDOWN_REQUESTED
    event = Event.objects.get(report=report, verb="hand_off_notice")
    assert (event.from_status, event.to_status) == (report.status, report.status)
    assert event.data["deadline_at"] == (T0 + timedelta(hours=24)).isoformat()
    assert event.data["policy"] == "default: 24h"
    [email] = mailoutbox
    message = OutgoingMessage.objects.get()
    assert (message.status, message.sent_at, message.attempts) == ("sent", T0, 1)
    assert message.message_id.endswith(f"@{django_settings.HOTLINE_ORG_DOMAIN}>")
    assert email.extra_headers["Message-ID"] == message.message_id
    assert email.to == [report.provider.abuse_email]


@pytest.mark.parametrize(
    ("kind", "deadline_hours", "length", "policy"),
    [
        ("legal_order", None, timedelta(hours=12), "legal order: 12h"),
        ("legal_order", 48, timedelta(hours=12), "legal order: 12h"),
        ("voluntary", 48, timedelta(hours=48), "provider Slow Hosting BV: 48h"),
    ],
)
def test_the_deadline_follows_the_policy(actor, clock, kind, deadline_hours, length, policy):
    provider = ProviderFactory(name="Slow Hosting BV", deadline_hours=deadline_hours)
    notice = notice_send(ActionableReportFactory(provider=provider).pk, actor=actor, kind=kind)
    assert notice.kind == kind
    assert notice.deadline_at == T0 + length
    assert notice.policy == policy


def test_the_deadline_setting_is_read_when_sending(actor, clock, settings):
    settings.HOTLINE_TAKEDOWN_DEADLINE = "30s"
    notice = notice_send(ActionableReportFactory().pk, actor=actor)
    assert notice.deadline_at == T0 + timedelta(seconds=30)
    assert notice.policy == "default: 30s"


def test_on_commit_the_delivery_queue_is_kicked_and_no_wake_up_hours_ahead(
    actor, clock, sent_task, django_capture_on_commit_callbacks
):
    report = ActionableReportFactory()
    with django_capture_on_commit_callbacks(execute=True):
        send(report, actor)
    # One kick of the delivery queue, not a task per message; reminder (20 h) and deadline
    # (24 h) are beyond the wake-up horizon: the sweep fires them.
    assert sent_task == [(DRAIN, [], None)]
    assert not OutgoingMessage.objects.exists()  # the drain forms and sends it


def test_a_deadline_inside_the_wake_up_horizon_gets_its_wake_up_on_commit(
    actor, clock, sent_task, settings, django_capture_on_commit_callbacks
):
    settings.HOTLINE_TAKEDOWN_DEADLINE = "90s"  # the horizon is 2 minutes
    report = ActionableReportFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notice = send(report, actor)
    assert sent_task == [(DRAIN, [], None)]  # no clock yet
    sent_task.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_hand_off(notice)
    key = notice.deadline_at.isoformat()
    assert sent_task == [
        ("reports.tasks.notice_wake", [notice.pk, key], T0 + timedelta(seconds=90)),
    ]


def test_nothing_reaches_the_broker_when_a_send_is_refused(
    actor, sent_task, django_capture_on_commit_callbacks
):
    report = ActionableReportFactory(provider=None)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        workflow.report_send_notice(report.pk, actor=actor)
    assert sent_task == []
