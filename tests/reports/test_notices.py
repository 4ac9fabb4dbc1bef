"""Sending a notice: what the provider receives, and that every message goes out exactly once.

The X-ARF attachment is validated against the X-ARF v4 schemas (tests/xarf_schemas.py), whose
bundled copy is checked here against the reference copy in ``../shared/xarf`` where it exists.
"""

import json
import smtplib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.html import escape

from hotline.actors import Actor
from hotline.errors import DomainError
from hotline.url import defang
from reports import notices, workflow
from reports.deadlines import sweep_due
from reports.models import Channel, Event, Notice, OutgoingMessage, Report, ReportStatus
from tests.reports.factories import (
    ActionableReportFactory,
    PartnerHotlineFactory,
    ProviderFactory,
    StaffUserFactory,
    notice_hand_off,
    notice_send,
)
from tests.xarf_schemas import BUNDLED, SHARED, assert_valid_xarf, schema_files

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FailingBackend(BaseEmailBackend):
    """A mail server that is down. Remembers the Message-ID of every message it was given."""

    message_ids: list[str] = []

    def send_messages(self, email_messages):
        FailingBackend.message_ids.extend(m.message()["Message-ID"] for m in email_messages)
        raise smtplib.SMTPServerDisconnected("mail.example.net closed the connection")


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def analyst(db):
    return StaffUserFactory(username="ann", role="analyst")


@pytest.fixture
def actor(analyst):
    return Actor.for_user(analyst)


@pytest.fixture
def sent_task(monkeypatch):
    """Celery tasks handed to the broker, recorded instead of sent: (name, args, eta)."""
    calls = []

    def send_task(self, name, args=None, kwargs=None, eta=None, **options):
        calls.append((name, list(args or []), eta))

    monkeypatch.setattr("celery.app.base.Celery.send_task", send_task)
    return calls


def counts() -> tuple[int, int, int]:
    return Notice.objects.count(), Event.objects.count(), OutgoingMessage.objects.count()


def send(report: Report, actor: Actor, **kwargs) -> Notice:
    notice = workflow.report_send_notice(report.pk, actor=actor, **kwargs)
    notice.refresh_from_db()
    return notice


def deliver_all() -> int:
    pks = OutgoingMessage.objects.filter(sent_at__isnull=True).values_list("pk", flat=True)
    return sum(notices.message_deliver(pk) for pk in pks)


# --- refusals ---------------------------------------------------------------------------------


def test_sending_needs_a_hosting_provider(actor):
    report = ActionableReportFactory(provider=None)
    before = counts()
    with pytest.raises(DomainError, match="Set the hosting provider first"):
        workflow.report_send_notice(report.pk, actor=actor)
    assert counts() == before
    report.refresh_from_db()
    assert report.status == ReportStatus.ACTIONABLE


def test_sending_to_an_inactive_provider_is_refused(actor):
    report = ActionableReportFactory(provider=ProviderFactory(active=False))
    before = counts()
    with pytest.raises(DomainError, match="active"):
        workflow.report_send_notice(report.pk, actor=actor)
    assert counts() == before


def test_a_second_send_while_the_notice_runs_is_refused_and_writes_nothing(actor, clock):
    report = ActionableReportFactory()
    send(report, actor)
    before = counts()
    with pytest.raises(DomainError, match="takedown requested"):
        workflow.report_send_notice(report.pk, actor=actor)
    assert counts() == before
    assert Notice.objects.get().status == Notice.Status.DELIVERING


def test_a_second_send_while_a_notice_is_scheduled_is_refused_and_writes_nothing(
    actor, clock, settings
):
    settings.HOTLINE_LEA_WINDOW = "60m"
    report = ActionableReportFactory()
    supervisor = Actor.for_user(StaffUserFactory(username="sam", role="supervisor"))
    from tests.reports.factories import AgencyFactory

    workflow.report_escalate(
        report.pk,
        actor=supervisor,
        agency_id=AgencyFactory().pk,
        kind="notification",
        channel="email",
    )
    scheduled = send(report, actor)
    assert scheduled.status == Notice.Status.SCHEDULED
    before = counts()
    with pytest.raises(DomainError, match=f"Notice {scheduled.pk} is already scheduled"):
        workflow.report_send_notice(report.pk, actor=actor)
    assert counts() == before


def test_an_unknown_notice_kind_is_refused(actor):
    report = ActionableReportFactory()
    with pytest.raises(DomainError, match="voluntary, legal_order"):
        workflow.report_send_notice(report.pk, actor=actor, kind="polite_request")
    assert counts() == (0, 0, 0)


# --- sending ----------------------------------------------------------------------------------


def test_sending_records_one_message_and_the_clock_waits_for_its_delivery(actor, clock, mailoutbox):
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
    message = OutgoingMessage.objects.get()
    assert (message.notice, message.kind, message.attempt) == (notice, "notice", 0)
    assert message.to_address == report.provider.abuse_email
    assert message.sent_at is None
    assert message.message_id.endswith(f"@{django_settings.HOTLINE_ORG_DOMAIN}>")
    assert mailoutbox == []  # handed to the mail backend only after commit, by a task

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
    assert len(mailoutbox) == 1


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


def test_on_commit_the_delivery_goes_to_the_broker_and_no_wake_up_hours_ahead(
    actor, clock, sent_task, django_capture_on_commit_callbacks
):
    report = ActionableReportFactory()
    with django_capture_on_commit_callbacks(execute=True):
        send(report, actor)
    message = OutgoingMessage.objects.get()
    # Reminder (20 h) and deadline (24 h) are beyond the wake-up horizon: the sweep fires them.
    assert sent_task == [("reports.tasks.message_deliver", [message.pk], None)]


def test_a_deadline_inside_the_wake_up_horizon_gets_its_wake_up_on_commit(
    actor, clock, sent_task, settings, django_capture_on_commit_callbacks
):
    settings.HOTLINE_TAKEDOWN_DEADLINE = "90s"  # the horizon is 2 minutes
    report = ActionableReportFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notice = send(report, actor)
    message = OutgoingMessage.objects.get()
    assert sent_task == [("reports.tasks.message_deliver", [message.pk], None)]  # no clock yet
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


# --- the e-mail -------------------------------------------------------------------------------


def test_the_provider_gets_an_email_with_both_urls_the_deadline_and_how_to_confirm(
    actor, clock, mailoutbox, settings
):
    settings.HOTLINE_PUBLIC_URL = "https://hotline.example.org"
    report = ActionableReportFactory(
        submitted_url="https://img.share-example.com/gallery/view.php?id=77&page=2"
    )
    notice = send(report, actor)
    message = OutgoingMessage.objects.get()

    assert notices.message_deliver(message.pk) is True

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [report.provider.abuse_email]
    assert email.reply_to == [settings.HOTLINE_ORG_EMAIL]
    deadline_utc = "2026-03-03T09:00:00Z"
    assert report.reference in email.subject
    assert deadline_utc in email.subject
    api = f"https://hotline.example.org/api/v1/provider/notices/{notice.pk}/removed/"
    url = report.canonical_url
    assert "&" in url and defang(url) != url
    text = email.body
    for expected in (url, defang(url), report.reference, deadline_utc, api, "Api-Key"):
        assert expected in text
    assert "(UTC)" in text
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    for expected in (url, defang(url), report.reference, deadline_utc, api, "Api-Key"):
        assert escape(expected) in html
    assert "Remove by (UTC)" in html
    assert "<a " not in html and "<img" not in html  # the URL is text, never a link or image
    message.refresh_from_db()
    assert message.sent_at == T0
    assert (message.body_text, message.body_html, message.subject) == (text, html, email.subject)


def test_the_email_carries_the_xarf_document_as_a_json_attachment(actor, clock, mailoutbox):
    report = ActionableReportFactory()
    send(report, actor)
    assert deliver_all() == 1

    [attachment] = mailoutbox[0].attachments
    assert attachment.filename == f"xarf-{report.reference}.json"
    assert attachment.mimetype == "application/json"
    document = json.loads(attachment.content)
    assert_valid_xarf(document)
    assert document == OutgoingMessage.objects.get().xarf


ONION = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"


@pytest.mark.parametrize(
    ("submitted_url", "domain", "partner"),
    [
        ("https://img.share-example.com/gallery/77", "img.share-example.com", False),
        ("http://8.8.4.4/uploads/a.jpg", None, False),
        ("http://[2a00:1450:4001:80b::200e]/gallery/1", None, False),
        (f"http://{ONION}/board/thread/9", ONION, False),
        ("https://forum.example.net/t/1234", "forum.example.net", True),
    ],
    ids=["domain", "ipv4", "ipv6", "onion", "partner"],
)
def test_the_xarf_document_validates_and_carries_the_notice_metadata(
    actor, clock, mailoutbox, settings, submitted_url, domain, partner
):
    extra = {}
    if partner:
        extra = {"channel": Channel.PARTNER, "partner": PartnerHotlineFactory()}
    report = ActionableReportFactory(submitted_url=submitted_url, industry_category="B2", **extra)
    notice = send(report, actor)
    deliver_all()

    document = json.loads(mailoutbox[0].attachments[0].content)

    assert_valid_xarf(document)
    assert document["category"] == "content"
    assert document["type"] == "csam"
    assert document["classification"] == "B2"
    assert document["detection_method"] == ("manual_review" if partner else "user_report")
    assert document["url"] == report.canonical_url
    assert document.get("domain") == domain
    assert document["source_identifier"] == report.host
    assert document["report_id"] == str(notice.uuid)
    hotline = {
        "org": settings.HOTLINE_ORG_NAME,
        "contact": settings.HOTLINE_ORG_EMAIL,
        "domain": settings.HOTLINE_ORG_DOMAIN,
    }
    assert document["sender"] == hotline
    assert document["reporter"] == hotline
    assert document["hosting_provider"] == report.provider.name
    assert "evidence" not in document and "evidence_source" not in document


def test_reminders_and_repeats_carry_valid_xarf_and_escalations_none(
    actor, clock, mailoutbox, settings
):
    from tests.reports.factories import AgencyFactory

    agency = AgencyFactory(name="Online Safety Regulator", kind="regulator")
    settings.HOTLINE_ESCALATE_AFTER = "1h"
    settings.HOTLINE_ESCALATION_AGENCY = agency.name
    notice = notice_send(ActionableReportFactory().pk, actor=actor)
    for hours in (20, 24, 25):
        clock.move_to(T0 + timedelta(hours=hours))
        workflow.notice_fire_due(notice.pk)
    assert deliver_all() == 3  # the notice itself went when it was sent

    kinds = {}
    for email in mailoutbox:
        documents = [json.loads(a.content) for a in email.attachments]
        kinds[OutgoingMessage.objects.get(subject=email.subject).kind] = (email, documents)
    assert set(kinds) == {"notice", "reminder", "repeat", "escalation"}
    for kind in ("notice", "reminder", "repeat"):
        [document] = kinds[kind][1]
        assert_valid_xarf(document)
    escalation, documents = kinds["escalation"]
    assert documents == []
    assert escalation.to == [agency.contact_email]


# --- exactly once -----------------------------------------------------------------------------


def test_delivering_twice_sends_once(actor, clock, mailoutbox):
    send(ActionableReportFactory(), actor)
    message = OutgoingMessage.objects.get()

    assert notices.message_deliver(message.pk) is True
    assert notices.message_deliver(message.pk) is False

    assert len(mailoutbox) == 1


def test_a_second_queue_of_the_same_message_returns_false_and_makes_no_row(actor, clock):
    notice = send(ActionableReportFactory(), actor)

    assert notices.message_queue(notice, OutgoingMessage.Kind.NOTICE) is False
    assert notices.message_queue(notice, OutgoingMessage.Kind.REPEAT, attempt=1) is True
    assert notices.message_queue(notice, OutgoingMessage.Kind.REPEAT, attempt=1) is False

    assert sorted(OutgoingMessage.objects.values_list("kind", "attempt")) == [
        ("notice", 0),
        ("repeat", 1),
    ]


def test_a_failing_mail_server_leaves_the_message_unsent_with_the_error_then_it_goes_out(
    actor, clock, mailoutbox, settings
):
    send(ActionableReportFactory(), actor)
    message = OutgoingMessage.objects.get()
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"

    assert notices.message_deliver(message.pk) is False

    message.refresh_from_db()
    assert message.sent_at is None
    assert message.last_error.startswith("SMTPServerDisconnected: ")
    assert "closed the connection" in message.last_error
    assert mailoutbox == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.move_to(T0 + timedelta(minutes=5))
    assert notices.message_deliver(message.pk) is True

    message.refresh_from_db()
    assert message.sent_at == T0 + timedelta(minutes=5)
    assert message.last_error == ""
    assert len(mailoutbox) == 1
    assert notices.message_deliver(message.pk) is False


def test_redelivery_delivers_a_message_whose_delivery_task_was_lost(actor, clock, mailoutbox):
    send(ActionableReportFactory(), actor)  # the on-commit delivery task never runs here
    assert notices.messages_redeliver() == 0  # within the grace period the task may still come

    clock.move_to(T0 + timedelta(minutes=2))
    assert sweep_due().notices == {}  # not the deadline sweep's business
    assert len(mailoutbox) == 0
    assert notices.messages_redeliver() == 1
    assert notices.messages_redeliver() == 0

    assert len(mailoutbox) == 1
    assert OutgoingMessage.objects.get().sent_at == T0 + timedelta(minutes=2)


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"no reference copy of the schemas at {SHARED}")
def test_the_bundled_xarf_schemas_are_the_reference_copy():
    assert schema_files(BUNDLED) == schema_files(SHARED)


# --- the hand-off: the provider's clock starts when its mail server accepts the notice --------

OUTAGE = timedelta(seconds=131)


def test_a_notice_that_leaves_late_runs_from_its_hand_off_and_says_so(
    actor, clock, mailoutbox, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    FailingBackend.message_ids = []
    notice = send(ActionableReportFactory(), actor)
    assert (notice.status, notice.sent_at) == (Notice.Status.DELIVERING, T0)
    assert (notice.handed_off_at, notice.deadline_at, notice.due_at) == (None, None, None)
    message = OutgoingMessage.objects.get()
    assert notices.message_deliver(message.pk) is False  # the mail server is down
    notice.refresh_from_db()
    assert (notice.status, notice.deadline_at) == (Notice.Status.DELIVERING, None)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.move_to(T0 + OUTAGE)
    assert notices.message_deliver(message.pk) is True

    handed_off = T0 + OUTAGE
    deadline = handed_off + timedelta(hours=24)
    notice.refresh_from_db()
    assert notice.status == Notice.Status.OPEN
    assert notice.sent_at == T0  # when the analyst sent it
    assert notice.handed_off_at == handed_off
    assert notice.deadline_at == deadline
    assert notice.policy == "default: 24h"
    assert notice.due_at == deadline - timedelta(hours=4)  # the reminder
    [email] = mailoutbox
    stated = "2026-03-03T09:02:11Z"
    assert stated in email.subject
    assert f"Remove by:      {stated} (UTC)" in email.body
    assert "Notice sent:    2026-03-02T09:02:11Z" in email.body
    document = json.loads(email.attachments[0].content)
    assert_valid_xarf(document)
    assert stated in document["description"]
    # The retry was rendered anew, kept the first attempt's Message-ID, and is stored as sent.
    message.refresh_from_db()
    assert FailingBackend.message_ids == [message.message_id]
    assert email.message()["Message-ID"] == message.message_id
    assert (message.subject, message.body_text) == (email.subject, email.body)
    assert message.xarf == document
    assert message.sent_at == handed_off
    event = Event.objects.get(report=notice.report, verb="hand_off_notice")
    assert event.at == handed_off
    assert event.data["deadline_at"] == deadline.isoformat()
    assert event.actor_kind == "system"
    sent_event = Event.objects.get(report=notice.report, verb="send_notice")
    assert "deadline_at" not in sent_event.data  # no deadline before the hand-off


def test_a_delivering_notice_gets_no_reminder_repeat_or_overdue_however_long_it_waits(
    actor, clock, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    notice = send(ActionableReportFactory(), actor)
    for hours in (20, 24, 49, 100):
        clock.move_to(T0 + timedelta(hours=hours))
        sweep_due()
        assert notices.messages_redeliver() == 0  # tried again, and the mail server is down
        assert workflow.notice_fire_due(notice.pk) == []
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DELIVERING
    assert (notice.reminder_sent_at, notice.repeats_sent, notice.due_at) == (None, 0, None)
    assert notice.report.status == ReportStatus.TAKEDOWN_REQUESTED
    assert list(OutgoingMessage.objects.values_list("kind", "sent_at")) == [("notice", None)]
    assert "SMTPServerDisconnected" in OutgoingMessage.objects.get().last_error


def test_a_notice_withdrawn_before_its_hand_off_is_never_sent(actor, clock, mailoutbox, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    notice = send(ActionableReportFactory(), actor)
    workflow.report_withdraw_notice(notice.report_id, actor=actor, reason="Wrong provider.")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.move_to(T0 + timedelta(minutes=5))

    assert notices.messages_redeliver() == 0
    assert deliver_all() == 0

    assert mailoutbox == []
    notice.refresh_from_db()
    assert (notice.status, notice.handed_off_at) == (Notice.Status.WITHDRAWN, None)
    assert not OutgoingMessage.objects.exists()  # nothing was said to the provider


def test_removal_verified_before_the_hand_off_withdraws_the_notice_unsent(
    actor, clock, mailoutbox, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    notice = send(ActionableReportFactory(), actor)
    clock.move_to(T0 + timedelta(minutes=1))
    workflow.report_confirm_removal(notice.report_id, actor=actor)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.move_to(T0 + timedelta(minutes=5))
    assert notices.messages_redeliver() == 0

    assert mailoutbox == []
    notice.refresh_from_db()
    assert notice.status == Notice.Status.WITHDRAWN
    assert notice.report.status == ReportStatus.REMOVED
    event = Event.objects.get(verb="confirm_removal")
    assert event.data["withdrawn"]["notice"] == notice.pk


def test_reminders_and_repeats_state_the_notice_deadline_from_its_first_hand_off(
    actor, clock, mailoutbox, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    notice = send(ActionableReportFactory(), actor)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.move_to(T0 + OUTAGE)
    assert deliver_all() == 1
    deadline = T0 + OUTAGE + timedelta(hours=24)
    clock.move_to(deadline)
    assert workflow.notice_fire_due(notice.pk) == ["overdue"]
    # The repeat's own delivery waits for the mail server too: its hand-off is when it goes.
    clock.move_to(deadline + timedelta(minutes=7))
    assert deliver_all() == 1

    repeat = OutgoingMessage.objects.get(kind="repeat")
    assert repeat.sent_at == deadline + timedelta(minutes=7)
    assert "2026-03-03T09:02:11Z" in mailoutbox[-1].subject
    notice.refresh_from_db()
    assert (notice.handed_off_at, notice.deadline_at) == (T0 + OUTAGE, deadline)


@pytest.mark.django_db(transaction=True)
def test_the_hand_off_migration_keeps_sent_deadlines_and_holds_back_unsent_notices():
    before, after = ("reports", "0007_queue_partial_indexes"), ("reports", "0009_notice_handoff")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    provider = old.get_model("hotline", "Provider").objects.create(
        name="Old Hosting", country="DE", abuse_email="abuse@old.example"
    )

    def notice(name: str, status: str, *, mail_sent: bool) -> int:
        report = old.get_model("reports", "Report").objects.create(
            reference=f"HL-{name}", host=f"{name}.example", channel="api", url_sha256=name * 16,
            submitted_url=f"https://{name}.example/", canonical_url=f"https://{name}.example/",
            status="removed" if status == "removed" else "takedown_requested",
        )  # fmt: skip
        row = old.get_model("reports", "Notice").objects.create(
            report=report, provider=provider, status=status, created_by_label="ann", sent_at=T0,
            deadline_at=T0 + timedelta(hours=24), policy="default: 24h", due_at=T0,
        )  # fmt: skip
        old.get_model("reports", "OutgoingMessage").objects.create(
            notice=row, kind="notice", to_address="abuse@old.example", subject="s", body_text="b",
            sent_at=T0 + timedelta(seconds=5) if mail_sent else None,
        )  # fmt: skip
        return row.pk

    told = notice("aaaa", "open", mail_sent=True)
    waiting = notice("bbbb", "open", mail_sent=False)
    ended = notice("cccc", "removed", mail_sent=False)

    executor = MigrationExecutor(connection)
    executor.migrate([after])
    new = executor.loader.project_state([after]).apps
    rows = new.get_model("reports", "Notice").objects.in_bulk()
    assert (rows[told].status, rows[told].handed_off_at) == ("open", T0)
    assert (rows[told].deadline_at, rows[told].due_at) == (T0 + timedelta(hours=24), T0)
    assert (rows[waiting].status, rows[waiting].handed_off_at) == ("delivering", None)
    assert (rows[waiting].deadline_at, rows[waiting].due_at) == (None, None)
    messages = new.get_model("reports", "OutgoingMessage").objects
    assert not messages.filter(notice_id=ended).exists()  # never to be sent now
    assert messages.get(notice_id=waiting).message_id.startswith("<")

    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
