"""Provider tenancy held by the workflow itself, not only by the API's querysets: whatever calls
the services, a key answers only for its own provider's notices, and removal confirms the notice
the provider named."""

import pytest

from hotline.actors import Actor
from hotline.errors import NotPermitted
from hotline.services import partner_api_key_create, provider_api_key_create
from reports import workflow
from reports.models import Notice
from tests.reports.factories import (
    ActionableReportFactory,
    ProviderFactory,
    StaffUserFactory,
    notice_send,
    stored_values,
)

pytestmark = pytest.mark.django_db

ANSWERS = {
    "acknowledge": lambda notice, actor: workflow.notice_acknowledge(notice.pk, actor=actor),
    "dispute": lambda notice, actor: workflow.notice_dispute(
        notice.pk, actor=actor, reason="Not hosted here."
    ),
    "removed": lambda notice, actor: workflow.notice_confirm_removed(notice.pk, actor=actor),
}


@pytest.fixture
def notice():
    analyst = Actor.for_user(StaffUserFactory(username="ann", role="analyst"))
    provider = ProviderFactory(name="Example Images BV")
    return notice_send(ActionableReportFactory(provider=provider).pk, actor=analyst)


def provider_key_actor(provider_name: str) -> Actor:
    ProviderFactory(name=provider_name) if provider_name != "Example Images BV" else None
    api_key, _key = provider_api_key_create(provider_name=provider_name, key_name="desk")
    return Actor.for_api_key(api_key)


def partner_key_actor() -> Actor:
    api_key, _key, _created = partner_api_key_create(partner_name="Partner", key_name="feed")
    return Actor.for_api_key(api_key)


def test_a_provider_key_carries_its_provider(notice):
    assert provider_key_actor("Example Images BV").provider_id == notice.provider_id
    assert partner_key_actor().provider_id is None


@pytest.mark.parametrize("answer", sorted(ANSWERS))
@pytest.mark.parametrize("who", ["another provider", "a partner"])
def test_a_key_cannot_answer_a_notice_of_another_provider_even_from_inside(notice, answer, who):
    actor = (
        provider_key_actor("Other Host Ltd") if who == "another provider" else partner_key_actor()
    )
    before = stored_values()

    with pytest.raises(NotPermitted, match="only its own provider's notices"):
        ANSWERS[answer](notice, actor)

    assert stored_values() == before
    assert Notice.objects.get(pk=notice.pk).status == Notice.Status.OPEN


@pytest.mark.parametrize("answer", sorted(ANSWERS))
def test_the_providers_own_key_answers_its_notice(notice, answer):
    ANSWERS[answer](notice, provider_key_actor("Example Images BV"))
    notice.refresh_from_db()
    assert {
        "acknowledge": notice.acknowledged_at,
        "dispute": notice.disputed_at,
        "removed": notice.removal_confirmed_at,
    }[answer] is not None


def test_a_repeated_answer_to_another_providers_notice_is_refused_too(notice):
    # The early "already answered" return must not hand another provider the notice.
    workflow.notice_acknowledge(notice.pk, actor=provider_key_actor("Example Images BV"))
    with pytest.raises(NotPermitted):
        workflow.notice_acknowledge(notice.pk, actor=provider_key_actor("Other Host Ltd"))


def test_removal_confirms_the_notice_the_provider_named_not_the_reports_running_one(notice):
    analyst = Actor.for_user(StaffUserFactory(username="bob", role="analyst"))
    own = provider_key_actor("Example Images BV")
    workflow.report_withdraw_notice(notice.report_id, actor=analyst, reason="Wrong provider.")
    workflow.report_set_hosting(
        notice.report_id,
        actor=analyst,
        provider_id=ProviderFactory(name="Other Host Ltd").pk,
        country="DE",
    )
    running = notice_send(notice.report_id, actor=analyst)
    before = stored_values()

    # Called inside the service, past the check before the lock: the lock's re-check refuses.
    with pytest.raises(NotPermitted):
        workflow.report_confirm_removal(notice.report_id, actor=own, notice_id=running.pk)
    with pytest.raises(workflow.NoticeClosed):
        workflow.report_confirm_removal(notice.report_id, actor=own, notice_id=notice.pk)

    assert stored_values() == before
    assert Notice.objects.get(pk=running.pk).status == Notice.Status.OPEN
