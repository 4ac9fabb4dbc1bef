"""Helpers of the hosting lookup's tests."""

from django.test import RequestFactory

from hotline.actors import Actor
from reports import hosting, workflow
from reports.intake import report_submit, submission_clean
from reports.models import Channel, HostingLookup, MessageItem, Notice, Report
from reports.outbox import outbox_drain
from reports.selectors.queues import reports_in_queue
from tests.reports.factories import ILLEGAL, notice_hand_off


def submit(url: str) -> Report:
    return report_submit(
        submission=submission_clean(url=url), channel=Channel.WEB, actor=Actor.public()
    ).report


def looked_up(report: Report) -> HostingLookup:
    """Run the report's pending lookups, as the lookups worker does; the newest one."""
    hosting.intake_lookups_run([report.pk])  # and any other waiting, e.g. "look up again"
    report.refresh_from_db()
    return report.lookups.order_by("-pk").first()


def steps(lookup: HostingLookup) -> dict[str, str]:
    return {step["step"]: step["outcome"] for step in lookup.steps}


def notice_running(url: str, analyst) -> Notice:
    """A report looked up, assessed and its notice handed off to the provider the lookup found."""
    report = report_submit(
        submission=submission_clean(url=url), channel=Channel.WEB, actor=Actor.public()
    ).report
    looked_up(report)
    actor = Actor.for_user(analyst)
    workflow.report_claim(report.pk, actor=actor)
    workflow.report_assess_illegal(report.pk, actor=actor, **ILLEGAL)
    lookup = report.hosting_lookup
    workflow.report_set_hosting(
        report.pk, actor=actor, provider_id=lookup.provider_id, country=lookup.country
    )
    return notice_hand_off(workflow.report_send_notice(report.pk, actor=actor))


def repeat_due(notice: Notice) -> MessageItem:
    """Past the deadline and past the lookup cache's TTL: the first repeat is decided."""
    workflow.notice_fire_due(notice.pk)
    return notice.message_items.get(kind="repeat")


def delivered(item: MessageItem) -> bool:
    """Run the delivery queue's task once: whether the item went (its message was accepted)."""
    outbox_drain()
    item.refresh_from_db()
    return item.message is not None and item.message.status == "sent"


def in_queue(report: Report, name: str) -> bool:
    request = RequestFactory().get("/")
    return reports_in_queue(Report.objects.filter(pk=report.pk), name, request).exists()
