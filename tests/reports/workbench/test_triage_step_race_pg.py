"""Analysts pressing "Assess illegal and notify" on the same new report at the same moment: one
step claims, assesses and notifies; every other is refused whole (the report is the winner's
now), and one notice goes out. The race runs on PostgreSQL, each thread with its own
connection."""

import pytest

from hotline.actors import Actor
from hotline.errors import DomainError
from reports import workflow
from reports.models import Event, Notice, Report, ReportStatus
from tests.reports.factories import ActionableReportFactory, ProviderFactory, StaffUserFactory
from tests.reports.support import run_together
from tests.reports.workflow.support import ILLEGAL

THREADS = 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_of_simultaneous_steps_wins_and_one_notice_goes_out(monkeypatch):
    from reports import deadlines, outbox

    monkeypatch.setattr(deadlines, "_send_wakes", lambda *args: None)
    monkeypatch.setattr(outbox, "drain_kick", lambda: None)
    provider = ProviderFactory(country="NL")
    report = ActionableReportFactory(status=ReportStatus.NEW, provider=None, legal_status="")
    analysts = [StaffUserFactory(username=f"ann{i}", role="analyst") for i in range(THREADS)]

    def press(i):
        try:
            workflow.report_assess_illegal_step(
                report.pk,
                actor=Actor.for_user(analysts[i]),
                then="notify",
                provider_id=provider.pk,
                country="NL",
                **ILLEGAL,
            )
        except DomainError as refused:
            return refused.message
        return "done"

    outcomes = run_together(THREADS, press)

    assert outcomes.count("done") == 1
    refusals = [outcome for outcome in outcomes if outcome != "done"]
    # Each waited for the winner's lock, then found the report claimed or already past review.
    assert all(
        "only they can do this" in refusal or "allowed only when it is in review" in refusal
        for refusal in refusals
    ), refusals
    winner = analysts[outcomes.index("done")]
    report.refresh_from_db()
    assert (report.status, report.assigned_to, report.assessed_by) == (
        ReportStatus.TAKEDOWN_REQUESTED,
        winner,
        winner,
    )
    assert Notice.objects.filter(report=report).count() == 1
    verbs = list(Event.objects.filter(report=report).values_list("verb", flat=True))
    assert verbs.count("claim") == 1 and verbs.count("send_notice") == 1
    assert Report.objects.filter(pk=report.pk).count() == 1
