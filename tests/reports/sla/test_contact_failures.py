"""SLA compliance figures: a notice whose delivery gave up is not the provider's miss. It is
counted apart as a contact failure on the provider's record, in the figures, the API, the CSV,
the command and the dashboard; notices never handed off are in no clock-based figure.

The dataset (period 2026-08-01 to 2026-11-01, queried 2026-12-01; Alpha and Delta, 24 h):

  name prov.  r           sent         delivery                               removed
  a1   Alpha  08-05 09:00 08-05 11:00  accepted                               08-05 15:00
        -> within; ttr 4 h = 14400; act 6 h = 21600
  a2   Alpha  08-10 09:00 08-10 12:00  refused (550): undeliverable 08-10 12:00, never again
        -> a contact failure (2026-08), in no other figure
  a3   Alpha  09-01 08:00 09-01 10:00  refused: undeliverable 09-01 10:00;    09-02 12:00
                                       delivered again and accepted 09-02 10:00
        -> a contact failure (2026-09) and in the cohort of its hand-off: within (deadline
           09-03 10:00); ttr 2 h = 7200; act 28 h = 100800
  d0   Delta  07-30 09:00 07-30 10:00  refused: undeliverable before the period: not counted
  d1   Delta  10-01 09:00 10-01 10:00  refused: undeliverable 10-01 10:00
        -> a contact failure (2026-10); Delta has no notice handed off: a row of its own
  b1   Alpha  10-20 09:00 10-20 10:00  the mail server down, still being tried at the end
        -> delivering: in no figure

Alpha: cohort a1, a3: 2 within, rate 1.0; ttr [7200, 14400]: median 10800, p90 7200 + 0.9 *
7200 = 13680; act [21600, 100800]: median 61200; contact failures a2, a3 = 2. Delta: 1.
"""

import csv
import io
import json
from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings

from reports import outbox, workflow
from reports.models import Notice
from reports.sla.figures import provider_figures
from reports.sla.period import Period
from reports.sla.render import COLUMNS
from tests.reports.delivery_admin.support import RefusingMailServer
from tests.reports.factories import ProviderFactory
from tests.reports.sla.support import (
    ALPHA,
    API,
    DASHBOARD,
    PERIOD,
    QUERIED_AT,
    QUERY,
    Timeline,
    login,
    t,
)

pytestmark = pytest.mark.django_db

DELTA = "Delta Hosting"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def figures(group, notices=0, within=0, rate=None, median=None, p90=None, act=None, failures=0):
    """A group's row: only what this dataset moves, the rest zero or empty."""
    values = dict.fromkeys(COLUMNS, 0) | {
        name: None for name in COLUMNS if name.endswith("_seconds") or name == "compliance_rate"
    }
    return values | {
        "group": group,
        "notices": notices,
        "removed_within": within,
        "compliance_rate": rate,
        "removal_median_seconds": median,
        "removal_p90_seconds": p90,
        "time_to_act_median_seconds": act,
        "contact_failures": failures,
    }


EXPECTED = {
    "provider": [
        figures(ALPHA, 2, 2, 1.0, 10800.0, 13680.0, 61200.0, failures=2),
        figures(DELTA, failures=1),
    ],
    "month": [
        figures("2026-08", 1, 1, 1.0, 14400.0, 14400.0, 21600.0, failures=1),
        figures("2026-09", 1, 1, 1.0, 7200.0, 7200.0, 100800.0, failures=1),
        figures("2026-10", failures=1),
    ],
}


class DeliveryTimeline(Timeline):
    def __init__(self, server: RefusingMailServer):
        super().__init__()
        self.providers[DELTA] = ProviderFactory(name=DELTA)
        self.refusing = override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=server.port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
        )
        self.down = override_settings(  # nothing listens on port 9 of the loopback
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=9,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
        )

    def case(
        self, name, provider, *, received, sent, mail="accepted", redelivered=None, removed=None
    ):
        slug = provider.split()[0].lower()
        self.receive(name, t(received), f"https://www.{slug}.example/gallery/{name}")
        self.assess(
            name,
            t(received).replace(minute=30),
            "A1",
            hosting=(provider, "NL"),
        )

        def send():
            notice = workflow.report_send_notice(self.reports[name], actor=self.analyst)
            self.notices[name] = notice.pk
            with {
                "accepted": override_settings(EMAIL_BACKEND=LOCMEM),
                "refused": self.refusing,
                "down": self.down,
            }[mail]:
                outbox.outbox_drain()

        self.at(t(sent), send)
        if redelivered:

            def redeliver():
                workflow.report_redeliver_notice(self.reports[name], actor=self.analyst)
                with override_settings(EMAIL_BACKEND=LOCMEM):
                    outbox.outbox_drain()

            self.at(t(redelivered), redeliver)
        if removed:
            self.at(
                t(removed),
                lambda: workflow.report_confirm_removal(
                    self.reports[name], actor=self.analyst, removed_at=t(removed)
                ),
            )


@pytest.fixture
def deliveries(policy):
    with RefusingMailServer() as server:
        tl = DeliveryTimeline(server)
        tl.case("a1", ALPHA, received="08-05 09:00", sent="08-05 11:00", removed="08-05 15:00")
        tl.case("a2", ALPHA, received="08-10 09:00", sent="08-10 12:00", mail="refused")
        tl.case(
            "a3", ALPHA, received="09-01 08:00", sent="09-01 10:00", mail="refused",
            redelivered="09-02 10:00", removed="09-02 12:00",
        )  # fmt: skip
        tl.case("d0", DELTA, received="07-30 09:00", sent="07-30 10:00", mail="refused")
        tl.case("d1", DELTA, received="10-01 09:00", sent="10-01 10:00", mail="refused")
        tl.case("b1", ALPHA, received="10-20 09:00", sent="10-20 10:00", mail="down")
        tl.run()
    notices = {name: Notice.objects.get(pk=pk) for name, pk in tl.notices.items()}
    assert notices["a2"].status == Notice.Status.UNDELIVERABLE
    assert notices["a3"].undeliverable_at == t("09-01 10:00")
    assert notices["a3"].handed_off_at == t("09-02 10:00")
    assert notices["b1"].status == Notice.Status.DELIVERING
    return tl


@pytest.fixture
def queried():
    with time_machine.travel(QUERIED_AT, tick=False):
        yield


@pytest.mark.usefixtures("deliveries", "queried")
@pytest.mark.parametrize("group_by", ["provider", "month"])
def test_contact_failures_are_counted_apart_and_the_clock_figures_leave_them_out(group_by):
    assert provider_figures(PERIOD, group_by) == EXPECTED[group_by]


@pytest.mark.usefixtures("deliveries", "queried")
def test_the_api_csv_command_and_dashboard_show_the_contact_failures():
    client = login("auditor")

    report = json.loads(client.get(f"{API}?{QUERY}&group_by=provider").content)
    table = client.get(f"{API}?{QUERY}&group_by=provider&format=csv").content.decode()
    out = StringIO()
    call_command(
        "sla_report", "--from", "2026-08-01", "--to", "2026-11-01", "--format", "csv", stdout=out
    )
    page = client.get(f"{DASHBOARD}?start=2026-08-01&end=2026-11-01").content.decode()

    assert [(g["group"], g["contact_failures"]) for g in report["groups"]] == [
        (ALPHA, 2),
        (DELTA, 1),
    ]
    for text in (table, out.getvalue()):
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [(r["group"], r["contact_failures"], r["notices"]) for r in rows] == [
            (ALPHA, "2", "2"),
            (DELTA, "1", "0"),
        ]
    assert '<th scope="col">Contact failures</th>' in page


@pytest.mark.usefixtures("deliveries")
def test_a_period_before_the_failures_has_none(policy):
    with time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC), tick=False):
        july = Period(datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC))
        assert [
            (r["group"], r["notices"], r["contact_failures"])
            for r in provider_figures(july, "provider")
        ] == [(DELTA, 0, 1)]
