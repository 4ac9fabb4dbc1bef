"""SLA compliance figures: a hand-built dataset whose every figure is worked out by hand below.

Every row is made by the real services (intake, claim, assess, set hosting, send, the deadline
timer, hold and release, removal, withdrawal, forward) at chosen moments with time-machine. The
same expected numbers hold on SQLite (the Python interpolation) and on PostgreSQL
(``percentile_cont``): run this file on both.

Policy: 24 h deadline by default, Beta Cloud's own 12 h; reminder 4 h before; a repeat at the
deadline and then every 24 h, at most 3; no escalation; no police window. Period:
2026-08-01 (inclusive) to 2026-11-01 (exclusive), queried on 2026-12-01, so everything is judged
as of 2026-11-01 00:00 UTC (AS_OF).

The notices (cc = hosting country, cls = classification, r = received, a = assessed, s = sent,
d = deadline, x = removed; times UTC; Beta* has its own 12 h deadline):

  name prov.  cc cls r           a           s              d              x
  n0   Gamma  NL A1  07-31 20:00 21:00       07-31 23:59:59 08-01 23:59:59 08-01 02:00
        -> sent before the period: not in the cohort
  n1   Alpha  NL A1  07-31 22:00 23:00       08-01 00:00:00 08-02 00:00    08-01 06:00
        -> sent at the very start: in. within; ttr 6 h = 21600; act 8 h = 28800
  n2   Alpha  DE A2  08-10 09:00 11:00       08-10 12:00    08-11 12:00    08-11 08:00
        -> reminder fired 08-11 08:00; removal confirmed at 09:30 with removed_at 08:00.
           within; ttr 20 h = 72000; act 23 h = 82800
  n3   Beta*  NL B1  08-15 08:00 08:30       08-15 10:00    08-15 22:00    08-17 04:00
        -> overdue + repeat 1 at 08-15 22:00, repeat 2 at 08-16 22:00.
           late; ttr 42 h = 151200; act 44 h = 158400; repeats 2
  n4   Gamma  DE A1  08-20 09:00 09:45       08-20 11:00    08-21 11:00    -
        -> withdrawn 08-20 15:00: not in the cohort (the hotline side still counts its report)
  n5   Alpha  NL A1  09-03 10:00 14:00       09-03 15:00    09-05 03:00    09-05 01:00
        -> on hold 09-03 20:00 to 09-04 08:00 (12 h = 43200): the deadline moves from 09-04 15:00
           to 09-05 03:00; the timer finds nothing due at the old deadline.
           within (it would be late without the hold); ttr 34 h - 12 h = 22 h = 79200;
           act (no hold taken off) 39 h = 140400
  n6   Beta*  DE B1  09-12 06:00 06:20       09-12 07:00    09-12 19:00    09-12 10:00
        -> within; ttr 3 h = 10800; act 4 h = 14400. Its URL reported again 09-12 07:30 ("dup")
  n7   Gamma  DE A2  09-20 12:00 09-21 12:00 09-21 13:00    09-22 13:00    09-22 20:00
        -> overdue + repeat 1 at 09-22 13:00. late; ttr 31 h = 111600; act 56 h = 201600;
           repeats 1
  n8   Alpha  NL B1  10-05 08:00 09:00       10-05 09:30    10-06 09:30    10-08 21:30
        -> reminder 10-06 05:30 (not a repeat); overdue + repeat 1 at 10-06 09:30, repeat 2 at
           10-07 09:30, repeat 3 at 10-08 09:30. late; ttr 84 h = 302400; act 85.5 h = 307800;
           repeats 3
  n9   Beta*  NL A1  10-10 10:00 10:10       10-10 10:40    10-10 22:40    10-10 22:40
        -> removed exactly at the deadline: within; ttr 12 h = 43200; act 12 h 40 = 45600
  n10  Gamma  DE A1  10-29 08:00 10:00       10-30 10:00    10-31 10:00    11-03 10:00
        -> overdue + repeat 1 at 10-31 10:00; repeat 2 at 11-01 10:00 (after AS_OF: not counted);
           removed after the period: still online past deadline (a miss); repeats 1
  n11  Alpha  DE B2  10-31 18:00 18:40       10-31 20:00    11-01 20:00    11-01 05:00
        -> not due at AS_OF and removed only after it: pending
  n12  Beta*  NL B1  10-31 22:00 22:50       11-01 00:00:00 11-01 12:00    -
        -> sent at the very end (exclusive): not in the cohort

Other reports: "dup" 09-12 07:30 (the URL of n6 again, filed as a duplicate by intake); "fwd"
received 09-25 09:00, assessed illegal 10:30, hosted in US, forwarded 11:00 to a partner; "na"
received 09-26 09:00, assessed not illegal 09:15; "late" received 10-31 23:30, assessed illegal
only on 11-01 01:00; "dup2" received 10-31 23:45, marked a duplicate of "late" only on 11-01 02:00.

The cohort is n1, n2, n3, n5, n6, n7, n8, n9, n10, n11: 10 notices. ttr = time to removal,
act = time to act (receipt to removal). Percentiles: linear interpolation between closest ranks,
position = (n - 1) * fraction in the sorted values (PostgreSQL's percentile_cont).
Compliance rate = within / (within + late + online), rounded to 4 places; pending left out.
"""

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from rest_framework.test import APIClient

from hotline.actors import Actor
from hotline.services import partner_api_key_create, provider_api_key_create
from reports import workflow
from reports.intake import report_submit, submission_clean
from reports.models import Channel, Notice, OutgoingMessage, Report, ReportStatus
from reports.sla import figures as sla_figures
from reports.sla.figures import (
    COUNTS,
    hotline_figures,
    percentile,
    provider_figures,
    sla_report,
)
from reports.sla.period import Period
from reports.sla.render import COLUMNS, sla_csv, sla_markdown
from tests.reports.factories import (
    AgencyFactory,
    PartnerHotlineFactory,
    ProviderFactory,
    StaffUserFactory,
    notice_hand_off,
)

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = date(2026, 8, 1), date(2026, 11, 1)
PERIOD = Period(datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
QUERIED_AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
QUERY = "from=2026-08-01&to=2026-11-01"
API = "/api/v1/sla/"
DASHBOARD = "/admin/sla/"
ALPHA, BETA, GAMMA = "Alpha Hosting", "Beta Cloud", "Gamma Net"
ILLEGAL = {"legal_status": "baseline", "media_type": "image", "site_type": "image_host"}


def t(text: str) -> datetime:
    """``"08-15 22:00"`` or ``"07-31 23:59:59"``: a moment of 2026, UTC."""
    pattern = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(f"2026-{text}", pattern).replace(tzinfo=UTC)


# --- the expected figures, worked out by hand --------------------------------------------------


def row(group, notices, within, late, online, pending, rate, median, p90, repeats, act):
    return dict(
        zip(
            COLUMNS,
            [group, notices, within, late, online, pending, rate, median, p90, repeats, act],
            strict=True,
        )
    )


EXPECTED = {
    # Alpha: n1 within 21600, n2 within 72000, n5 within 79200, n8 late 302400 (3 repeats),
    #   n11 pending. Rate 3 / (3 + 1 + 0) = 0.75.
    #   ttr sorted [21600, 72000, 79200, 302400]:
    #     median position 3 * 0.5 = 1.5: 72000 + 0.5 * (79200 - 72000) = 75600
    #     p90 position 3 * 0.9 = 2.7: 79200 + 0.7 * (302400 - 79200) = 79200 + 156240 = 235440
    #   act sorted [28800, 82800, 140400, 307800]: position 1.5: (82800 + 140400) / 2 = 111600
    # Beta: n3 late 151200 (2 repeats), n6 within 10800, n9 within 43200 (at the deadline).
    #   Rate 2 / 3 = 0.6667. ttr sorted [10800, 43200, 151200]: median 43200;
    #     p90 position 1.8: 43200 + 0.8 * (151200 - 43200) = 43200 + 86400 = 129600
    #   act sorted [14400, 45600, 158400]: median 45600
    # Gamma: n7 late 111600 (1 repeat), n10 still online (1 repeat by AS_OF; n0 is outside).
    #   Rate 0 / (0 + 1 + 1) = 0.0. ttr [111600]: median = p90 = 111600. act [201600].
    "provider": [
        row(ALPHA, 5, 3, 1, 0, 1, 0.75, 75600.0, 235440.0, 3, 111600.0),
        row(BETA, 3, 2, 1, 0, 0, 0.6667, 43200.0, 129600.0, 2, 45600.0),
        row(GAMMA, 2, 0, 1, 1, 0, 0.0, 111600.0, 111600.0, 2, 201600.0),
    ],
    # DE: n2 within 72000, n6 within 10800, n7 late 111600 (1), n10 online (1), n11 pending.
    #   Rate 2 / (2 + 1 + 1) = 0.5. ttr sorted [10800, 72000, 111600]: median 72000;
    #     p90 position 1.8: 72000 + 0.8 * (111600 - 72000) = 72000 + 31680 = 103680
    #   repeats 1 + 1 = 2. act sorted [14400, 82800, 201600]: median 82800
    # NL: n1 within 21600, n3 late 151200 (2), n5 within 79200, n8 late 302400 (3),
    #   n9 within 43200. Rate 3 / 5 = 0.6.
    #   ttr sorted [21600, 43200, 79200, 151200, 302400]: median (position 2) 79200;
    #     p90 position 3.6: 151200 + 0.6 * (302400 - 151200) = 151200 + 90720 = 241920
    #   repeats 2 + 3 = 5. act sorted [28800, 45600, 140400, 158400, 307800]: median 140400
    "country": [
        row("DE", 5, 2, 1, 1, 1, 0.5, 72000.0, 103680.0, 2, 82800.0),
        row("NL", 5, 3, 2, 0, 0, 0.6, 79200.0, 241920.0, 5, 140400.0),
    ],
    # 2026-08: n1 within 21600, n2 within 72000, n3 late 151200 (2). Rate 2 / 3 = 0.6667.
    #   ttr sorted [21600, 72000, 151200]: median 72000;
    #     p90 position 1.8: 72000 + 0.8 * (151200 - 72000) = 72000 + 63360 = 135360
    #   act sorted [28800, 82800, 158400]: median 82800
    # 2026-09: n5 within 79200, n6 within 10800, n7 late 111600 (1). Rate 2 / 3 = 0.6667.
    #   ttr sorted [10800, 79200, 111600]: median 79200;
    #     p90 position 1.8: 79200 + 0.8 * (111600 - 79200) = 79200 + 25920 = 105120
    #   act sorted [14400, 140400, 201600]: median 140400
    # 2026-10: n8 late 302400 (3), n9 within 43200, n10 online (1), n11 pending.
    #   Rate 1 / (1 + 1 + 1) = 0.3333. ttr sorted [43200, 302400]:
    #     median position 0.5: (43200 + 302400) / 2 = 172800
    #     p90 position 0.9: 43200 + 0.9 * (302400 - 43200) = 43200 + 233280 = 276480
    #   repeats 3 + 1 = 4. act sorted [45600, 307800]: median (45600 + 307800) / 2 = 176700
    "month": [
        row("2026-08", 3, 2, 1, 0, 0, 0.6667, 72000.0, 135360.0, 2, 82800.0),
        row("2026-09", 3, 2, 1, 0, 0, 0.6667, 79200.0, 105120.0, 1, 140400.0),
        row("2026-10", 4, 1, 1, 1, 1, 0.3333, 172800.0, 276480.0, 4, 176700.0),
    ],
    # A1: n1 within 21600, n5 within 79200, n9 within 43200, n10 online (1). Rate 3 / 4 = 0.75.
    #   ttr sorted [21600, 43200, 79200]: median 43200;
    #     p90 position 1.8: 43200 + 0.8 * (79200 - 43200) = 43200 + 28800 = 72000
    #   act sorted [28800, 45600, 140400]: median 45600
    # A2: n2 within 72000, n7 late 111600 (1). Rate 1 / 2 = 0.5.
    #   ttr [72000, 111600]: median 91800; p90 position 0.9: 72000 + 0.9 * 39600 = 107640
    #   act [82800, 201600]: median 142200
    # B1: n3 late 151200 (2), n6 within 10800, n8 late 302400 (3). Rate 1 / 3 = 0.3333.
    #   ttr sorted [10800, 151200, 302400]: median 151200;
    #     p90 position 1.8: 151200 + 0.8 * (302400 - 151200) = 151200 + 120960 = 272160
    #   repeats 2 + 3 = 5. act sorted [14400, 158400, 307800]: median 158400
    # B2: n11 pending only: no rate, no times.
    "classification": [
        row("A1", 4, 3, 0, 1, 0, 0.75, 43200.0, 72000.0, 1, 45600.0),
        row("A2", 2, 1, 1, 0, 0, 0.5, 91800.0, 107640.0, 1, 142200.0),
        row("B1", 3, 1, 2, 0, 0, 0.3333, 151200.0, 272160.0, 5, 158400.0),
        row("B2", 1, 0, 0, 0, 1, None, None, None, 0, None),
    ],
}

# The hotline's side, for the reports received in the period (n0's and n1's were received in
# July): n2, n3, n4, n5, n6, dup, n7, fwd, na, n8, n9, n10, n11, n12, late, dup2 = 16 received.
# Duplicates by AS_OF: dup = 1 (dup2 became one only after AS_OF).
# Actionable (assessed illegal by AS_OF): n2 n3 n4 n5 n6 n7 fwd n8 n9 n10 n11 n12 = 12 ("late"
# was assessed after AS_OF, "na" not illegal). Forwarded: fwd = 1.
# Receipt to assessment, every assessment by AS_OF (13, "na" included):
#   n2 7200, n3 1800, n4 2700, n5 14400, n6 1200, n7 86400, fwd 5400, na 900, n8 3600, n9 600,
#   n10 7200, n11 2400, n12 3000
#   sorted [600, 900, 1200, 1800, 2400, 2700, 3000, 3600, 5400, 7200, 7200, 14400, 86400]
#   median position 6: 3000; p90 position 10.8: 7200 + 0.8 * (14400 - 7200) = 12960
# Assessment to the first notice, sent by AS_OF (11; the withdrawn n4 counts, it was sent; n12's
# went out at AS_OF itself, which "by the end of the period" includes):
#   n2 3600, n3 5400, n4 4500, n5 3600, n6 2400, n7 3600, n8 1800, n9 1800, n10 86400,
#   n11 4800, n12 4200
#   sorted [1800, 1800, 2400, 3600, 3600, 3600, 4200, 4500, 4800, 5400, 86400]
#   median position 5: 3600; p90 position 9: 5400
EXPECTED_HOTLINE = {
    "received": 16,
    "duplicates": 1,
    "actionable": 12,
    "forwarded": 1,
    "assessment_median_seconds": 3000.0,
    "assessment_p90_seconds": 12960.0,
    "to_notice_median_seconds": 3600.0,
    "to_notice_p90_seconds": 5400.0,
}


# --- building the dataset through the real services -------------------------------------------


class Timeline:
    """Actions at moments, run in time order, each with the clock frozen at its moment."""

    def __init__(self):
        self.steps: list[tuple[datetime, int, object]] = []
        self.reports: dict[str, int] = {}
        self.notices: dict[str, int] = {}
        self.analyst = Actor.for_user(StaffUserFactory(username="sla-analyst", role="analyst"))
        self.supervisor = Actor.for_user(
            StaffUserFactory(username="sla-supervisor", role="supervisor")
        )
        self.police = AgencyFactory(name="National Police")
        self.partner = PartnerHotlineFactory(name="US Partner", countries=["US"])
        self.providers = {
            ALPHA: ProviderFactory(name=ALPHA),
            BETA: ProviderFactory(name=BETA, deadline_hours=12),
            GAMMA: ProviderFactory(name=GAMMA),
        }

    def at(self, moment: datetime, action) -> None:
        self.steps.append((moment, len(self.steps), action))

    def run(self) -> None:
        for moment, _, action in sorted(self.steps, key=lambda step: step[:2]):
            with time_machine.travel(moment, tick=False):
                action()

    # one step each

    def receive(self, name: str, moment: datetime, url: str, *, duplicate=False) -> None:
        def action():
            result = report_submit(
                submission=submission_clean(url=url, category="abuse_imagery"),
                channel=Channel.WEB,
                actor=Actor.public(),
            )
            assert result.duplicate is duplicate
            self.reports[name] = result.report.pk

        self.at(moment, action)

    def assess(self, name: str, moment: datetime, category: str, hosting=None) -> None:
        def action():
            report_id = self.reports[name]
            workflow.report_claim(report_id, actor=self.analyst)
            workflow.report_assess_illegal(
                report_id,
                actor=self.analyst,
                industry_category=category,
                commercial=False,
                **ILLEGAL,
            )
            if hosting is not None:
                provider, country = hosting
                workflow.report_set_hosting(
                    report_id,
                    actor=self.analyst,
                    provider_id=self.providers[provider].pk if provider else None,
                    country=country,
                )

        self.at(moment, action)

    def notice(
        self,
        name,
        *,
        provider,
        country,
        category,
        received,
        assessed,
        sent,
        fires=(),
        hold=None,
        removed=None,
        confirmed=None,
        withdrawn=None,
        handed_off="",
    ) -> None:
        """A report through to its notice, its timers, a hold, removal or withdrawal.

        The provider's mail server accepts the notice when it is sent, or at ``handed_off``
        (after an outage), or never (``handed_off=None``)."""
        slug = provider.split()[0].lower()
        self.receive(name, t(received), f"https://www.{slug}.example/gallery/{name}")
        self.assess(name, t(assessed), category, hosting=(provider, country))

        def send():
            notice = workflow.report_send_notice(self.reports[name], actor=self.analyst)
            self.notices[name] = notice.pk
            if handed_off == "":
                notice_hand_off(notice)

        self.at(t(sent), send)
        if handed_off:
            self.at(
                t(handed_off), lambda: notice_hand_off(Notice.objects.get(pk=self.notices[name]))
            )
        for moment, expected in fires:

            def fire(expected=expected):
                assert workflow.notice_fire_due(self.notices[name]) == expected

            self.at(t(moment), fire)
        if hold is not None:
            start, release = t(hold[0]), t(hold[1])
            self.at(
                start,
                lambda: workflow.report_hold(
                    self.reports[name],
                    actor=self.supervisor,
                    agency_id=self.police.pk,
                    until=start + timedelta(days=7),
                ),
            )
            self.at(
                release,
                lambda: workflow.report_hold_release(self.reports[name], actor=self.supervisor),
            )
        if removed is not None:
            self.at(
                t(confirmed or removed),
                lambda: workflow.report_confirm_removal(
                    self.reports[name], actor=self.analyst, removed_at=t(removed)
                ),
            )
        if withdrawn is not None:
            self.at(
                t(withdrawn),
                lambda: workflow.report_withdraw_notice(
                    self.reports[name], actor=self.analyst, reason="sent to the wrong provider"
                ),
            )


@pytest.fixture
def policy(settings):
    settings.HOTLINE_TAKEDOWN_DEADLINE = "24h"
    settings.HOTLINE_LEGAL_ORDER_DEADLINE = "12h"
    settings.HOTLINE_REMINDER_BEFORE = "4h"
    settings.HOTLINE_REPEAT_INTERVAL = "24h"
    settings.HOTLINE_MAX_REPEATS = 3
    settings.HOTLINE_ESCALATE_AFTER = ""
    settings.HOTLINE_ESCALATION_AGENCY = ""
    settings.HOTLINE_LEA_WINDOW = ""
    settings.HOTLINE_COUNTRY = "NL"
    return settings


@pytest.fixture
def dataset(policy) -> Timeline:
    tl = Timeline()
    notice = tl.notice
    notice(
        "n0", provider=GAMMA, country="NL", category="A1",
        received="07-31 20:00", assessed="07-31 21:00", sent="07-31 23:59:59",
        removed="08-01 02:00",
    )  # fmt: skip
    notice(
        "n1", provider=ALPHA, country="NL", category="A1",
        received="07-31 22:00", assessed="07-31 23:00", sent="08-01 00:00:00",
        removed="08-01 06:00",
    )  # fmt: skip
    notice(
        "n2", provider=ALPHA, country="DE", category="A2",
        received="08-10 09:00", assessed="08-10 11:00", sent="08-10 12:00",
        fires=[("08-11 08:00", ["reminder"])],
        removed="08-11 08:00", confirmed="08-11 09:30",
    )  # fmt: skip
    notice(
        "n3", provider=BETA, country="NL", category="B1",
        received="08-15 08:00", assessed="08-15 08:30", sent="08-15 10:00",
        fires=[("08-15 22:00", ["overdue"]), ("08-16 22:00", ["repeat"])],
        removed="08-17 04:00",
    )  # fmt: skip
    notice(
        "n4", provider=GAMMA, country="DE", category="A1",
        received="08-20 09:00", assessed="08-20 09:45", sent="08-20 11:00",
        withdrawn="08-20 15:00",
    )  # fmt: skip
    notice(
        "n5", provider=ALPHA, country="NL", category="A1",
        received="09-03 10:00", assessed="09-03 14:00", sent="09-03 15:00",
        hold=("09-03 20:00", "09-04 08:00"),
        fires=[("09-04 15:00", [])],  # the old deadline: the hold moved it
        removed="09-05 01:00",
    )  # fmt: skip
    notice(
        "n6", provider=BETA, country="DE", category="B1",
        received="09-12 06:00", assessed="09-12 06:20", sent="09-12 07:00",
        removed="09-12 10:00",
    )  # fmt: skip
    notice(
        "n7", provider=GAMMA, country="DE", category="A2",
        received="09-20 12:00", assessed="09-21 12:00", sent="09-21 13:00",
        fires=[("09-22 13:00", ["overdue"])],
        removed="09-22 20:00",
    )  # fmt: skip
    notice(
        "n8", provider=ALPHA, country="NL", category="B1",
        received="10-05 08:00", assessed="10-05 09:00", sent="10-05 09:30",
        fires=[
            ("10-06 05:30", ["reminder"]),
            ("10-06 09:30", ["overdue"]),
            ("10-07 09:30", ["repeat"]),
            ("10-08 09:30", ["repeat"]),
        ],
        removed="10-08 21:30",
    )  # fmt: skip
    notice(
        "n9", provider=BETA, country="NL", category="A1",
        received="10-10 10:00", assessed="10-10 10:10", sent="10-10 10:40",
        removed="10-10 22:40",
    )  # fmt: skip
    notice(
        "n10", provider=GAMMA, country="DE", category="A1",
        received="10-29 08:00", assessed="10-29 10:00", sent="10-30 10:00",
        fires=[("10-31 10:00", ["overdue"]), ("11-01 10:00", ["repeat"])],
        removed="11-03 10:00",
    )  # fmt: skip
    notice(
        "n11", provider=ALPHA, country="DE", category="B2",
        received="10-31 18:00", assessed="10-31 18:40", sent="10-31 20:00",
        removed="11-01 05:00",
    )  # fmt: skip
    notice(
        "n12", provider=BETA, country="NL", category="B1",
        received="10-31 22:00", assessed="10-31 22:50", sent="11-01 00:00:00",
    )  # fmt: skip
    # The hotline's side only.
    tl.receive("dup", t("09-12 07:30"), "https://www.beta.example/gallery/n6", duplicate=True)
    tl.receive("fwd", t("09-25 09:00"), "https://files.us-host.example/fwd")
    tl.assess("fwd", t("09-25 10:30"), "A2", hosting=(None, "US"))
    tl.at(
        t("09-25 11:00"),
        lambda: workflow.report_forward(
            tl.reports["fwd"], actor=tl.analyst, partner_id=tl.partner.pk, partner_reference="US-1"
        ),
    )
    tl.receive("na", t("09-26 09:00"), "https://blog.example/na")

    def not_illegal():
        workflow.report_claim(tl.reports["na"], actor=tl.analyst)
        workflow.report_assess_not_actionable(
            tl.reports["na"], actor=tl.analyst, reason="not_illegal"
        )

    tl.at(t("09-26 09:15"), not_illegal)
    tl.receive("late", t("10-31 23:30"), "https://late.example/one")
    tl.assess("late", t("11-01 01:00"), "A1")
    tl.receive("dup2", t("10-31 23:45"), "https://late.example/two")

    def mark_duplicate():
        original = Report.objects.get(pk=tl.reports["late"]).reference
        workflow.report_mark_duplicate(
            tl.reports["dup2"], actor=tl.analyst, original_reference=original
        )

    tl.at(t("11-01 02:00"), mark_duplicate)
    tl.run()
    return tl


@pytest.fixture
def queried():
    with time_machine.travel(QUERIED_AT, tick=False):
        yield


def check_premises(dataset: Timeline) -> None:
    """The services did what the table above assumes (a wrong premise would mislead below)."""
    notices = {name: Notice.objects.get(pk=pk) for name, pk in dataset.notices.items()}
    assert notices["n5"].held_seconds == 12 * 3600
    assert notices["n5"].deadline_at == t("09-05 03:00")
    assert notices["n3"].deadline_at == t("08-15 22:00")  # Beta's own 12 h
    assert notices["n1"].sent_at == datetime(2026, 8, 1, tzinfo=UTC)
    assert notices["n12"].sent_at == datetime(2026, 11, 1, tzinfo=UTC)
    assert notices["n4"].status == Notice.Status.WITHDRAWN
    assert notices["n2"].removed_at == t("08-11 08:00")
    assert notices["n10"].removed_at == t("11-03 10:00")
    repeats = {
        name: OutgoingMessage.objects.filter(notice_id=pk, kind=OutgoingMessage.Kind.REPEAT).count()
        for name, pk in dataset.notices.items()
    }
    assert repeats == {
        **dict.fromkeys(dataset.notices, 0),
        "n3": 2,
        "n7": 1,
        "n8": 3,
        "n10": 2,  # the second one after AS_OF
    }
    reports = {name: Report.objects.get(pk=pk) for name, pk in dataset.reports.items()}
    assert reports["dup"].status == ReportStatus.DUPLICATE
    assert reports["dup2"].status == ReportStatus.DUPLICATE
    assert reports["fwd"].status == ReportStatus.FORWARDED
    assert reports["late"].assessed_at == t("11-01 01:00")


def assert_typed(rows: list[dict]) -> None:
    """Counts are ints and times floats (not Decimal), so every output format renders them."""
    for figures in rows:
        for name in (*COLUMNS[1:6], "repeat_notices"):
            assert type(figures[name]) is int, (name, figures[name])
        for name in ("compliance_rate", *(c for c in COLUMNS if c.endswith("_seconds"))):
            assert figures[name] is None or type(figures[name]) is float, (name, figures[name])


# --- 1. the dataset, every figure exact -------------------------------------------------------


def test_every_figure_of_the_hand_built_dataset(dataset, subtests):
    check_premises(dataset)
    with time_machine.travel(QUERIED_AT, tick=False):
        for group_by, expected in EXPECTED.items():
            with subtests.test(group_by=group_by):
                figures = provider_figures(PERIOD, group_by)
                assert figures == expected
                assert_typed(figures)
        with subtests.test("hotline side"):
            assert hotline_figures(PERIOD) == EXPECTED_HOTLINE
        first = {group_by: sla_report(PERIOD, group_by) for group_by in EXPECTED}
    assert first["month"]["as_of"] == "2026-11-01T00:00:00+00:00"
    later = time_machine.travel(QUERIED_AT + timedelta(days=400), tick=False)
    with subtests.test("a past period does not change when run again later"), later:
        assert {group_by: sla_report(PERIOD, group_by) for group_by in EXPECTED} == first


def test_the_provider_is_judged_from_the_hand_off_not_from_the_sending(policy):
    """Notices that reached the provider's mail server late: the clock and the cohort start there.

    h1 sent 07-31 23:00, accepted 08-01 01:00 (the mail server was down): in August's cohort,
       deadline 08-02 01:00, removed 08-02 00:30: within; ttr 23.5 h = 84600 (from the sending it
       would be late, and out of the period).
    h2 sent 10-31 23:00, accepted 11-01 00:30: after the period, not in the cohort.
    h3 sent 08-10 12:00, never accepted: the provider was never told; not judged at all.
    """
    tl = Timeline()
    common = {"provider": ALPHA, "country": "NL", "category": "A1"}
    tl.notice(
        "h1", **common, received="07-31 20:00", assessed="07-31 22:00", sent="07-31 23:00",
        handed_off="08-01 01:00", removed="08-02 00:30",
    )  # fmt: skip
    tl.notice(
        "h2", **common, received="10-31 20:00", assessed="10-31 22:00", sent="10-31 23:00",
        handed_off="11-01 00:30",
    )  # fmt: skip
    tl.notice(
        "h3", **common, received="08-10 09:00", assessed="08-10 11:00", sent="08-10 12:00",
        handed_off=None,
    )  # fmt: skip
    tl.run()
    h1 = Notice.objects.get(pk=tl.notices["h1"])
    assert (h1.handed_off_at, h1.deadline_at) == (t("08-01 01:00"), t("08-02 01:00"))
    assert Notice.objects.get(pk=tl.notices["h3"]).status == Notice.Status.DELIVERING

    with time_machine.travel(QUERIED_AT, tick=False):
        [alpha] = provider_figures(PERIOD, "provider")
        by_month = provider_figures(PERIOD, "month")
        hotline = hotline_figures(PERIOD)
    assert alpha["group"] == ALPHA
    assert {name: alpha[name] for name in COUNTS} == {
        "notices": 1,
        "removed_within": 1,
        "removed_late": 0,
        "online_past_deadline": 0,
        "pending": 0,
    }
    assert alpha["compliance_rate"] == 1.0
    assert alpha["removal_median_seconds"] == 84600.0
    assert [row["group"] for row in by_month] == ["2026-08"]
    # The hotline's own side runs to the notice reaching the provider: h2's (received in the
    # period) got there only after it, h3's never (h1's report was received in July).
    assert (hotline["to_notice_median_seconds"], hotline["to_notice_p90_seconds"]) == (None, None)


def test_every_grouping_covers_the_same_cohort():
    """The hand-worked tables agree with each other: 10 notices, 5 within, 3 late, ..."""
    for group_by, rows in EXPECTED.items():
        totals = {name: sum(r[name] for r in rows) for name in (*COLUMNS[1:6], "repeat_notices")}
        assert totals == {
            "notices": 10,
            "removed_within": 5,  # n1 n2 n5 n6 n9
            "removed_late": 3,  # n3 n7 n8
            "online_past_deadline": 1,  # n10
            "pending": 1,  # n11
            "repeat_notices": 7,  # n3 2, n7 1, n8 3, n10 1 (its second one came after AS_OF)
        }, group_by


def test_the_python_percentile_is_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert percentile([10.0, 20.0, 30.0, 40.0, 50.0], 0.9) == pytest.approx(46.0)


def test_unknown_group_is_refused():
    with pytest.raises(ValueError, match="group_by"):
        provider_figures(PERIOD, "colour")


# --- 2. the API, the CSV, the command and the dashboard give the same figures -----------------


def login(role: str) -> Client:
    client = APIClient()
    client.force_login(StaffUserFactory(username=f"sla-{role}-viewer", role=role))
    return client


def audit_key() -> str:
    out = StringIO()
    call_command("apikey", "create", "--auditor", "Regulator", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def as_text(value) -> str:
    """How the CSV writes a figure."""
    return "" if value is None else str(value)


def expected_csv(group_by: str) -> list[dict]:
    return [{name: as_text(value) for name, value in row.items()} for row in EXPECTED[group_by]]


def test_api_json_and_csv_give_the_selector_figures(dataset, queried, subtests):
    supervisor, auditor = login("supervisor"), login("auditor")
    key_client = APIClient()
    key_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {audit_key()}")
    for group_by in EXPECTED:
        report = json.loads(json.dumps(sla_report(PERIOD, group_by)))
        for who, client in (("supervisor", supervisor), ("auditor", auditor), ("key", key_client)):
            with subtests.test(group_by=group_by, who=who, format="json"):
                response = client.get(f"{API}?{QUERY}&group_by={group_by}")
                assert response.status_code == 200, response.content
                body = response.json()
                assert body["groups"] == EXPECTED[group_by]
                assert body["hotline"] == EXPECTED_HOTLINE
                assert body == report
                assert (body["from"], body["to"], body["as_of"], body["group_by"]) == (
                    "2026-08-01T00:00:00+00:00",
                    "2026-11-01T00:00:00+00:00",
                    "2026-11-01T00:00:00+00:00",
                    group_by,
                )
            with subtests.test(group_by=group_by, who=who, format="csv"):
                response = client.get(f"{API}?{QUERY}&group_by={group_by}&format=csv")
                assert response.status_code == 200
                assert response["Content-Type"].startswith("text/csv")
                assert response["Content-Disposition"] == (
                    f'attachment; filename="sla-2026-08-01-2026-11-01-{group_by}.csv"'
                )
                text = response.content.decode()
                assert text == sla_csv(sla_report(PERIOD, group_by))
                assert text.splitlines()[0] == ",".join(COLUMNS)
                assert csv_rows(text) == expected_csv(group_by)


def test_command_json_csv_and_markdown(dataset, queried, subtests):
    def run(group_by: str, fmt: str) -> str:
        out = StringIO()
        call_command(
            "sla_report",
            "--from", "2026-08-01", "--to", "2026-11-01",
            "--group-by", group_by, "--format", fmt,
            stdout=out,
        )  # fmt: skip
        return out.getvalue()

    for group_by in EXPECTED:
        with subtests.test(group_by=group_by, format="json"):
            report = json.loads(run(group_by, "json"))
            assert report["groups"] == EXPECTED[group_by]
            assert report["hotline"] == EXPECTED_HOTLINE
            assert report == json.loads(json.dumps(sla_report(PERIOD, group_by)))
        with subtests.test(group_by=group_by, format="csv"):
            assert csv_rows(run(group_by, "csv")) == expected_csv(group_by)
        with subtests.test(group_by=group_by, format="md"):
            markdown = run(group_by, "md")
            assert markdown == sla_markdown(sla_report(PERIOD, group_by))
            lines = markdown.splitlines()
            assert lines[0] == (
                "# SLA compliance 2026-08-01 to 2026-11-01 (as of 2026-11-01T00:00 UTC), "
                f"by {group_by}"
            )
            table = [line for line in lines if line.startswith("| ")]
            assert table[0] == "| " + " | ".join(COLUMNS) + " |"
            assert table[1 : 1 + len(EXPECTED[group_by])] == [
                "| " + " | ".join(cell(value) for value in row.values()) + " |"
                for row in EXPECTED[group_by]
            ]
            for name, value in EXPECTED_HOTLINE.items():
                assert f"| {name} | {value} |" in lines


def test_command_refuses_an_empty_period():
    with pytest.raises(CommandError, match="--to must be after --from"):
        call_command("sla_report", "--from", "2026-10-01", "--to", "2026-10-01")


class Tables(HTMLParser):
    """The text of every cell, per row, of the tables of class ``sla`` (the admin has others)."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.inside = False
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.inside = "sla" in (dict(attrs).get("class") or "").split()
            if self.inside:
                self.tables.append([])
        elif tag == "tr" and self.inside:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.inside:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.inside = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def dashboard_tables(html: str) -> list[list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def cell(value) -> str:
    return "—" if value is None else str(value)


def svg_bars(svg: str) -> list[tuple[str, str]]:
    """(label, value text) of each bar of one chart."""
    texts = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
    return list(zip(texts[::2], texts[1::2], strict=True))


def test_dashboard_shows_the_same_figures_as_inline_svg(dataset, queried, subtests):
    client = login("supervisor")
    for group_by in EXPECTED:
        with subtests.test(group_by=group_by):
            url = f"{DASHBOARD}?start=2026-08-01&end=2026-11-01&group_by={group_by}"
            response = client.get(url)
            assert response.status_code == 200
            html = response.content.decode()
            groups, hotline = dashboard_tables(html)
            assert groups[0] == COLUMNS
            assert groups[1:] == [[cell(v) for v in row.values()] for row in EXPECTED[group_by]]
            assert hotline == [[name, cell(value)] for name, value in EXPECTED_HOTLINE.items()]
            # The export button: the same period and grouping, as CSV.
            link = re.search(r'href="(/api/v1/sla/\?[^"]+)"', html).group(1).replace("&amp;", "&")
            assert link == f"{API}?{QUERY}&group_by={group_by}&format=csv"
            exported = client.get(link)
            assert exported.status_code == 200
            assert exported["Content-Disposition"].startswith("attachment; filename=")
            assert csv_rows(exported.content.decode()) == expected_csv(group_by)

    html = login("auditor").get(f"{DASHBOARD}?start=2026-08-01&end=2026-11-01").content.decode()
    charts = re.findall(r"<svg\b[^>]*\brole=\"img\".*?</svg>", html, flags=re.S)
    assert len(charts) == 3
    with subtests.test("the charts"):
        # Compliance per month (EXPECTED["month"] as %), median time to removal per provider in
        # hours (75600 s = 21 h, 43200 s = 12 h, 111600 s = 31 h), still online per provider.
        assert 'aria-label="Compliance rate per month"' in charts[0]
        assert svg_bars(charts[0]) == [
            ("2026-08", "66.7%"),
            ("2026-09", "66.7%"),
            ("2026-10", "33.3%"),
        ]
        assert 'aria-label="Median time to removal per provider"' in charts[1]
        assert svg_bars(charts[1]) == [(ALPHA, "21 h"), (BETA, "12 h"), (GAMMA, "31 h")]
        assert 'aria-label="Notices still online past deadline"' in charts[2]
        assert svg_bars(charts[2]) == [(ALPHA, "0"), (BETA, "0"), (GAMMA, "1")]
    with subtests.test("nothing from another origin"):
        references = re.findall(
            r"""\b(?:src|href|xlink:href|action)\s*=\s*["']?([^"'\s>]+)""", html
        )
        assert references, "expected the admin's own static files"
        for reference in references:
            assert not re.match(r"(?i)(https?:)?//", reference), reference
        assert not re.search(r"(?i)<script[^>]+src\s*=\s*[\"']?(https?:)?//", html)
        assert not re.search(r"(?i)@import|url\(\s*[\"']?(https?:)?//", html)
        assert "<img" not in html and "<iframe" not in html


def test_dashboard_with_no_parameters_shows_a_default_period(queried):
    response = login("supervisor").get(DASHBOARD)
    assert response.status_code == 200
    html = response.content.decode()
    # The last six months including this one: July to December 2026 (to tomorrow, exclusive).
    assert "Notices sent from 2026-07-01 to 2026-12-02" in html
    assert html.count("No notices in this period.") == 4  # three charts and the table
    # A period the form refuses is said so, next to the default period's figures.
    html = login("supervisor").get(f"{DASHBOARD}?start=2026-11-01&end=2026-08-01").content
    assert "&#x27;To&#x27; must be after &#x27;From&#x27;." in html.decode()
    html = login("supervisor").get(f"{DASHBOARD}?start=2026-02-30&end=2026-08-01").content
    assert 'class="errornote">Enter a valid date.' in html.decode()


# --- who may see the figures ------------------------------------------------------------------


def test_analyst_is_refused(queried):
    client = login("analyst")
    response = client.get(f"{API}?{QUERY}")
    assert response.status_code == 403
    assert "supervisors, auditors" in response.json()["detail"]
    assert client.get(f"{API}?{QUERY}&format=csv").status_code == 403
    assert client.get(f"{DASHBOARD}?start=2026-08-01&end=2026-11-01").status_code == 403


def test_anonymous_is_refused(queried):
    response = APIClient().get(f"{API}?{QUERY}")
    assert response.status_code in (401, 403)
    assert "groups" not in response.json()
    dashboard = Client().get(DASHBOARD)
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith("/admin/login/")


def test_provider_and_partner_keys_are_refused(queried, policy):
    ProviderFactory(name=ALPHA)
    _, provider_key = provider_api_key_create(provider_name=ALPHA, key_name="desk")
    _, partner_key, _ = partner_api_key_create(partner_name="US Partner", key_name="batch")
    for key in (provider_key, partner_key, "not-a-key.at-all"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        response = client.get(f"{API}?{QUERY}")
        assert response.status_code in (401, 403), key
        assert "groups" not in response.json()


def test_an_audit_key_reads_the_api_but_does_not_open_the_dashboard(queried):
    key = audit_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.get(f"{API}?{QUERY}").status_code == 200
    assert Client(HTTP_AUTHORIZATION=f"Api-Key {key}").get(DASHBOARD).status_code == 302


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-11-01&to=2026-08-01", "to"),
        ("from=2026-08-01&to=2026-08-01", "to"),
        ("from=2026-08-01&to=2026-11-01&group_by=colour", "group_by"),
        ("from=2026-13-01&to=2026-11-01", "from"),
        ("from=2026-08-01&to=yesterday", "to"),
    ],
)
def test_bad_parameters_answer_400_naming_the_field(queried, query, field):
    response = login("supervisor").get(f"{API}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    assert list(body["fields"]) == [field]
    assert body["fields"][field][0]


def test_defaults_are_this_month_by_provider():
    with time_machine.travel(t("10-31 12:00"), tick=False):
        body = login("supervisor").get(API).json()
    # From the 1st of this month to tomorrow, judged as of now (earlier than the end).
    assert (body["from"], body["to"], body["as_of"], body["group_by"]) == (
        "2026-10-01T00:00:00+00:00",
        "2026-11-01T00:00:00+00:00",
        "2026-10-31T12:00:00+00:00",
        "provider",
    )
    assert body["groups"] == []


def test_a_period_of_dates_is_whole_utc_days():
    assert Period.from_dates(START, END) == PERIOD


# --- 3. the definitions are written in the README as the code computes them --------------------


def normalised(text: str) -> str:
    return " ".join(text.replace("``", "`").split())


def test_readme_states_the_definitions_of_the_code():
    readme = README.read_text()
    sections = re.split(r"(?m)^## ", readme)
    section = next(s for s in sections if s.startswith("SLA compliance figures"))
    assert readme.index("## SLA compliance figures") < readme.index("## Configuration")
    assert "Definitions" in section
    bullets = re.findall(r"(?ms)^- (.*?)(?=^- |\Z)", sla_figures.__doc__.split("Definitions", 1)[1])
    assert len(bullets) == 7
    text = normalised(section)
    for bullet in bullets:
        assert normalised(bullet) in text, bullet
    for term in (
        "Cohort",
        "Time to removal",
        "within deadline",
        "Still online past deadline",
        "a miss",
        "Pending",
        "Compliance rate",
        "Repeat notices",
        "Hotline side",
        "Median time to act",
    ):
        assert term in section, term
    for where in ("/api/v1/sla/", "/admin/sla/", "manage.py sla_report", "apikey create --auditor"):
        assert where in section, where
