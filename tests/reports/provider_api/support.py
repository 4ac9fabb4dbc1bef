"""The provider API: a provider's abuse desk sees and answers its own notices, and no one else's.

Notices are made the way the hotline makes them (claim, assess, set hosting, send) by a
supervisor, for two providers whose keys come from ``manage.py apikey create``. The clock is
frozen and moved with time-machine: ``seconds_left`` and ``removed_at`` are exact.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.db.models import Max
from django.test import override_settings
from rest_framework.test import APIClient

from hotline.actors import Actor
from hotline.models import Provider, ProviderAPIKey
from reports import workflow
from reports.models import Event, MessageItem, Notice, OutgoingMessage, Report
from tests.reports.factories import ILLEGAL, AgencyFactory, ReportFactory, notice_send

BASE = "/api/v1/provider/notices/"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
DEADLINE = timedelta(hours=24)  # HOTLINE_TAKEDOWN_DEADLINE's default, for voluntary notices
# Queries of one list request, whatever the page size or the number of notices: the key (1),
# its provider (1), the page of notices with their reports (1). Raise it only knowingly.
LIST_QUERIES = 3
NOT_FOUND = "No notice of yours has this id."


def key_create(provider_name: str) -> str:
    """A key made by the management command: its last line of output."""
    out = StringIO()
    call_command("apikey", "create", "--provider", provider_name, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def key_label(key: str) -> str:
    return f"providerapikey:{ProviderAPIKey.objects.get_from_key(key).prefix}"


def client_for(key: str | None) -> APIClient:
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@dataclass
class World:
    clock: Any
    supervisor: Any
    alpha: Provider
    beta: Provider
    key_alpha: str
    key_beta: str
    clients: dict[str, APIClient] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        return Actor.for_user(self.supervisor)

    def report(self, provider: Provider, url: str | None = None) -> Report:
        """A report assessed illegal and hosted by ``provider``, ready for a notice."""
        report = ReportFactory(**({"submitted_url": url} if url else {}))
        workflow.report_claim(report.pk, actor=self.actor)
        workflow.report_assess_illegal(report.pk, actor=self.actor, **ILLEGAL)
        workflow.report_set_hosting(
            report.pk, actor=self.actor, provider_id=provider.pk, country=provider.country
        )
        return report

    def notice(self, provider: Provider, *, url: str | None = None, minutes: int = 1) -> Notice:
        """A notice sent ``minutes`` after the previous one (so newest-first is meaningful)."""
        report = self.report(provider, url)
        self.clock.shift(timedelta(minutes=minutes))
        return notice_send(report.pk, actor=self.actor)

    def overdue(self, provider: Provider) -> Notice:
        notice = self.notice(provider)
        self.clock.shift(DEADLINE + timedelta(hours=1))
        assert "overdue" in workflow.notice_fire_due(notice.pk)
        return refreshed(notice)

    def removed_by_analyst(self, provider: Provider) -> Notice:
        notice = self.notice(provider)
        self.clock.shift(timedelta(minutes=5))
        workflow.report_confirm_removal(notice.report_id, actor=self.actor)
        return refreshed(notice)

    def withdrawn(self, provider: Provider) -> Notice:
        notice = self.notice(provider)
        workflow.report_withdraw_notice(
            notice.report_id, actor=self.actor, reason="Sent to the wrong provider."
        )
        return refreshed(notice)

    def scheduled(self, provider: Provider) -> Notice:
        """A notice still waiting for the police window: not sent, so not the provider's yet."""
        with override_settings(HOTLINE_LEA_WINDOW="48h"):
            report = self.report(provider)
            workflow.report_escalate(
                report.pk,
                actor=self.actor,
                agency_id=AgencyFactory(name="National Police").pk,
                kind="notification",
                channel="email",
            )
            notice = workflow.report_send_notice(report.pk, actor=self.actor)
        assert notice.status == Notice.Status.SCHEDULED
        return notice

    def client(self, who: str) -> APIClient:
        if who not in self.clients:
            self.clients[who] = client_for({"alpha": self.key_alpha, "beta": self.key_beta}[who])
        return self.clients[who]


def refreshed(notice: Notice) -> Notice:
    notice.refresh_from_db()
    return notice


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def notice_row(notice: Notice) -> dict:
    return Notice.objects.filter(pk=notice.pk).values().get()


def rows() -> tuple:
    """Everything a provider action could write."""
    return (
        list(Event.objects.order_by("pk").values_list("pk", flat=True)),
        list(Notice.objects.order_by("pk").values()),
        list(Report.objects.order_by("pk").values()),
        MessageItem.objects.count(),
        OutgoingMessage.objects.count(),
    )


def provider_events(key: str) -> list[Event]:
    return list(Event.objects.filter(actor_label=key_label(key)).order_by("id"))


ENDPOINTS = {
    "detail": ("get", "{id}/", None),
    "xarf": ("get", "{id}/?format=xarf", None),
    "acknowledge": ("post", "{id}/acknowledge/", {}),
    "removed": ("post", "{id}/removed/", {}),
    "dispute": ("post", "{id}/dispute/", {"reason": "This is not our customer."}),
}
ALL_ENDPOINTS = {"list": ("get", "", None), **ENDPOINTS}


def call(client: APIClient, endpoint: str, notice_id, body: dict | None = None):
    method, path, default = ALL_ENDPOINTS[endpoint]
    url = BASE + path.format(id=notice_id)
    if method == "get":
        return client.get(url)
    return client.post(url, default if body is None else body, format="json")


def missing_id() -> int:
    return (Notice.objects.aggregate(top=Max("pk"))["top"] or 0) + 1000


def answer(response) -> tuple:
    headers = {name: value for name, value in response.headers.items() if name != "Date"}
    return response.status_code, response.content, headers
