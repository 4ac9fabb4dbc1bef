"""The triage workflow: every transition from every status, the owner rule, and each guard.

The table puts a report in each status directly (as a later issue's code or an old database
could leave it) and runs every transition that has a function: from a source status it must
move to its target and append exactly one audit event; from any other status it must raise
``TransitionNotAllowed`` and write nothing at all.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from hotline.actors import Actor
from hotline.errors import DomainError, NotPermitted
from reports import workflow
from reports.audit import audit_verify
from reports.models import Escalation, Event, Hold, Notice, Report, ReportStatus
from reports.workflow import TRANSITIONS, TransitionNotAllowed
from tests.reports.factories import (
    AgencyFactory,
    PartnerHotlineFactory,
    ProviderFactory,
    ReportFactory,
    StaffUserFactory,
    stored_values,
)

pytestmark = pytest.mark.django_db

S = ReportStatus
LONG_AGO = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
# send_notice, mark_overdue, confirm_removal ...: the notice service's, tested with it.
NOTICE_WORDS = ("notice", "overdue", "removal")
ILLEGAL = {
    "legal_status": "baseline",
    "industry_category": "A1",
    "media_type": "video",
    "site_type": "forum",
    "commercial": True,
}


@dataclass
class World:
    report: Report
    other: Report  # an open report the first one can be a duplicate of
    supervisor: object
    analyst: object
    analyst2: object
    auditor: object
    provider: object
    partner: object
    agency: object


@pytest.fixture
def world(settings):
    settings.HOTLINE_COUNTRY = "NL"
    return World(
        report=ReportFactory(),
        other=ReportFactory(),
        supervisor=StaffUserFactory(username="sam", role="supervisor"),
        analyst=StaffUserFactory(username="ann", role="analyst"),
        analyst2=StaffUserFactory(username="bob", role="analyst"),
        auditor=StaffUserFactory(username="aud", role="auditor"),
        provider=ProviderFactory(name="Share Example GmbH", country="DE"),
        partner=PartnerHotlineFactory(name="German Partner", countries=["DE", "AT"]),
        agency=AgencyFactory(name="National Police"),
    )


def put_in_status(w: World, status: str, *, owner=None, before_hold=S.ACTIONABLE) -> Report:
    """Move the report straight into ``status`` with the fields that status implies."""
    fields = {"status": status, "status_changed_at": LONG_AGO, "hosting_country": "DE"}
    if status == S.IN_REVIEW:
        fields.update(assigned_to=owner or w.supervisor, claimed_at=LONG_AGO)
    elif status == S.DUPLICATE:
        fields.update(duplicate_of=ReportFactory())
    elif status == S.CLOSED:
        fields.update(not_actionable_reason="not_illegal", assessed_at=LONG_AGO)
    elif status == S.FORWARDED:
        fields.update(forwarded_to=w.partner, forwarded_at=LONG_AGO)
    elif status == S.ON_HOLD:
        fields.update(status_before_hold=before_hold)
        Hold.objects.create(
            report=w.report,
            agency=w.agency,
            started_at=LONG_AGO,
            until=timezone.now() + timedelta(days=3),
        )
    Report.objects.filter(pk=w.report.pk).update(**fields)
    w.report.refresh_from_db()
    return w.report


def as_user(user) -> Actor:
    return Actor.for_user(user)


# Every transition with a function, called with valid arguments.
CALLS = {
    "claim": lambda w, actor: workflow.report_claim(w.report.pk, actor=actor),
    "release": lambda w, actor: workflow.report_release(w.report.pk, actor=actor),
    "take_over": lambda w, actor: workflow.report_take_over(w.report.pk, actor=actor),
    "assess_not_actionable": lambda w, actor: workflow.report_assess_not_actionable(
        w.report.pk, actor=actor, reason="out_of_remit"
    ),
    "assess_illegal": lambda w, actor: workflow.report_assess_illegal(
        w.report.pk, actor=actor, **ILLEGAL
    ),
    "mark_duplicate": lambda w, actor: workflow.report_mark_duplicate(
        w.report.pk, actor=actor, original_reference=w.other.reference
    ),
    "set_hosting": lambda w, actor: workflow.report_set_hosting(
        w.report.pk, actor=actor, provider_id=w.provider.pk, country="DE"
    ),
    "forward": lambda w, actor: workflow.report_forward(
        w.report.pk, actor=actor, partner_id=w.partner.pk, partner_reference="DE-2291"
    ),
    "escalate": lambda w, actor: workflow.report_escalate(
        w.report.pk,
        actor=actor,
        agency_id=w.agency.pk,
        kind="urgent",
        channel="phone",
        agency_reference="POL-1",
    ),
    "hold": lambda w, actor: workflow.report_hold(
        w.report.pk,
        actor=actor,
        agency_id=w.agency.pk,
        until=timezone.now() + timedelta(days=2),
        agency_reference="POL-2",
    ),
    "release_hold": lambda w, actor: workflow.report_hold_release(w.report.pk, actor=actor),
}


def test_the_table_covers_every_triage_transition():
    # The rest belong to the notice service (the next issue) and are tested with it.
    assert set(CALLS) <= set(TRANSITIONS)
    later = set(TRANSITIONS) - set(CALLS)
    assert all(any(word in name for word in NOTICE_WORDS) for name in later), later


def expected_status(name: str, before: Report) -> str:
    if name == "release_hold":
        return before.status_before_hold
    return TRANSITIONS[name].target or before.status  # set_hosting and escalate keep it


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_transition_from_every_status(world, name, status):
    transition = TRANSITIONS[name]
    before = put_in_status(world, status)
    events_before = set(Event.objects.values_list("pk", flat=True))
    actor = as_user(world.supervisor)

    if status not in transition.sources:
        snapshot = stored_values()
        with pytest.raises(TransitionNotAllowed) as caught:
            CALLS[name](world, actor)
        assert f"is {S(status).label};" in caught.value.message
        assert f"'{transition.label}'" in caught.value.message
        assert stored_values() == snapshot  # no event, no row changed, no escalation or hold
        return

    CALLS[name](world, actor)

    report = Report.objects.get(pk=before.pk)
    assert report.status == expected_status(name, before)
    new_events = Event.objects.exclude(pk__in=events_before)
    assert new_events.count() == 1
    event = new_events.get()
    assert (event.report_id, event.verb) == (report.pk, name)
    assert (event.from_status, event.to_status) == (status, report.status)
    assert (event.actor_kind, event.actor_label, event.actor_user) == (
        "user",
        "sam",
        world.supervisor,
    )
    if report.status != status:
        assert report.status_changed_at == event.at > LONG_AGO
    else:
        assert report.status_changed_at == LONG_AGO
    assert audit_verify().ok


# --- claim, release, take over: the owner rule --------------------------------------------------


def test_claim_assigns_the_report_and_others_see_who_has_it(world):
    report = workflow.report_claim(world.report.pk, actor=as_user(world.analyst))

    assert report.assigned_to == world.analyst
    assert report.claimed_at == report.status_changed_at
    with pytest.raises(TransitionNotAllowed, match="is in review; 'Claim'"):
        workflow.report_claim(world.report.pk, actor=as_user(world.analyst2))
    assert Report.objects.get(pk=report.pk).assigned_to == world.analyst


@pytest.mark.parametrize(
    "name", ["assess_illegal", "assess_not_actionable", "release", "mark_duplicate"]
)
def test_another_analyst_cannot_decide_on_a_report_claimed_by_someone_else(world, name):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)
    snapshot = stored_values()

    with pytest.raises(TransitionNotAllowed) as caught:
        CALLS[name](world, as_user(world.analyst2))

    assert "claimed by ann" in caught.value.message
    assert stored_values() == snapshot


def test_a_supervisor_must_take_over_before_assessing_and_then_owns_it(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)
    with pytest.raises(TransitionNotAllowed, match="claimed by ann"):
        CALLS["assess_illegal"](world, as_user(world.supervisor))

    report = workflow.report_take_over(world.report.pk, actor=as_user(world.supervisor))

    assert report.assigned_to == world.supervisor
    assert report.status == S.IN_REVIEW
    assert report.events.get(verb="take_over").data == {"from": "ann"}
    assert CALLS["assess_illegal"](world, as_user(world.supervisor)).status == S.ACTIONABLE
    with pytest.raises(TransitionNotAllowed):
        CALLS["assess_not_actionable"](world, as_user(world.analyst))


def test_an_analyst_cannot_take_over(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)
    snapshot = stored_values()

    with pytest.raises(NotPermitted, match="ann may not 'Take over'"):
        workflow.report_take_over(world.report.pk, actor=as_user(world.analyst))
    with pytest.raises(NotPermitted):
        workflow.report_take_over(world.report.pk, actor=as_user(world.analyst2))
    assert stored_values() == snapshot


def test_the_owner_releases_back_to_the_new_queue(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)

    report = workflow.report_release(world.report.pk, actor=as_user(world.analyst))

    assert (report.status, report.assigned_to, report.claimed_at) == (S.NEW, None, None)
    assert report.events.get(verb="release").data == {"released": "ann"}


def test_a_supervisor_may_release_someone_elses_claim(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)

    report = workflow.report_release(world.report.pk, actor=as_user(world.supervisor))

    assert (report.status, report.assigned_to) == (S.NEW, None)
    event = report.events.get(verb="release")
    assert (event.actor_label, event.data) == ("sam", {"released": "ann"})


# --- assessment --------------------------------------------------------------------------------


def test_assess_illegal_stores_the_classification_and_who_assessed_when(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)

    report = workflow.report_assess_illegal(
        world.report.pk, actor=as_user(world.analyst), **ILLEGAL
    )

    report.refresh_from_db()
    assert report.status == S.ACTIONABLE
    assert (report.legal_status, report.industry_category) == ("baseline", "A1")
    assert (report.media_type, report.site_type, report.commercial) == ("video", "forum", True)
    assert report.assessed_by == world.analyst
    assert report.assessed_at == report.status_changed_at
    assert report.events.get(verb="assess_illegal").data == ILLEGAL


def test_assess_not_actionable_closes_with_the_reason(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)

    report = workflow.report_assess_not_actionable(
        world.report.pk, actor=as_user(world.analyst), reason="already_removed"
    )

    report.refresh_from_db()
    assert (report.status, report.not_actionable_reason) == (S.CLOSED, "already_removed")
    assert (report.assessed_by, report.assessed_at) == (world.analyst, report.status_changed_at)
    assert not report.is_open


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("legal_status", "illegal", "The legal status must be one of: baseline, national."),
        ("industry_category", "C1", "The category must be one of: A1, A2, B1, B2."),
        ("media_type", "pdf", "The media type must be one of: image, video, audio, text, mixed."),
        ("site_type", "darknet", "The site type must be one of: image_host, file_host, forum"),
    ],
)
def test_assess_illegal_refuses_a_classification_that_is_not_a_choice(world, field, value, message):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)
    snapshot = stored_values()

    with pytest.raises(DomainError) as caught:
        workflow.report_assess_illegal(
            world.report.pk, actor=as_user(world.analyst), **{**ILLEGAL, field: value}
        )

    assert caught.value.message.startswith(message)
    assert stored_values() == snapshot


def test_assess_not_actionable_refuses_an_unknown_reason(world):
    put_in_status(world, S.IN_REVIEW, owner=world.analyst)
    snapshot = stored_values()

    with pytest.raises(DomainError, match="The reason must be one of: not_illegal, out_of_remit"):
        workflow.report_assess_not_actionable(
            world.report.pk, actor=as_user(world.analyst), reason="boring"
        )
    assert stored_values() == snapshot


# --- duplicates --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.NEW, S.IN_REVIEW])
def test_mark_duplicate_points_at_the_open_report_and_adds_its_count(world, status):
    put_in_status(world, status, owner=world.analyst)
    Report.objects.filter(pk=world.report.pk).update(times_reported=3)

    report = workflow.report_mark_duplicate(
        world.report.pk,
        actor=as_user(world.analyst),
        original_reference=f" {world.other.reference.lower()} ",
    )

    report.refresh_from_db()
    assert (report.status, report.duplicate_of) == (S.DUPLICATE, world.other)
    assert Report.objects.get(pk=world.other.pk).times_reported == 1 + 3
    assert report.events.get(verb="mark_duplicate").data == {"duplicate_of": world.other.reference}


@pytest.mark.parametrize(
    ("original_status", "message"),
    [
        (S.CLOSED, "is closed: a duplicate can only point at an open report"),
        (S.FORWARDED, "is forwarded: a duplicate can only point at an open report"),
        (S.REMOVED, "is removed: a duplicate can only point at an open report"),
    ],
)
def test_mark_duplicate_refuses_a_closed_original(world, original_status, message):
    Report.objects.filter(pk=world.other.pk).update(status=original_status)
    snapshot = stored_values()

    with pytest.raises(DomainError, match=message):
        CALLS["mark_duplicate"](world, as_user(world.analyst))
    assert stored_values() == snapshot


@pytest.mark.parametrize("reference", ["self", "NOSUCHREF", ""])
def test_mark_duplicate_refuses_itself_or_an_unknown_reference(world, reference):
    reference = world.report.reference if reference == "self" else reference
    snapshot = stored_values()

    with pytest.raises(DomainError, match="No other report has the reference"):
        workflow.report_mark_duplicate(
            world.report.pk, actor=as_user(world.analyst), original_reference=reference
        )
    assert stored_values() == snapshot


# --- hosting and forwarding --------------------------------------------------------------------


def test_set_hosting_records_provider_and_country(world):
    put_in_status(world, S.ACTIONABLE)

    report = workflow.report_set_hosting(
        world.report.pk, actor=as_user(world.analyst), provider_id=world.provider.pk, country=" de "
    )

    assert (report.status, report.provider, report.hosting_country) == (
        S.ACTIONABLE,
        world.provider,
        "DE",
    )
    event = report.events.get(verb="set_hosting")
    assert event.data == {"provider": "Share Example GmbH", "country": "DE"}


@pytest.mark.parametrize(
    ("country", "inactive", "message"),
    [
        ("Germany", False, "two-letter ISO 3166-1 country code"),
        ("D1", False, "two-letter ISO 3166-1 country code"),
        ("", False, "two-letter ISO 3166-1 country code"),
        ("XX", False, "two-letter ISO 3166-1 country code"),
        ("äb", False, "two-letter ISO 3166-1 country code"),
        ("UK", False, "two-letter ISO 3166-1 country code"),
        ("DE", True, "That provider does not exist or is not active."),
    ],
)
def test_set_hosting_refuses_a_bad_country_or_inactive_provider(world, country, inactive, message):
    put_in_status(world, S.ACTIONABLE)
    world.provider.active = not inactive
    world.provider.save()
    snapshot = stored_values()

    with pytest.raises(DomainError, match=message):
        workflow.report_set_hosting(
            world.report.pk,
            actor=as_user(world.analyst),
            provider_id=world.provider.pk,
            country=country,
        )
    assert stored_values() == snapshot


def test_forward_closes_the_report_with_the_partners_reference(world):
    put_in_status(world, S.ACTIONABLE)

    report = workflow.report_forward(
        world.report.pk,
        actor=as_user(world.analyst),
        partner_id=world.partner.pk,
        partner_reference=" DE-2291 ",
    )

    report.refresh_from_db()
    assert report.status == S.FORWARDED and not report.is_open
    assert (report.forwarded_to, report.forwarded_reference) == (world.partner, "DE-2291")
    assert report.forwarded_at == report.status_changed_at
    assert report.events.get(verb="forward").data == {
        "partner": "German Partner",
        "partner_reference": "DE-2291",
    }


@pytest.mark.parametrize(
    ("hosting_country", "partner_change", "message"),
    [
        ("", {}, "Set the hosting country before forwarding."),
        ("NL", {}, "It is hosted in NL, this hotline's own country: send the provider a notice"),
        ("FR", {}, "German Partner does not cover FR (it covers DE, AT)."),
        ("DE", {"active": False}, "That partner hotline does not exist or is not active."),
        ("DE", {"countries": []}, "German Partner does not cover DE (it covers no country)."),
    ],
)
def test_forward_needs_a_country_abroad_and_a_partner_covering_it(
    world, hosting_country, partner_change, message
):
    put_in_status(world, S.ACTIONABLE)
    Report.objects.filter(pk=world.report.pk).update(hosting_country=hosting_country)
    for field, value in partner_change.items():
        setattr(world.partner, field, value)
    world.partner.save()
    snapshot = stored_values()

    with pytest.raises(DomainError) as caught:
        CALLS["forward"](world, as_user(world.analyst))

    assert caught.value.message.startswith(message)
    assert stored_values() == snapshot


def test_abroad_means_outside_the_configured_hotline_country(world, settings):
    settings.HOTLINE_COUNTRY = "DE"
    put_in_status(world, S.ACTIONABLE)

    with pytest.raises(DomainError, match="hosted in DE, this hotline's own country"):
        CALLS["forward"](world, as_user(world.analyst))


# --- law enforcement: escalation and hold ------------------------------------------------------


def test_escalate_logs_an_escalation_and_keeps_the_status(world):
    put_in_status(world, S.ACTIONABLE)

    escalation = workflow.report_escalate(
        world.report.pk,
        actor=as_user(world.supervisor),
        agency_id=world.agency.pk,
        kind="urgent",
        channel="phone",
        agency_reference=" POL-1 ",
        note=" child may be identifiable ",
    )

    escalation = Escalation.objects.get(pk=escalation.pk)
    assert (escalation.report, escalation.agency) == (world.report, world.agency)
    assert (escalation.kind, escalation.channel) == ("urgent", "phone")
    assert (escalation.agency_reference, escalation.note) == ("POL-1", "child may be identifiable")
    assert (escalation.created_by, escalation.created_by_label) == (world.supervisor, "sam")
    assert escalation.corrects is None and escalation.acknowledged_at is None
    event = world.report.events.get(verb="escalate")
    assert escalation.created_at == event.at
    assert event.data["escalation"] == escalation.pk
    assert event.data["agency"] == "National Police"
    assert Report.objects.get(pk=world.report.pk).status == S.ACTIONABLE


def test_a_correction_is_a_new_escalation_that_refers_to_the_earlier_one(world):
    put_in_status(world, S.ACTIONABLE)
    first = CALLS["escalate"](world, as_user(world.supervisor))
    first_values = Escalation.objects.filter(pk=first.pk).values().get()

    correction = workflow.report_escalate(
        world.report.pk,
        actor=as_user(world.supervisor),
        agency_id=world.agency.pk,
        kind="urgent",
        channel="phone",
        agency_reference="POL-1b",
        note="the reference was mistyped",
        corrects_id=first.pk,
    )

    assert correction.pk != first.pk
    assert correction.corrects == first
    assert list(first.corrections.all()) == [correction]
    assert Escalation.objects.filter(pk=first.pk).values().get() == first_values  # untouched
    assert Escalation.objects.count() == 2
    assert world.report.events.filter(verb="escalate").count() == 2


def test_a_correction_must_refer_to_an_escalation_of_the_same_report(world):
    put_in_status(world, S.ACTIONABLE)
    Report.objects.filter(pk=world.other.pk).update(status=S.ACTIONABLE)
    elsewhere = workflow.report_escalate(
        world.other.pk,
        actor=as_user(world.supervisor),
        agency_id=world.agency.pk,
        kind="notification",
        channel="email",
    )
    snapshot = stored_values()

    with pytest.raises(DomainError, match="not one of this report's"):
        workflow.report_escalate(
            world.report.pk,
            actor=as_user(world.supervisor),
            agency_id=world.agency.pk,
            kind="notification",
            channel="email",
            corrects_id=elsewhere.pk,
        )
    assert stored_values() == snapshot


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "gossip"}, "The kind must be one of: notification, urgent, non_compliance."),
        ({"channel": "pigeon"}, "The channel must be one of: email, phone, portal"),
        ({"agency_id": -1}, "That agency does not exist or is not active."),
        ({"inactive": True}, "That agency does not exist or is not active."),
    ],
)
def test_escalate_refuses_bad_choices_and_unknown_agencies(world, change, message):
    put_in_status(world, S.ACTIONABLE)
    if change.pop("inactive", False):
        world.agency.active = False
        world.agency.save()
    snapshot = stored_values()
    kwargs = {"agency_id": world.agency.pk, "kind": "urgent", "channel": "phone", **change}

    with pytest.raises(DomainError, match=message):
        workflow.report_escalate(world.report.pk, actor=as_user(world.supervisor), **kwargs)
    assert stored_values() == snapshot


@pytest.mark.parametrize("status", [S.ACTIONABLE, S.TAKEDOWN_REQUESTED, S.OVERDUE])
def test_hold_and_release_restore_the_status_before_the_hold(world, status):
    put_in_status(world, status)
    until = timezone.now() + timedelta(days=2)

    held = workflow.report_hold(
        world.report.pk,
        actor=as_user(world.supervisor),
        agency_id=world.agency.pk,
        until=until,
        agency_reference="POL-7",
    )

    assert (held.status, held.status_before_hold) == (S.ON_HOLD, status)
    hold = Hold.objects.get(report=world.report)
    assert (hold.agency, hold.agency_reference, hold.until) == (world.agency, "POL-7", until)
    assert hold.started_at == held.status_changed_at
    assert hold.released_at is None

    released = workflow.report_hold_release(world.report.pk, actor=as_user(world.supervisor))

    assert (released.status, released.status_before_hold) == (status, "")
    hold.refresh_from_db()
    event = released.events.get(verb="release_hold")
    assert hold.released_at == event.at == released.status_changed_at
    assert (event.from_status, event.to_status) == (S.ON_HOLD, status)
    assert event.data["expired"] is False


def test_a_hold_released_after_it_expired_ends_at_its_until(world):
    put_in_status(world, S.ACTIONABLE)
    start = timezone.now()
    until = start + timedelta(hours=6)
    workflow.report_hold(
        world.report.pk, actor=as_user(world.supervisor), agency_id=world.agency.pk, until=until
    )

    with time_machine.travel(start + timedelta(hours=9), tick=False):
        report = workflow.report_hold_release(world.report.pk, actor=Actor.system("hold expiry"))

    assert report.status == S.ACTIONABLE
    hold = Hold.objects.get(report=world.report)
    assert hold.released_at == until
    event = report.events.get(verb="release_hold")
    assert event.data["expired"] is True
    assert event.data["held_seconds"] == pytest.approx(6 * 3600, abs=1)
    assert event.actor_kind == "system"


@pytest.mark.parametrize("until", [timedelta(minutes=-1), timedelta(0)])
def test_a_hold_must_end_in_the_future(world, until):
    put_in_status(world, S.ACTIONABLE)
    snapshot = stored_values()
    now = timezone.now()

    with (
        time_machine.travel(now, tick=False),
        pytest.raises(DomainError, match="must end in the future"),
    ):
        workflow.report_hold(
            world.report.pk,
            actor=as_user(world.supervisor),
            agency_id=world.agency.pk,
            until=now + until,
        )
    assert stored_values() == snapshot
    assert not Hold.objects.exists()


def test_hosting_can_be_set_while_on_hold_without_ending_the_hold(world):
    put_in_status(world, S.ON_HOLD, before_hold=S.OVERDUE)

    report = CALLS["set_hosting"](world, as_user(world.analyst))

    assert (report.status, report.status_before_hold) == (S.ON_HOLD, S.OVERDUE)
    assert Hold.objects.get(report=world.report).released_at is None


# --- permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("escalate", S.ACTIONABLE),
        ("hold", S.ACTIONABLE),
        ("release_hold", S.ON_HOLD),
        ("take_over", S.IN_REVIEW),
    ],
)
def test_an_analyst_may_not_escalate_hold_or_override(world, name, status):
    put_in_status(world, status, owner=world.analyst)
    snapshot = stored_values()

    with pytest.raises(NotPermitted) as caught:
        CALLS[name](world, as_user(world.analyst))

    assert caught.value.message == f"ann may not '{TRANSITIONS[name].label}'."
    assert caught.value.status_code == 403
    assert stored_values() == snapshot


@pytest.mark.parametrize("name", sorted(CALLS))
def test_an_auditor_may_do_nothing(world, name):
    source = sorted(TRANSITIONS[name].sources)[0]
    put_in_status(world, source, owner=world.auditor)
    snapshot = stored_values()

    with pytest.raises(NotPermitted, match="aud may not"):
        CALLS[name](world, as_user(world.auditor))
    assert stored_values() == snapshot


@pytest.mark.parametrize("actor", [Actor.public(), Actor.system()])
def test_only_the_transitions_meant_for_the_system_run_without_a_user(world, actor):
    put_in_status(world, S.NEW)
    with pytest.raises(NotPermitted):
        CALLS["claim"](world, actor)


def test_transitions_allowed_lists_what_the_role_may_do_in_the_state(world):
    put_in_status(world, S.ACTIONABLE)
    report = Report.objects.get(pk=world.report.pk)

    def names(user):  # the triage transitions; notices are the next issue's
        return {t.name for t in workflow.transitions_allowed(report, user)} & set(CALLS)

    assert names(world.analyst) == {"set_hosting", "forward"}
    assert names(world.supervisor) == {"set_hosting", "forward", "escalate", "hold"}
    assert workflow.transitions_allowed(report, world.auditor) == []


@pytest.mark.parametrize(
    ("before_hold", "allowed"),
    [
        (S.ACTIONABLE, set()),
        (S.TAKEDOWN_REQUESTED, {"acknowledge_notice", "dispute_notice", "confirm_removal"}),
        (S.OVERDUE, {"acknowledge_notice", "dispute_notice", "confirm_removal"}),
    ],
)
def test_a_hold_lets_through_the_answers_to_the_notice_it_paused(world, before_hold, allowed):
    # A provider's answers are taken during a hold as outside one; nothing else is.
    report = put_in_status(world, S.ON_HOLD, before_hold=before_hold)
    answers = {"acknowledge_notice", "dispute_notice", "confirm_removal"}

    assert {name for name in answers if TRANSITIONS[name].allowed_for(report)} == allowed
    assert ("confirm_removal" in allowed) == (
        "confirm_removal" in {t.name for t in workflow.transitions_allowed(report, world.analyst)}
    )
    if not allowed:
        snapshot = stored_values()
        with pytest.raises(TransitionNotAllowed, match="is on hold;"):
            workflow.report_confirm_removal(report.pk, actor=as_user(world.analyst))
        assert stored_values() == snapshot


# --- the notice's own table ---------------------------------------------------------------------


def test_the_notice_table_names_every_status_and_ends_in_removed_or_withdrawn():
    table = workflow.NOTICE_TRANSITIONS
    reachable = set().union(*table.values())
    assert reachable == set(Notice.Status.values)
    assert set(Notice.Status.values) - set(table) == {
        Notice.Status.REMOVED,
        Notice.Status.WITHDRAWN,
    }


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (Notice.Status.OPEN, Notice.Status.SCHEDULED),
        (Notice.Status.OPEN, Notice.Status.DELIVERING),
        (Notice.Status.OVERDUE, Notice.Status.OPEN),
        (Notice.Status.REMOVED, Notice.Status.OPEN),
        (Notice.Status.WITHDRAWN, Notice.Status.DELIVERING),
    ],
)
def test_a_notice_move_the_table_does_not_declare_is_refused(world, source, target):
    from reports.workflow.engine import notice_status_move

    put_in_status(world, S.ACTIONABLE)
    notice = Notice.objects.create(report=world.report, provider=world.provider, status=source)
    with pytest.raises(workflow.NoticeTransitionNotAllowed, match="cannot become"):
        notice_status_move(notice, target)
    assert Notice.objects.get(pk=notice.pk).status == source
