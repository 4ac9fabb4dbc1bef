"""The triage workflow: every transition from every status."""

import pytest

from reports.audit import audit_verify
from reports.models import Event, Report
from reports.workflow import TRANSITIONS, TransitionNotAllowed
from tests.reports.factories import stored_values
from tests.reports.workflow.support import CALLS, LONG_AGO, NOTICE_WORDS, S, as_user, put_in_status

pytestmark = pytest.mark.django_db


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
