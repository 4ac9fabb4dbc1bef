"""Two connections race a transition on the same report: the row lock decides, one wins.

Each thread has its own database connection; a barrier releases them together. The loser waits
for the winner's lock, re-checks the state and gets the domain error; nothing of it is written.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from hotline.actors import Actor
from hotline.errors import DomainError
from reports import workflow
from reports.audit import audit_verify
from reports.models import Event, Hold, Report, ReportStatus
from reports.workflow import TransitionNotAllowed
from tests.reports.factories import AgencyFactory, PartnerHotlineFactory, ReportFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

S = ReportStatus
ROUNDS = 3
ILLEGAL = {
    "legal_status": "national",
    "industry_category": "B2",
    "content_type": "image",
    "site_type": "image_host",
    "commerciality": "non_commercial",
}


def race(*calls) -> list:
    """Run the calls at the same moment, one thread and connection each; results or errors."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=30)
            return call()
        except DomainError as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def staff(username):
    # Transactional tests flush the database, the role groups with it: use superusers here.
    return Actor.for_user(
        get_user_model().objects.create_superuser(username, f"{username}@x.example")
    )


def winners_and_losers(results):
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    return winners, losers


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_analysts_claim_the_same_report_one_gets_it(round_):
    report = ReportFactory()
    ann, bob = staff("ann"), staff("bob")

    results = race(
        lambda: workflow.report_claim(report.pk, actor=ann),
        lambda: workflow.report_claim(report.pk, actor=bob),
    )

    winners, losers = winners_and_losers(results)
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], TransitionNotAllowed)
    assert "is in review; 'Claim' is allowed only when it is new" in losers[0].message
    report.refresh_from_db()
    assert report.status == S.IN_REVIEW
    assert report.assigned_to == winners[0].assigned_to
    events = list(Event.objects.filter(report=report))
    assert [(e.verb, e.actor_label) for e in events] == [("claim", report.assigned_to.username)]
    assert audit_verify().ok


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_the_owner_assesses_twice_at_once_one_decision_stands(round_):
    report = ReportFactory()
    ann = staff("ann")
    workflow.report_claim(report.pk, actor=ann)

    results = race(
        lambda: workflow.report_assess_illegal(report.pk, actor=ann, **ILLEGAL),
        lambda: workflow.report_assess_not_actionable(
            report.pk, actor=ann, reason="not_illegal", not_illegal_reason="adult"
        ),
    )

    winners, losers = winners_and_losers(results)
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], TransitionNotAllowed)
    report.refresh_from_db()
    assert report.status in (S.ACTIONABLE, S.CLOSED)
    assert f"is {report.get_status_display()}; 'Assess: " in losers[0].message
    # Only the winner's classification is stored.
    if report.status == S.ACTIONABLE:
        assert (report.legal_status, report.not_actionable_reason) == ("national", "")
    else:
        assert (report.legal_status, report.not_actionable_reason) == ("not_illegal", "not_illegal")
    verbs = list(Event.objects.filter(report=report).values_list("verb", flat=True))
    assert verbs[0] == "claim" and len(verbs) == 2
    assert audit_verify().ok


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_hold_and_forward_at_once_one_wins(round_, settings):
    settings.HOTLINE_COUNTRY = "NL"
    report = ReportFactory()
    Report.objects.filter(pk=report.pk).update(status=S.ACTIONABLE, hosting_country="DE")
    partner = PartnerHotlineFactory(name="German Partner", countries=["DE"])
    agency = AgencyFactory(name="National Police")
    sam = staff("sam")

    results = race(
        lambda: workflow.report_forward(report.pk, actor=sam, partner_id=partner.pk),
        lambda: workflow.report_hold(
            report.pk, actor=sam, agency_id=agency.pk, until=timezone.now() + timedelta(days=1)
        ),
    )

    winners, losers = winners_and_losers(results)
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], TransitionNotAllowed)
    report.refresh_from_db()
    assert report.status in (S.FORWARDED, S.ON_HOLD)
    # A hold exists only if the hold won.
    assert Hold.objects.filter(report=report).count() == (report.status == S.ON_HOLD)
    assert Event.objects.filter(report=report).count() == 1
    assert audit_verify().ok


def reference_met_by_both(reference: str, barrier: threading.Barrier) -> str:
    """A reference whose reading waits for the other thread to read its own.

    The workflow reads it after it has locked the report being marked, so both threads hold
    their own report's lock before either asks for the other's: the worst interleaving, every
    time, instead of by chance.
    """

    class Reference(str):
        def strip(self, chars=None):
            barrier.wait(timeout=30)
            return str(self).strip(chars)

    return Reference(reference)


def test_two_reports_marked_duplicates_of_each_other_at_once():
    """Each would lock its own report, then the other's: without a lock order they deadlock."""
    first, second = ReportFactory(), ReportFactory()
    ann, bob = staff("ann"), staff("bob")
    inner = threading.Barrier(2)

    results = race(
        lambda: workflow.report_mark_duplicate(
            first.pk, actor=ann, original_reference=reference_met_by_both(second.reference, inner)
        ),
        lambda: workflow.report_mark_duplicate(
            second.pk, actor=bob, original_reference=reference_met_by_both(first.reference, inner)
        ),
    )

    winners, losers = winners_and_losers(results)
    assert len(winners) == 1 and len(losers) == 1, results
    assert "a duplicate can only point at an open report" in losers[0].message
    duplicate = Report.objects.get(pk=winners[0].pk)
    original = Report.objects.get(pk=duplicate.duplicate_of_id)
    assert (duplicate.status, original.status) == (S.DUPLICATE, S.NEW)
    assert original.times_reported == 2
    assert Event.objects.count() == 1
    assert audit_verify().ok
