"""A provider's dispute answered by an analyst: upheld (the notice is withdrawn) or rejected (the
notice runs on and the provider is told why), both workflow transitions, audited, refused when
there is nothing to answer, and gone from the disputed queue once answered."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone

from hotline.actors import Actor
from hotline.errors import DomainError, NotPermitted
from reports import workflow
from reports.models import Event, MessageItem, Notice, Report, ReportStatus
from reports.notices import message_render
from reports.outbox import items_group, outbox_drain
from reports.selectors.queues import reports_in_queue
from tests.reports.factories import ActionableReportFactory, stored_values

pytestmark = pytest.mark.django_db
S = ReportStatus
WHY = "The model's age is not documented; our analysts assessed a child."


def disputed_queue(user) -> set[str]:
    request = RequestFactory().get("/")
    request.user = user
    queue = reports_in_queue(Report.objects.all(), "disputed", request)
    return set(queue.values_list("reference", flat=True))


def test_a_rejected_dispute_keeps_the_notice_running_and_tells_the_provider_why(disputed, people):
    notice = disputed.notices.get()
    deadline = notice.deadline_at
    assert disputed_queue(people["analyst"]) == {disputed.reference}

    workflow.report_dispute_reject(disputed.pk, actor=Actor.for_user(people["analyst"]), reason=WHY)

    notice.refresh_from_db()
    assert notice.status == Notice.Status.OPEN and notice.deadline_at == deadline
    assert (notice.dispute_answer, notice.dispute_answer_reason) == ("rejected", WHY)
    assert notice.dispute_answered_at is not None
    assert Report.objects.get(pk=disputed.pk).status == S.TAKEDOWN_REQUESTED
    assert disputed_queue(people["analyst"]) == set()
    event = Event.objects.filter(report=disputed).latest("id")
    assert (event.verb, event.actor_label) == ("reject_dispute", "ann")
    assert event.data == {"notice": notice.pk, "provider": "Example Images BV"}

    mail.outbox.clear()
    outbox_drain(window=timedelta(0))

    (email,) = mail.outbox
    assert email.to == [notice.provider.abuse_email]
    assert f"Dispute answered {disputed.reference}" in email.subject
    assert "keeps the notice" in email.body and WHY in email.body
    item = MessageItem.objects.get(notice=notice, kind="dispute_rejected")
    assert item.message.status == "sent"


def test_an_upheld_dispute_withdraws_the_notice_with_its_reason(disputed, people):
    notice = disputed.notices.get()

    workflow.report_dispute_uphold(disputed.pk, actor=Actor.for_user(people["analyst"]), reason=WHY)

    notice.refresh_from_db()
    assert notice.status == Notice.Status.WITHDRAWN
    assert notice.withdrawal_reason == f"dispute upheld: {WHY}"
    assert (notice.dispute_answer, notice.dispute_answer_reason) == ("upheld", WHY)
    assert notice.due_at is None
    report = Report.objects.get(pk=disputed.pk)
    assert report.status == S.ACTIONABLE
    assert disputed_queue(people["analyst"]) == set()
    event = Event.objects.filter(report=disputed).latest("id")
    assert (event.verb, event.from_status, event.to_status) == (
        "uphold_dispute",
        S.TAKEDOWN_REQUESTED,
        S.ACTIONABLE,
    )


@pytest.mark.parametrize("answer", ["report_dispute_uphold", "report_dispute_reject"])
def test_a_dispute_is_answered_once(disputed, people, answer):
    actor = Actor.for_user(people["analyst"])
    workflow.report_dispute_reject(disputed.pk, actor=actor, reason=WHY)
    before = stored_values()

    with pytest.raises(DomainError, match="has no dispute waiting for an answer"):
        getattr(workflow, answer)(disputed.pk, actor=actor, reason=WHY)

    assert stored_values() == before


@pytest.mark.parametrize("answer", ["report_dispute_uphold", "report_dispute_reject"])
def test_an_answer_needs_a_reason_and_a_dispute(people, answer):
    actor = Actor.for_user(people["analyst"])
    report = ActionableReportFactory(status=S.TAKEDOWN_REQUESTED)
    before = stored_values()

    with pytest.raises(DomainError, match="Give the reason"):
        getattr(workflow, answer)(report.pk, actor=actor, reason="  ")
    with pytest.raises(DomainError, match="has no dispute waiting for an answer"):
        getattr(workflow, answer)(report.pk, actor=actor, reason=WHY)

    assert stored_values() == before


@pytest.mark.parametrize("answer", ["report_dispute_uphold", "report_dispute_reject"])
def test_an_auditor_may_not_answer_and_nothing_is_written(disputed, people, answer):
    before = stored_values()

    with pytest.raises(NotPermitted):
        getattr(workflow, answer)(disputed.pk, actor=Actor.for_user(people["auditor"]), reason=WHY)

    assert stored_values() == before


@pytest.mark.parametrize("answer", ["report_dispute_uphold", "report_dispute_reject"])
def test_outside_a_running_notice_the_answer_is_refused_by_the_state(people, answer):
    report = ActionableReportFactory()  # no notice

    with pytest.raises(workflow.TransitionNotAllowed, match="is actionable"):
        getattr(workflow, answer)(report.pk, actor=Actor.for_user(people["analyst"]), reason=WHY)


@pytest.mark.parametrize(
    ("language", "subject", "body"),
    [
        ("nl", "Bezwaar beantwoord", "Waarom de melding blijft staan"),
        ("de", "Widerspruch beantwortet", "Warum die Meldung bestehen bleibt"),
        ("fr", "Contestation traitée", "Pourquoi la notification est maintenue"),
    ],
)
def test_the_answer_goes_in_the_providers_language(disputed, people, language, subject, body):
    provider = disputed.provider
    provider.language = language
    provider.save()

    workflow.report_dispute_reject(disputed.pk, actor=Actor.for_user(people["analyst"]), reason=WHY)
    mail.outbox.clear()
    outbox_drain(window=timedelta(0))

    (email,) = mail.outbox
    assert subject in email.subject
    assert body in email.body and WHY in email.body


def test_a_webhook_receiver_gets_the_answer_with_its_own_type(disputed, people):
    workflow.report_dispute_reject(disputed.pk, actor=Actor.for_user(people["analyst"]), reason=WHY)
    items_group(window=timedelta(0))
    item = MessageItem.objects.select_related("message").get(kind="dispute_rejected")

    rendered = message_render(item.message, [item], timezone.now())

    assert rendered.payload["type"] == "notice.dispute_rejected"
    (entry,) = rendered.payload["data"]["notices"]
    assert (entry["reference"], entry["dispute_answer"]) == (disputed.reference, WHY)
    assert rendered.xarf_files  # the X-ARF document of the notice that stands
