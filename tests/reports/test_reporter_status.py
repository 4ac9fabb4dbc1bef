"""What a reporter's status endpoint may tell: coarse, on the reporter's own timeline.

Whoever uploaded the content can report its URL and watch the answer, so the answer must not
tell a known URL from a new one, show the hotline's steps as they happen, or hint at the police.
Reports are made through the public API and worked through the workflow, as the hotline does;
the clock is moved with time-machine.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from hotline.actors import Actor
from reports import workflow
from reports.models import Report, ReportStatus
from tests.reports.factories import (
    ILLEGAL,
    AgencyFactory,
    PartnerHotlineFactory,
    ProviderFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

ENDPOINT = "/api/v1/reports/"
URL = "https://images.example.com/gallery/42?page=3"
T0 = datetime(2025, 3, 3, 9, 17, 23, tzinfo=UTC)  # a Monday, mid-morning


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def hotline(settings):
    settings.HOTLINE_LEA_WINDOW = ""
    settings.HOTLINE_COUNTRY = "NL"
    supervisor = StaffUserFactory(username="sam", role="supervisor")
    return {
        "actor": Actor.for_user(supervisor),
        "provider": ProviderFactory(name="Alpha Hosting BV", country="NL"),
        "agency": AgencyFactory(name="National Police"),
        "partner": PartnerHotlineFactory(name="German Partner", countries=["DE"]),
    }


def submit(client, url: str) -> dict:
    response = client.post(ENDPOINT, {"url": url}, format="json")
    assert response.status_code == 201
    return response.json()


def status_of(client, receipt: dict) -> dict:
    response = client.get(
        f"{ENDPOINT}{receipt['reference']}/status/",
        headers={"X-Tracking-Secret": receipt["tracking_secret"]},
    )
    assert response.status_code == 200
    return response.json()


def without_reference(answer: dict) -> dict:
    return {key: value for key, value in answer.items() if key != "reference"}


def report_of(receipt: dict) -> Report:
    return Report.objects.get(reference=receipt["reference"])


def work_to_notice(hotline, report: Report) -> None:
    actor = hotline["actor"]
    workflow.report_claim(report.pk, actor=actor)
    workflow.report_assess_illegal(report.pk, actor=actor, **ILLEGAL)
    workflow.report_set_hosting(
        report.pk, actor=actor, provider_id=hotline["provider"].pk, country="NL"
    )
    workflow.report_send_notice(report.pk, actor=actor)


def police_step_in(hotline, report: Report) -> None:
    actor = hotline["actor"]
    workflow.report_escalate(
        report.pk, actor=actor, agency_id=hotline["agency"].pk, kind="urgent", channel="phone"
    )
    workflow.report_hold(
        report.pk,
        actor=actor,
        agency_id=hotline["agency"].pk,
        until=datetime.now(UTC) + timedelta(days=10),
    )


def test_a_duplicate_answers_exactly_like_a_new_report_made_at_the_same_moment(
    api_client, clock, hotline
):
    original = submit(api_client, URL)
    clock.shift(timedelta(hours=5))
    work_to_notice(hotline, report_of(original))
    police_step_in(hotline, report_of(original))
    clock.shift(timedelta(hours=7, minutes=31, seconds=5))

    duplicate = submit(api_client, URL + "#seen-again")
    fresh = submit(api_client, "https://unknown.example.net/never-reported")
    assert report_of(duplicate).status == ReportStatus.DUPLICATE
    assert report_of(fresh).status == ReportStatus.NEW

    submitted = datetime.now(UTC)
    for later in (timedelta(0), timedelta(hours=23, minutes=59), timedelta(hours=24)):
        with time_machine.travel(submitted + later, tick=False):
            answers = [status_of(api_client, receipt) for receipt in (duplicate, fresh)]
        assert without_reference(answers[0]) == without_reference(answers[1]), later
        assert (
            set(answers[0]) == set(answers[1]) == {"reference", "status", "changed_at", "outcome"}
        )
    with time_machine.travel(submitted, tick=False):
        assert without_reference(status_of(api_client, duplicate)) == {
            "status": "received",
            "changed_at": submitted.isoformat().replace("+00:00", "Z"),
            "outcome": None,
        }


def test_the_hotlines_steps_are_invisible_within_the_first_day(api_client, clock, hotline):
    receipt = submit(api_client, URL)
    first = status_of(api_client, receipt)
    report = report_of(receipt)
    steps = [
        lambda: workflow.report_claim(report.pk, actor=hotline["actor"]),
        lambda: workflow.report_assess_illegal(report.pk, actor=hotline["actor"], **ILLEGAL),
        lambda: workflow.report_set_hosting(
            report.pk, actor=hotline["actor"], provider_id=hotline["provider"].pk, country="NL"
        ),
        lambda: workflow.report_send_notice(report.pk, actor=hotline["actor"]),
        lambda: police_step_in(hotline, report),
        lambda: workflow.report_hold_release(report.pk, actor=hotline["actor"]),
        lambda: workflow.report_confirm_removal(report.pk, actor=hotline["actor"]),
    ]
    for step in steps:
        clock.shift(timedelta(hours=3))
        step()
        assert status_of(api_client, receipt) == first

    assert first == {
        "reference": receipt["reference"],
        "status": "received",
        "changed_at": "2025-03-03T09:17:23Z",
        "outcome": None,
    }
    clock.move_to(T0 + timedelta(hours=23, minutes=59, seconds=59))
    assert status_of(api_client, receipt) == first


def test_after_a_day_an_open_report_is_in_progress_from_that_day_whatever_happens_inside(
    api_client, clock, hotline
):
    untouched = submit(api_client, URL)
    held = submit(api_client, "https://other.example.org/album/9")
    work_to_notice(hotline, report_of(held))
    police_step_in(hotline, report_of(held))

    for later in (timedelta(hours=24), timedelta(days=3, hours=7)):
        clock.move_to(T0 + later)
        answers = [status_of(api_client, receipt) for receipt in (untouched, held)]
        assert (
            without_reference(answers[0])
            == without_reference(answers[1])
            == {
                "status": "in_progress",
                "changed_at": "2025-03-04T00:00:00Z",  # the day the first 24 hours ended, 00:00 UTC
                "outcome": None,
            }
        )
    assert report_of(held).status == ReportStatus.ON_HOLD


def test_a_closing_is_shown_from_the_next_midnight_rounded_to_that_day(api_client, clock, hotline):
    receipt = submit(api_client, URL)
    work_to_notice(hotline, report_of(receipt))
    clock.move_to(datetime(2025, 3, 5, 14, 42, tzinfo=UTC))  # Wednesday afternoon
    workflow.report_confirm_removal(report_of(receipt).pk, actor=hotline["actor"])

    clock.move_to(datetime(2025, 3, 5, 23, 59, 59, tzinfo=UTC))
    assert status_of(api_client, receipt)["status"] == "in_progress"
    clock.move_to(datetime(2025, 3, 6, 0, 0, tzinfo=UTC))
    assert without_reference(status_of(api_client, receipt)) == {
        "status": "closed",
        "changed_at": "2025-03-06T00:00:00Z",
        "outcome": "action_taken",
    }


def test_a_closing_within_the_first_day_waits_for_the_day_to_end(api_client, clock, hotline):
    receipt = submit(api_client, URL)
    report = report_of(receipt)
    clock.shift(timedelta(minutes=20))
    workflow.report_claim(report.pk, actor=hotline["actor"])
    workflow.report_assess_not_actionable(
        report.pk, actor=hotline["actor"], reason="not_illegal", not_illegal_reason="adult"
    )

    clock.move_to(T0 + timedelta(hours=24) - timedelta(seconds=1))
    assert status_of(api_client, receipt)["status"] == "received"
    clock.move_to(T0 + timedelta(hours=24))
    assert without_reference(status_of(api_client, receipt)) == {
        "status": "closed",
        "changed_at": "2025-03-04T00:00:00Z",
        "outcome": "no_action",
    }


@pytest.mark.parametrize(
    ("close", "outcome"),
    [
        ("removed", "action_taken"),
        ("forwarded", "action_taken"),
        ("not_illegal", "no_action"),
        ("already_removed", "no_action"),
    ],
)
def test_a_duplicate_follows_its_original_to_its_outcome(
    api_client, clock, hotline, close, outcome
):
    original = submit(api_client, URL)
    clock.shift(timedelta(hours=2))
    duplicate = submit(api_client, URL + "#again")
    report = report_of(original)
    actor = hotline["actor"]
    if close in ("not_illegal", "already_removed"):
        workflow.report_claim(report.pk, actor=actor)
        why = "adult" if close == "not_illegal" else ""
        workflow.report_assess_not_actionable(
            report.pk, actor=actor, reason=close, not_illegal_reason=why
        )
    elif close == "forwarded":
        workflow.report_claim(report.pk, actor=actor)
        workflow.report_assess_illegal(report.pk, actor=actor, **ILLEGAL)
        workflow.report_set_hosting(report.pk, actor=actor, provider_id=None, country="DE")
        workflow.report_forward(report.pk, actor=actor, partner_id=hotline["partner"].pk)
    else:
        work_to_notice(hotline, report)
        workflow.report_confirm_removal(report.pk, actor=actor)

    clock.move_to(T0 + timedelta(days=2))
    for receipt in (original, duplicate):
        assert without_reference(status_of(api_client, receipt)) == {
            "status": "closed",
            "changed_at": "2025-03-04T00:00:00Z",
            "outcome": outcome,
        }


def test_a_report_marked_duplicate_of_a_duplicate_follows_the_chain(api_client, clock, hotline):
    first, second, third = (
        submit(api_client, f"https://mirror{n}.example.com/same-picture") for n in range(3)
    )
    actor = hotline["actor"]
    workflow.report_mark_duplicate(
        report_of(second).pk, actor=actor, original_reference=third["reference"]
    )
    workflow.report_mark_duplicate(
        report_of(third).pk, actor=actor, original_reference=first["reference"]
    )
    workflow.report_claim(report_of(first).pk, actor=actor)
    workflow.report_assess_not_actionable(
        report_of(first).pk, actor=actor, reason="not_illegal", not_illegal_reason="adult"
    )

    clock.move_to(T0 + timedelta(days=2))
    assert status_of(api_client, second)["status"] == "closed"
