"""The report list's bulk actions: each runs the workflow function per report, each report in a
transaction of its own, and says what was done and what was refused and why."""

import re
from datetime import timedelta

import pytest
from django.core import mail

from hotline.actors import Actor
from reports import bulk, hosting, workflow
from reports.models import Event, Notice, OutgoingMessage, Report, ReportStatus
from reports.outbox import outbox_drain
from tests.reports.factories import (
    ILLEGAL,
    ActionableReportFactory,
    ProviderFactory,
    StaffUserFactory,
    stored_values,
)
from tests.reports.workbench.bulk_support import (
    ILLEGAL_FIELDS,
    LIST,
    action_apply,
    action_choose,
    client_for,
    messages_of,
    new_reports,
    statuses,
)

pytestmark = pytest.mark.django_db
S = ReportStatus


@pytest.fixture
def people():
    return {
        "ann": StaffUserFactory(username="ann", role="analyst"),
        "bob": StaffUserFactory(username="bob", role="analyst"),
        "sam": StaffUserFactory(username="sam", role="supervisor"),
        "aud": StaffUserFactory(username="aud", role="auditor"),
    }


@pytest.fixture
def ann(people):
    return client_for(people["ann"])


@pytest.fixture
def images():
    provider = ProviderFactory(name="Example Images BV", country="NL")
    provider.domains.create(suffix="example.com")
    return provider


def action_names(client) -> set[str]:
    page = client.get(LIST).content.decode()
    return set(re.findall(r'<option value="(bulk_[a-z_]+)"', page))


def test_claim_and_release_run_at_once_on_the_selection(ann, people):
    reports = new_reports(3)

    response = action_choose(ann, "bulk_claim", reports)

    assert response.status_code == 302
    assert statuses(reports) == [S.IN_REVIEW] * 3
    assert {r.assigned_to_id for r in Report.objects.all()} == {people["ann"].pk}
    refs = ", ".join(r.reference for r in reports)
    assert messages_of(response) == [f"Claim: done for 3: {refs}."]

    action_choose(ann, "bulk_release", reports)
    assert statuses(reports) == [S.NEW] * 3
    assert Event.objects.filter(verb="claim").count() == 3
    assert Event.objects.filter(verb="release").count() == 3


def test_a_report_claimed_by_someone_else_is_refused_and_untouched(ann, people):
    reports = new_reports(3)
    taken = reports[1]
    workflow.report_claim(taken.pk, actor=Actor.for_user(people["bob"]))
    before = Report.objects.values().get(pk=taken.pk)

    response = action_apply(ann, "bulk_assess_illegal", reports, **ILLEGAL_FIELDS)

    assert statuses(reports) == [S.ACTIONABLE, S.IN_REVIEW, S.ACTIONABLE]
    assert Report.objects.values().get(pk=taken.pk) == before  # neither claimed nor assessed
    done, refused = messages_of(response)
    assert done.startswith("Assess illegal (one classification; claims unclaimed ones): done for 2")
    assert refused == (
        f"Refused for 1 ({taken.reference}): The report is in review; 'Assess: illegal' is "
        "allowed only when it is in review. It is claimed by bob: only they can do this (a "
        "supervisor can take it over)."
    )


def test_assess_illegal_claims_and_assesses_new_reports_with_one_classification(ann, people):
    reports = new_reports(3)

    form_page = action_choose(ann, "bulk_assess_illegal", reports)

    assert form_page.status_code == 200
    text = form_page.content.decode()
    for report in reports:
        assert report.reference in text
        assert f'name="_selected_action" value="{report.pk}"' in text
    assert 'name="bulk-legal_status"' in text
    assert statuses(reports) == [S.NEW] * 3  # nothing before the form is posted

    action_apply(ann, "bulk_assess_illegal", reports, **ILLEGAL_FIELDS, age_group="")
    for report in Report.objects.filter(pk__in=[r.pk for r in reports]):
        assert (report.status, report.assigned_to_id, report.assessed_by_id) == (
            S.ACTIONABLE,
            people["ann"].pk,
            people["ann"].pk,
        )
        assert (report.industry_category, report.site_type) == ("A1", "image_host")
    assert list(Event.objects.filter(report=reports[0]).values_list("verb", flat=True)) == [
        "received",
        "claim",
        "assess_illegal",
    ]


def test_an_incomplete_form_shows_its_errors_and_does_nothing(ann):
    reports = new_reports(2)
    before = stored_values()

    response = action_apply(ann, "bulk_assess_illegal", reports, legal_status="baseline")

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert stored_values() == before


def test_not_actionable_closes_with_the_reason_and_its_not_illegal_reason(ann):
    reports = new_reports(2)

    action_apply(
        ann,
        "bulk_assess_not_actionable",
        reports,
        reason="not_illegal",
        not_illegal_reason="adult",
    )

    closed = Report.objects.filter(pk__in=[r.pk for r in reports])
    assert {(r.status, r.not_actionable_reason, r.not_illegal_reason) for r in closed} == {
        (S.CLOSED, "not_illegal", "adult")
    }


def test_mark_duplicate_points_the_selection_at_the_original(ann):
    original, *copies = new_reports(3)

    response = action_apply(
        ann, "bulk_mark_duplicate", [original, *copies], original_reference=original.reference
    )

    assert statuses(copies) == [S.DUPLICATE] * 2
    assert Report.objects.get(pk=original.pk).times_reported == 3
    assert messages_of(response)[-1] == (
        f"Refused for 1 ({original.reference}): No other report has the reference "
        f"'{original.reference}'."
    )


def test_set_hosting_takes_a_provider_and_an_iso_country(ann, people, images):
    reports = [ActionableReportFactory(assigned_to=people["ann"]) for _ in range(2)]

    refused = action_apply(ann, "bulk_set_hosting", reports, provider=images.pk, country="XX")
    assert refused.status_code == 200  # the form page again, with the error
    assert "ISO 3166-1" in refused.content.decode()
    assert set(Report.objects.values_list("provider_id", flat=True)) != {images.pk}

    action_apply(ann, "bulk_set_hosting", reports, provider=images.pk, country="nl")
    assert set(Report.objects.values_list("provider_id", "hosting_country")) == {(images.pk, "NL")}


def test_send_notices_one_per_report_grouped_per_provider(ann, people, settings):
    settings.HOTLINE_NOTICE_GROUP_WINDOW = "5m"
    first, second = ProviderFactory(name="First Host"), ProviderFactory(name="Second Host")
    reports = [ActionableReportFactory(provider=first) for _ in range(3)]
    reports += [ActionableReportFactory(provider=second) for _ in range(2)]
    no_provider = ActionableReportFactory(provider=None)

    form_page = action_choose(ann, "bulk_send_notice", [*reports, no_provider])
    assert "First Host" in form_page.content.decode()
    response = action_apply(ann, "bulk_send_notice", [*reports, no_provider], kind="voluntary")

    assert statuses(reports) == [S.TAKEDOWN_REQUESTED] * 5
    assert Notice.objects.count() == 5
    assert "First Host: 3 notices queued; they go as one message per provider." in (
        messages_of(response)
    )
    assert "Second Host: 2 notices queued; they go as one message per provider." in (
        messages_of(response)
    )
    assert messages_of(response)[-1] == (
        f"Refused for 1 ({no_provider.reference}): No hosting provider is set and the lookup "
        "suggests none: set the hosting first."
    )
    outbox_drain(window=timedelta(0))
    assert OutgoingMessage.objects.filter(kind=OutgoingMessage.Kind.NOTICE).count() == 2
    assert len(mail.outbox) == 2


def test_send_notices_takes_the_suggested_provider_when_none_is_set(ann, people, images):
    reports = new_reports(2)
    hosting.intake_lookups_run([r.pk for r in reports])
    action_apply(ann, "bulk_assess_illegal", reports, **ILLEGAL_FIELDS)

    form_page = action_choose(ann, "bulk_send_notice", reports)
    assert "Example Images BV (suggested by the lookup)" in form_page.content.decode()
    action_apply(ann, "bulk_send_notice", reports, kind="voluntary")

    assert statuses(reports) == [S.TAKEDOWN_REQUESTED] * 2
    assert set(Notice.objects.values_list("provider__name", flat=True)) == {"Example Images BV"}
    assert list(Event.objects.filter(report=reports[0]).values_list("verb", flat=True))[-2:] == [
        "set_hosting",
        "send_notice",
    ]


def test_more_than_the_cap_is_refused_and_nothing_is_done(ann, settings):
    settings.HOTLINE_BULK_MAX = 3
    reports = new_reports(4)

    response = action_choose(ann, "bulk_claim", reports)

    assert messages_of(response) == [
        "4 reports are selected; a bulk action takes at most 3 at once (HOTLINE_BULK_MAX). "
        "Nothing was done: narrow the selection (a queue, a search) and run it again."
    ]
    assert statuses(reports) == [S.NEW] * 4
    assert action_choose(ann, "bulk_assess_illegal", reports).status_code == 302  # no form page
    assert statuses(reports[:3]) == [S.NEW] * 3


def test_select_all_across_the_queue_counts_against_the_cap(ann, settings):
    settings.HOTLINE_BULK_MAX = 3
    reports = new_reports(4)

    response = action_choose(ann, "bulk_claim", reports[:1], "?queue=new", select_across="1")

    assert "4 reports are selected" in messages_of(response)[0]
    assert response.url == LIST + "?queue=new"  # back to the queue it came from


def test_the_actions_follow_the_transitions_permissions(people):
    assert action_names(client_for(people["aud"])) == set()
    analyst_actions = action_names(client_for(people["ann"]))
    assert analyst_actions == {
        "bulk_claim",
        "bulk_release",
        "bulk_assess_illegal",
        "bulk_assess_not_actionable",
        "bulk_mark_duplicate",
        "bulk_set_hosting",
        "bulk_send_notice",
    }
    assert action_names(client_for(people["sam"])) == analyst_actions


def test_a_role_without_the_permission_cannot_post_the_action(people):
    reports = new_reports(1)
    auditor = client_for(people["aud"])

    action_choose(auditor, "bulk_claim", reports)
    action_apply(auditor, "bulk_assess_illegal", reports, **ILLEGAL_FIELDS)

    assert statuses(reports) == [S.NEW]


def test_an_assessment_the_workflow_refuses_undoes_the_claim_it_made(people):
    # The form offers valid choices only; the service checks again, after the claim.
    reports = new_reports(2)
    before = stored_values()

    result = bulk.reports_assess_illegal(
        [r.pk for r in reports], actor=Actor.for_user(people["ann"]), **ILLEGAL, gender="x"
    )

    assert result.done == []
    assert result.refused == {
        "The gender must be one of: female, male, both, not_determined.": [
            r.reference for r in reports
        ]
    }
    assert stored_values() == before  # not even claimed


def test_an_action_already_done_is_refused_with_the_state(ann, people):
    [report] = new_reports(1)
    workflow.report_claim(report.pk, actor=Actor.for_user(people["ann"]))
    workflow.report_assess_illegal(report.pk, actor=Actor.for_user(people["ann"]), **ILLEGAL)

    response = action_apply(ann, "bulk_assess_illegal", [report], **ILLEGAL_FIELDS)

    assert messages_of(response) == [
        f"Refused for 1 ({report.reference}): The report is actionable; 'Assess: illegal' is "
        "allowed only when it is in review."
    ]
