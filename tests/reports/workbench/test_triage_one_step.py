"""One URL from the queue to a notice in one step: the assess-illegal form claims the report if
nobody has it, names the suggested provider and the deadline that will apply, and its second
button assesses, sets the hosting and sends the notice, all or nothing. After every step the
analyst lands on the next report of the queue they came from."""

import re
from urllib.parse import urlencode

import pytest

from hotline import directory
from reports import hosting
from reports.models import Event, Notice, Report, ReportStatus
from tests.reports.factories import PartnerHotlineFactory, stored_values
from tests.reports.triage_admin.support import FORM, messages_of, page, submit
from tests.reports.workflow.support import ILLEGAL

pytestmark = pytest.mark.django_db
S = ReportStatus
FROM_NEW = urlencode({"_changelist_filters": "queue=new"})


def looked_up(*reports) -> None:
    hosting.intake_lookups_run([report.pk for report in reports])


def step(client, report, button="assess_illegal_notify", filters="queue=new", **fields):
    page_text = page(client, f"/admin/reports/report/{report.pk}/change/?{FROM_NEW}")
    hidden = dict(
        re.findall(r'type="hidden" name="(assess_illegal-\w+)" value="([^"]*)"', page_text)
    )
    body = {**hidden, **{f"assess_illegal-{k}": v for k, v in {**ILLEGAL, **fields}.items()}}
    body["_changelist_filters"] = filters
    return client.post(
        f"/admin/reports/report/{report.pk}/transition/{button}/",
        urlencode(body),
        content_type=FORM,
    )


def test_a_new_report_goes_from_the_queue_to_notice_sent_in_one_step(ann, people, provider):
    first, second = (
        submit("https://images.example.com/a/1"),
        submit("https://images.example.com/a/2"),
    )
    looked_up(first, second)
    text = page(ann, f"/admin/reports/report/{first.pk}/change/?{FROM_NEW}")
    assert "Assess illegal and notify Example Images BV — 24 h" in text
    assert "A notice now gets 24 h (voluntary), 12 h under a legal order." in text
    assert 'href="/admin/reports/report/?queue=new"' in text  # back to the queue

    response = step(ann, first)

    report = Report.objects.get(pk=first.pk)
    assert report.status == S.TAKEDOWN_REQUESTED
    assert (report.assigned_to, report.assessed_by, report.provider) == (
        people["analyst"],
        people["analyst"],
        provider,
    )
    notice = report.notices.get()
    assert (notice.provider, notice.kind, notice.status) == (provider, "voluntary", "delivering")
    verbs = list(Event.objects.filter(report=report).values_list("verb", flat=True))
    assert verbs[-4:] == ["claim", "assess_illegal", "set_hosting", "send_notice"]
    # On to the next report of the queue, the queue kept.
    assert response.status_code == 302
    assert response.url == f"/admin/reports/report/{second.pk}/change/?{FROM_NEW}"
    assert messages_of(response) == [
        f"{first.reference}: assessed illegal and notified Example Images BV: done."
    ]


def test_when_the_queue_is_empty_the_analyst_is_back_at_the_queue(ann, provider):
    only = submit()
    looked_up(only)

    response = step(ann, only)

    assert response.url == "/admin/reports/report/?queue=new"


def test_a_refused_step_writes_nothing_and_says_why(ann, people, provider, settings):
    report = submit()
    looked_up(report)
    settings.HOTLINE_LEA_WINDOW = "60m"  # police first, and they were not told
    before = stored_values()

    response = step(ann, report, provider=provider.pk, country="NL")

    assert stored_values() == before  # not even claimed
    assert messages_of(response)[0].startswith("Notify the police first")
    assert response.url == f"/admin/reports/report/{report.pk}/change/?{FROM_NEW}"


def test_assess_only_claims_and_assesses_and_moves_on(ann, people, provider):
    first, second = (
        submit("https://images.example.com/b/1"),
        submit("https://images.example.com/b/2"),
    )

    response = step(ann, first, button="assess_illegal")

    report = Report.objects.get(pk=first.pk)
    assert (report.status, report.assigned_to, report.provider) == (
        S.ACTIONABLE,
        people["analyst"],
        None,
    )
    assert response.url.startswith(f"/admin/reports/report/{second.pk}/change/")


def test_a_report_another_analyst_claimed_is_not_assessed(ann, bob, people, provider):
    report = submit()
    looked_up(report)
    from hotline.actors import Actor
    from reports import workflow

    workflow.report_claim(report.pk, actor=Actor.for_user(people["bob"]))
    before = stored_values()

    response = step(ann, report)

    assert stored_values() == before
    assert "only they can do this" in messages_of(response)[0]


def test_hosted_abroad_the_form_offers_the_partner(ann, people, settings):
    settings.HOTLINE_COUNTRY = "NL"
    partner = PartnerHotlineFactory(name="German Partner", countries=["DE"])
    abroad = directory.Provider.objects.create(
        name="Share Example GmbH", country="DE", abuse_email="abuse@share.example"
    )
    abroad.domains.create(suffix="share.example.com")
    report = submit("https://share.example.com/f/1")
    looked_up(report)

    text = page(ann, f"/admin/reports/report/{report.pk}/change/")
    assert "Hosted in DE: forward to German Partner." in text
    assert "Assess illegal and notify" not in text

    step(ann, report, button="assess_illegal_forward", filters="")

    report.refresh_from_db()
    assert (report.status, report.forwarded_to, report.hosting_country) == (
        S.FORWARDED,
        partner,
        "DE",
    )
    assert not Notice.objects.filter(report=report).exists()
