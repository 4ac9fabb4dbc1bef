"""Query-count baselines for the analysts' admin, NetBox-style: fixed numbers per page.

Each page is counted with 3 rows of every kind and again with 30: the same fixed number both
times, so no page runs a query per row (a list column, an inline's foreign key, a queue count).
When a change moves a baseline on purpose, write the new number here and say why in the commit.

The counts differ by database only where the code does: on PostgreSQL each queue count and the
list's paginator ask the planner for an estimate first (``hotline.pagination.fast_count``: an
EXPLAIN, then an exact COUNT below 10,000 rows), on SQLite they count at once.
"""

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from reports.admin import QUEUES
from reports.audit import events_append
from reports.models import (
    DeliveryAlert,
    Escalation,
    Event,
    Hold,
    HostingLookup,
    MessageItem,
    Notice,
    OutgoingMessage,
    RemovalCheck,
    ReportStatus,
)
from tests.reports.factories import (
    ActionableReportFactory,
    AgencyFactory,
    PartnerHotlineFactory,
    ProviderFactory,
    ReportFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def checks_on(settings):
    settings.HOTLINE_PROBES_ENABLED = True  # the report page then shows its next check too


S = ReportStatus
LIST = "/admin/reports/report/"
FEW, MANY = 3, 30

# Session, user, permissions (user and group), the OTP device check... then the page's own.
# Each queue count is 2 queries on PostgreSQL (EXPLAIN, COUNT) and 1 on SQLite: 17 queues
# (with "awaiting removal" and "due within 4 h"). The report page's removal checks: one for the
# history, one for the next check due; one for the running notice's messages; one for the
# report's notices, which the timeline's sentences name by provider. Every page: one for the
# open delivery alerts (the banner). The triage box adds the report's escalations (and the
# correction form's choice of them), the host's rules and the host-rule form's providers.
BASELINES = {
    "sqlite": {"index": 23, "list": 24, "queue": 24, "change": 26},
    "postgresql": {"index": 40, "list": 42, "queue": 42, "change": 26},
}


def baseline(page: str) -> int:
    return BASELINES[connection.vendor][page]


@pytest.fixture
def people():
    return {
        "supervisor": StaffUserFactory(username="sam", role="supervisor"),
        "analysts": [StaffUserFactory(username=f"ann{i}", role="analyst") for i in range(3)],
    }


@pytest.fixture
def sam(people):
    client = Client()
    client.force_login(people["supervisor"])
    return client


def _event(report, verb: str) -> Event:
    return Event(
        report=report, verb=verb, actor_kind=Event.ActorKind.SYSTEM, actor_label="test", data={}
    )


def _notice(report, status: str, **fields) -> Notice:
    now = timezone.now()
    sent = None if status == Notice.Status.SCHEDULED else now - timedelta(hours=30)
    return Notice.objects.create(
        report=report,
        provider=fields.pop("provider", report.provider),
        status=status,
        created_by_label="test",
        sent_at=sent,
        handed_off_at=sent,
        deadline_at=sent + timedelta(hours=24) if sent else None,
        scheduled_for=now + timedelta(hours=2) if sent is None else None,
        **fields,
    )


def add_queued_reports(count: int, people) -> None:
    """``count`` more reports in every queue, each with its own assignee, provider, notices."""
    partner = PartnerHotlineFactory()
    for number in range(count):
        analyst = people["analysts"][number % len(people["analysts"])]
        ReportFactory(status=S.NEW)
        ReportFactory(status=S.IN_REVIEW, assigned_to=people["supervisor"])  # "mine"
        ReportFactory(status=S.IN_REVIEW, assigned_to=analyst)
        ActionableReportFactory(assigned_to=analyst)  # ready to send
        withdrawn = ActionableReportFactory(assigned_to=analyst)  # ready again after a withdrawal
        _notice(withdrawn, Notice.Status.WITHDRAWN, withdrawn_at=timezone.now())
        _notice(ActionableReportFactory(assigned_to=analyst), Notice.Status.SCHEDULED)
        held = ActionableReportFactory(status=S.ON_HOLD, assigned_to=analyst)
        Hold.objects.create(
            report=held,
            agency=AgencyFactory(),
            started_at=timezone.now(),
            until=timezone.now() + timedelta(days=7),
        )
        ActionableReportFactory(status=S.FORWARDED, forwarded_to=partner, provider=None)
        requested = ActionableReportFactory(status=S.TAKEDOWN_REQUESTED, assigned_to=analyst)
        _notice(requested, Notice.Status.OPEN, disputed_at=timezone.now())  # disputed
        overdue = ActionableReportFactory(status=S.OVERDUE, assigned_to=analyst)
        _notice(overdue, Notice.Status.OVERDUE)
        due_soon = ActionableReportFactory(status=S.TAKEDOWN_REQUESTED, assigned_to=analyst)
        Notice.objects.filter(pk=_notice(due_soon, Notice.Status.OPEN).pk).update(
            deadline_at=timezone.now() + timedelta(hours=3)  # due within 4 h
        )
        ReportFactory(status=S.CLOSED, assigned_to=analyst)
        Notice.objects.create(  # delivery failed
            report=ActionableReportFactory(status=S.TAKEDOWN_REQUESTED, assigned_to=analyst),
            provider=ProviderFactory(),
            status=Notice.Status.UNDELIVERABLE,
            created_by_label="test",
            sent_at=timezone.now(),
            undeliverable_at=timezone.now(),
        )
        DeliveryAlert.objects.create(  # one more line in the banner
            provider=ProviderFactory(), channel="email", failing_since=timezone.now()
        )


def grow_case(report, count: int) -> None:
    """``count`` more notices (the last one running), events, escalations, holds and removal
    checks run (and one more due)."""
    report.notices.filter(status=Notice.Status.OVERDUE).update(
        status=Notice.Status.WITHDRAWN, withdrawn_at=timezone.now()
    )
    for number in range(count):
        running = number == count - 1
        _notice(
            report,
            Notice.Status.OVERDUE if running else Notice.Status.WITHDRAWN,
            provider=ProviderFactory(),
            withdrawn_at=None if running else timezone.now(),
            disputed_at=timezone.now() if running else None,
        )
        agency = AgencyFactory()
        previous = report.escalations.order_by("-id").first()
        Escalation.objects.create(
            report=report,
            agency=agency,
            kind=Escalation.Kind.NOTIFICATION,
            channel=Escalation.Channel.PORTAL,
            corrects=previous,
            created_by_label="test",
        )
        Hold.objects.create(
            report=report,
            agency=agency,
            started_at=timezone.now() - timedelta(hours=2),
            until=timezone.now() + timedelta(days=1),
            released_at=timezone.now() - timedelta(hours=1),
        )
    running = report.notices.get(status=Notice.Status.OVERDUE)
    now = timezone.now()
    RemovalCheck.objects.bulk_create(
        RemovalCheck(
            report=report,
            notice=running,
            purpose=RemovalCheck.Purpose.INTERVAL,
            due_at=now - timedelta(minutes=number + 1),
            checked_at=None if number == 0 else now - timedelta(minutes=number),
            outcome="" if number == 0 else RemovalCheck.Outcome.ONLINE,
            status_code=None if number == 0 else 200,
        )
        for number in range(count + 1)
    )
    for number in range(count):  # the running notice's messages (the report page's Delivery)
        message = OutgoingMessage.objects.create(
            kind="repeat", target=running.provider.abuse_email, provider=running.provider
        )
        MessageItem.objects.create(
            notice=running,
            kind="repeat",
            attempt=number + 1,
            target=message.target,
            message=message,
        )
    with transaction.atomic():
        events_append(_event(report, "note") for _ in range(count))


@pytest.fixture
def case(people):
    return ActionableReportFactory(status=S.OVERDUE, assigned_to=people["supervisor"])


PAGES = [
    ("index", "/admin/"),
    ("list", LIST),
    *((f"queue {name}", f"{LIST}?queue={name}") for name in QUEUES),
    ("change", None),
]


def count_queries(client, url: str, django_assert_num_queries, expected: int) -> None:
    assert client.get(url).status_code == 200  # warm: per-process caches (content types...)
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize(("page", "url"), PAGES, ids=[page for page, _ in PAGES])
def test_query_count_is_fixed_and_does_not_grow_with_the_rows(
    sam, people, case, page, url, django_assert_num_queries
):
    expected = baseline(page.split()[0])
    url = url or f"{LIST}{case.pk}/change/"
    for added in (FEW, MANY - FEW):  # 3 of everything, then 30
        add_queued_reports(added, people)
        grow_case(case, added)
        count_queries(sam, url, django_assert_num_queries, expected)


def test_the_report_page_shows_every_row_it_counted(sam, people, case):
    grow_case(case, MANY)

    text = sam.get(f"{LIST}{case.pk}/change/").content.decode()

    shown = re.findall(r'<td class="field-provider">\s*<p><a href="[^"]+">([^<]+)</a>', text)
    assert sorted(shown) == sorted(notice.provider.name for notice in case.notices.all())
    assert len(shown) == MANY
    assert text.count('<td class="field-agency">') == 2 * MANY  # escalations and holds
    assert text.count('<td class="field-corrects">') == MANY
    assert text.count('<tr class="delivery">') == 20  # the newest of the running notice's


# --- the workbench: the report page in its new states, and its new actions -----------------------

# The report page in each state the triage box shows differently: a new report (the assess-illegal
# form with the suggestion), on hold (the hold's query), disputed, and under the four-eyes rule.
STATE_BASELINES = {
    "sqlite": {"new": 20, "on_hold": 23, "disputed": 23, "four_eyes": 26},
    "postgresql": {"new": 20, "on_hold": 23, "disputed": 23, "four_eyes": 26},
}
# The actions, counted as the request that does them: the step from a new report to a notice
# sent (claim, assess, set hosting, send, then the next report of the queue), a dispute answered
# (rejected; upheld's confirmation page), a host rule added from the report.
ACTION_BASELINES = {
    "sqlite": {
        "assess_illegal_notify": 61,
        "reject_dispute": 20,
        "uphold_confirm": 7,
        "host_rule": 12,
    },
    "postgresql": {
        "assess_illegal_notify": 61,
        "reject_dispute": 20,
        "uphold_confirm": 7,
        "host_rule": 12,
    },
}
FORM = "application/x-www-form-urlencoded"
ILLEGAL_FIELDS = {
    "assess_illegal-legal_status": "baseline",
    "assess_illegal-industry_category": "A1",
    "assess_illegal-content_type": "image",
    "assess_illegal-site_type": "image_host",
    "assess_illegal-commerciality": "non_commercial",
}


def _state_report(state: str, people, settings):
    provider = ProviderFactory(country="NL")
    if state == "new":
        report = ReportFactory(status=S.NEW)
        lookup = HostingLookup.objects.create(
            report=report, purpose="intake", state="done", provider=provider, country="NL"
        )
        report.hosting_lookup = lookup
        report.save(update_fields=["hosting_lookup"])
        return report
    if state == "four_eyes":
        settings.HOTLINE_FOUR_EYES = True
        return ActionableReportFactory(provider=provider, assessed_by=people["analysts"][0])
    report = ActionableReportFactory(status=S.TAKEDOWN_REQUESTED, provider=provider)
    notice = _notice(report, Notice.Status.OPEN, disputed_at=timezone.now(), dispute_reason="no")
    if state == "on_hold":
        report.status, report.status_before_hold = S.ON_HOLD, S.TAKEDOWN_REQUESTED
        report.save(update_fields=["status", "status_before_hold"])
        Hold.objects.create(
            report=report,
            notice=notice,
            agency=AgencyFactory(),
            started_at=timezone.now(),
            until=timezone.now() + timedelta(days=1),
        )
    return report


@pytest.mark.parametrize("state", ["new", "on_hold", "disputed", "four_eyes"])
def test_the_report_page_in_each_state_has_a_fixed_count(
    sam, people, state, settings, django_assert_num_queries
):
    report = _state_report(state, people, settings)
    url = f"{LIST}{report.pk}/change/?_changelist_filters=queue%3Dnew"
    for added in (FEW, MANY - FEW):
        add_queued_reports(added, people)
        grow_case(ActionableReportFactory(status=S.OVERDUE), added)
        count_queries(
            sam, url, django_assert_num_queries, STATE_BASELINES[connection.vendor][state]
        )


def _post(client, url, body):
    return client.post(url, urlencode(body), content_type=FORM)


def _action(name: str, people, settings):
    """The report, the URL and the body of one action."""
    report = _state_report(
        "new" if name == "assess_illegal_notify" else "disputed", people, settings
    )
    base = f"{LIST}{report.pk}/"
    if name == "assess_illegal_notify":
        body = {
            **ILLEGAL_FIELDS,
            "assess_illegal-provider": report.hosting_lookup.provider_id,
            "assess_illegal-country": "NL",
            "_changelist_filters": "queue=new",
        }
        return f"{base}transition/assess_illegal_notify/", body
    if name == "reject_dispute":
        return f"{base}transition/reject_dispute/", {"reject_dispute-reason": "It stands."}
    if name == "uphold_confirm":
        return f"{base}transition/uphold_dispute/", {"uphold_dispute-reason": "Right."}
    provider = ProviderFactory()
    return f"{base}host-rule/", {"domain": report.host, "provider": provider.pk}


@pytest.mark.parametrize(
    "name", ["assess_illegal_notify", "reject_dispute", "uphold_confirm", "host_rule"]
)
def test_each_new_action_has_a_fixed_count(sam, people, name, settings, django_assert_num_queries):
    for added in (FEW, MANY - FEW):
        add_queued_reports(added, people)
        url, body = _action(name, people, settings)
        with django_assert_num_queries(ACTION_BASELINES[connection.vendor][name]):
            response = _post(sam, url, body)
        assert response.status_code in (200, 302)
