"""Before every notice and repeat is handed off, the host is looked up again: a moved host stops
the message and puts the report in the "hosting changed" queue."""

from datetime import timedelta

import pytest
import time_machine

from hotline.actors import Actor
from hotline.errors import DomainError
from reports import workflow
from reports.models import HostingLookup, Report
from reports.sla.figures import provider_figures
from reports.sla.period import Period
from tests.reports.factories import AgencyFactory
from tests.reports.hosting.support import delivered, in_queue, notice_running, repeat_due
from tests.reports.support import deliver_due

pytestmark = pytest.mark.django_db


def test_the_notice_goes_after_a_check_that_finds_the_same_provider(outside, directory, analyst):
    notice = notice_running("https://img.known.example/n/1", analyst)
    assert notice.status == "open" and notice.country == "NL"
    check = notice.report.lookups.get(purpose=HostingLookup.Purpose.DELIVERY)
    assert check.provider == directory["known"] and check.state == "done"
    assert notice.lookup == notice.report.lookups.get(purpose="intake")


def test_a_moved_host_stops_the_repeat_and_the_analyst_follows_the_move(
    outside, directory, analyst, dns_server
):
    notice = notice_running("https://img.known.example/n/2", analyst)
    dns_server.set("img.known.example", A=["203.0.113.25"])  # now at an unknown host in GB
    with time_machine.travel(notice.deadline_at + timedelta(hours=13)):
        repeat = repeat_due(notice)
        assert not delivered(repeat)
        report = Report.objects.get(pk=notice.report_id)
        changed = report.hosting_changed
        assert changed.candidate.name == "Unlisted Hosting Ltd" and changed.country == "GB"
        assert in_queue(report, "hosting_changed")
        assert deliver_due() == 0  # held until someone decides
        repeat.refresh_from_db()
        assert repeat.message is None

        workflow.report_hosting_move_follow(report.pk, actor=Actor.for_user(analyst))

    notice.refresh_from_db()
    report.refresh_from_db()
    assert (notice.status, notice.moved) == ("withdrawn", True)
    assert "the content moved to a provider not in the directory (GB)" in notice.withdrawal_reason
    assert (report.status, report.provider, report.hosting_country) == ("actionable", None, "GB")
    assert report.hosting_changed is None and not in_queue(report, "hosting_changed")
    assert deliver_due() == 0  # never to be sent now
    repeat.refresh_from_db()
    assert (repeat.message, repeat.dropped) == (None, "the notice is withdrawn")
    # The provider the content left is not counted as missing it.
    day = notice.handed_off_at.date()
    period = Period.from_dates(day, day + timedelta(days=3))
    assert provider_figures(period, "provider") == []


def test_hosting_cannot_change_while_a_notice_runs_even_on_hold(
    outside, directory, analyst, supervisor
):
    notice = notice_running("https://img.known.example/n/6", analyst)
    workflow.report_hold(
        notice.report_id,
        actor=Actor.for_user(supervisor),
        agency_id=AgencyFactory().pk,
        until=notice.deadline_at,
    )
    with pytest.raises(DomainError, match="withdraw it before changing the hosting"):
        workflow.report_set_hosting(
            notice.report_id,
            actor=Actor.for_user(analyst),
            provider_id=directory["forum"].pk,
            country="NL",
        )
    report = Report.objects.get(pk=notice.report_id)
    assert (report.status, report.provider) == ("on_hold", directory["known"])


def test_keeping_the_notice_sends_the_held_repeat(outside, directory, analyst, dns_server):
    notice = notice_running("https://img.known.example/n/3", analyst)
    dns_server.set("img.known.example", A=["203.0.113.25"])
    with time_machine.travel(notice.deadline_at + timedelta(hours=13)):
        repeat = repeat_due(notice)
        assert not delivered(repeat)
        with pytest.raises(DomainError, match="Say why"):
            workflow.report_hosting_move_dismiss(
                notice.report_id, actor=Actor.for_user(analyst), reason=" "
            )
        workflow.report_hosting_move_dismiss(
            notice.report_id, actor=Actor.for_user(analyst), reason="the old host still serves it"
        )
        assert delivered(repeat)
    notice.refresh_from_db()
    assert notice.status == "overdue" and notice.report.hosting_changed is None


def test_a_failed_check_does_not_hold_a_notice_back(outside, directory, analyst, dns_server):
    notice = notice_running("https://img.known.example/n/4", analyst)
    dns_server.set("img.known.example", rcode="SERVFAIL")
    with time_machine.travel(notice.deadline_at + timedelta(hours=13)):
        assert delivered(repeat_due(notice))
