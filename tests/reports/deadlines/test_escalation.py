"""The removal clock: escalation."""

import pytest

from hotline.models import Agency
from reports import deadlines, workflow
from reports.models import Escalation, Event, MessageItem, OutgoingMessage
from tests.reports.deadlines.support import DEADLINE, H, M, S, fire, messages, reload
from tests.reports.factories import ActionableReportFactory, AgencyFactory, notice_send
from tests.reports.support import deliver_due

pytestmark = pytest.mark.django_db


# --- escalation -------------------------------------------------------------------------------


@pytest.fixture
def regulator(db):
    return AgencyFactory(
        name="Online Safety Regulator", kind=Agency.Kind.REGULATOR, contact_email="nc@reg.example"
    )


def test_non_compliance_is_escalated_to_the_configured_agency_once(
    clock, notice, policy, regulator
):
    policy.HOTLINE_ESCALATE_AFTER = "24h"
    policy.HOTLINE_ESCALATION_AGENCY = regulator.name
    clock.move_to(DEADLINE)
    assert fire(notice) == ["overdue"]
    clock.move_to(DEADLINE + 24 * H - M)
    assert fire(notice) == []
    assert not Escalation.objects.exists()

    clock.move_to(DEADLINE + 24 * H)
    assert sorted(fire(notice)) == ["escalation", "repeat"]

    escalation = Escalation.objects.get()
    assert escalation.report_id == notice.report_id
    assert escalation.agency == regulator
    assert escalation.kind == Escalation.Kind.NON_COMPLIANCE
    assert escalation.channel == Escalation.Channel.SYSTEM
    assert escalation.created_by_label == "deadline timer"
    assert deliver_due() == 2  # the repeat to the provider, the escalation to the regulator
    [message] = OutgoingMessage.objects.filter(items__notice=notice, kind="escalation")
    assert (message.status, message.target) == ("sent", "nc@reg.example")
    assert message.xarf is None
    assert reload(notice).escalated_at == DEADLINE + 24 * H

    for hours in (24, 48, 72, 200):
        clock.move_to(DEADLINE + (24 + hours) * H)
        deadlines.sweep_due()
        fire(notice)
    assert Escalation.objects.count() == 1
    assert messages(notice, "escalation") == [("escalation", 0)]
    event = Event.objects.get(report_id=notice.report_id, verb="escalate")
    assert event.data["kind"] == "non_compliance"
    assert event.to_status == S.OVERDUE


def test_an_escalation_agency_without_an_address_is_never_sent_the_providers_address(
    clock, notice, policy
):
    agency = AgencyFactory(name="Quiet Regulator", kind=Agency.Kind.REGULATOR, contact_email="")
    policy.HOTLINE_ESCALATE_AFTER = "1h"
    policy.HOTLINE_ESCALATION_AGENCY = agency.name
    clock.move_to(DEADLINE + H)
    deadlines.sweep_due()
    escalation = Escalation.objects.get()
    assert "no e-mail address" in escalation.note
    assert messages(notice, "escalation") == []
    deliver_due()
    provider_address = reload(notice).provider.abuse_email
    assert not MessageItem.objects.filter(kind="escalation", target=provider_address).exists()
    assert not OutgoingMessage.objects.filter(kind="escalation", target=provider_address).exists()


@pytest.mark.parametrize(
    ("after", "agency_name"),
    [("", ""), ("24h", ""), ("", "Online Safety Regulator"), ("24h", "No Such Agency")],
    ids=["neither", "no-agency", "no-delay", "unknown-agency"],
)
def test_without_both_settings_nothing_is_ever_escalated(
    clock, notice, policy, regulator, after, agency_name
):
    policy.HOTLINE_ESCALATE_AFTER = after
    policy.HOTLINE_ESCALATION_AGENCY = agency_name
    for day in range(0, 10):
        clock.move_to(DEADLINE + day * 24 * H)
        deadlines.sweep_due()
    assert not Escalation.objects.exists()
    assert messages(notice, "escalation") == []
    assert reload(notice).due_at is None


def test_a_misconfigured_escalation_cannot_keep_the_sweep_busy(clock, policy, analyst):
    policy.HOTLINE_ESCALATE_AFTER = "1h"
    policy.HOTLINE_ESCALATION_AGENCY = "No Such Agency"
    for _ in range(3):
        notice_send(ActionableReportFactory().pk, actor=analyst)
    clock.move_to(DEADLINE + 2 * H)
    assert deadlines.sweep_due(batch=1).notices == {"overdue": 3}
    clock.move_to(DEADLINE + 3 * H)
    assert deadlines.sweep_due(batch=1).notices == {}  # returns: nothing left due


def test_a_due_notice_with_nothing_to_do_is_picked_once_per_sweep(
    clock, notice, policy, monkeypatch
):
    clock.move_to(DEADLINE)
    fire(notice)  # the next repeat is due in 24h ...
    policy.HOTLINE_REPEAT_INTERVAL = "48h"  # ... but the interval changed with a deploy
    clock.move_to(DEADLINE + 25 * H)
    calls = []
    fire_due = workflow.notice_fire_due

    def counting(notice_id, **options):
        calls.append(notice_id)
        assert len(calls) < 10, "the sweep keeps picking the same notice"
        return fire_due(notice_id, **options)

    monkeypatch.setattr(workflow, "notice_fire_due", counting)
    assert deadlines.sweep_due(batch=1).notices == {}
    assert calls == [notice.pk]
    clock.move_to(DEADLINE + 48 * H)
    assert deadlines.sweep_due(batch=1).notices == {"repeat": 1}
