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

from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path

import time_machine
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from hotline.actors import Actor
from reports import outbox, workflow
from reports.intake import report_submit, submission_clean
from reports.models import Channel, MessageItem, Notice, OutgoingMessage, Report, ReportStatus
from reports.sla.figures import VERIFICATION_COUNTS
from reports.sla.period import Period
from reports.sla.render import COLUMNS
from tests.reports.factories import (
    AgencyFactory,
    PartnerHotlineFactory,
    ProviderFactory,
    StaffUserFactory,
)

README = Path(__file__).resolve().parents[3] / "README.md"
START, END = date(2026, 8, 1), date(2026, 11, 1)
PERIOD = Period(datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
QUERIED_AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
QUERY = "from=2026-08-01&to=2026-11-01"
API = "/api/v1/sla/"
DASHBOARD = "/admin/sla/"
ALPHA, BETA, GAMMA = "Alpha Hosting", "Beta Cloud", "Gamma Net"
ILLEGAL = {"legal_status": "baseline", "content_type": "image", "site_type": "image_host"}


def t(text: str) -> datetime:
    """``"08-15 22:00"`` or ``"07-31 23:59:59"``: a moment of 2026, UTC."""
    pattern = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(f"2026-{text}", pattern).replace(tzinfo=UTC)


def row(
    group, notices, within, late, online, pending, rate, median, p90, repeats, act,
    verification=(0, 0, 0, None, None, 0), contact_failures=0,
):  # fmt: skip
    """One group's figures in COLUMNS order; ``verification``: removed_verified,
    removed_claimed_only, claims_contested, verified_removal_median_seconds,
    verified_removal_p90_seconds, reappearances_30d (none of them by default); this dataset
    has no contact failure."""
    values = [group, notices, within, late, online, pending, rate, median, p90, repeats, act]
    return dict(zip(COLUMNS, [*values, *verification, contact_failures], strict=True))


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

    def receive(
        self, name: str, moment: datetime, url: str, *, duplicate=False, channel=Channel.WEB
    ) -> None:
        def action():
            result = report_submit(
                submission=submission_clean(url=url, category="abuse_imagery"),
                channel=channel,
                actor=Actor.system("re-check") if channel == Channel.RECHECK else Actor.public(),
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
                commerciality="non_commercial",
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
        claimed=False,
    ) -> None:
        """A report through to its notice, its timers, a hold, removal or withdrawal.

        The provider's mail server accepts the notice's message when it is sent, or at
        ``handed_off`` (after an outage), or never (``handed_off=None``); reminders and repeats
        are decided (their items counted) but not sent. The removal is confirmed by an
        analyst, or, ``claimed``, by the provider through its API."""
        slug = provider.split()[0].lower()
        self.receive(name, t(received), f"https://www.{slug}.example/gallery/{name}")
        self.assess(name, t(assessed), category, hosting=(provider, country))

        def send():
            notice = workflow.report_send_notice(self.reports[name], actor=self.analyst)
            self.notices[name] = notice.pk
            outbox.items_group(window=timedelta(0))  # its own message, as the outbox forms it
            if handed_off == "":
                hand_off(notice.pk)

        self.at(t(sent), send)
        if handed_off:
            self.at(t(handed_off), lambda: hand_off(self.notices[name]))
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
            provider_key = Actor(
                kind="api_key", label="provider key", provider_id=self.providers[provider].pk
            )
            self.at(
                t(confirmed or removed),
                lambda: workflow.report_confirm_removal(
                    self.reports[name],
                    actor=provider_key if claimed else self.analyst,
                    removed_at=t(removed),
                    notice_id=self.notices[name] if claimed else None,
                ),
            )
        if withdrawn is not None:
            self.at(
                t(withdrawn),
                lambda: workflow.report_withdraw_notice(
                    self.reports[name], actor=self.analyst, reason="sent to the wrong provider"
                ),
            )


def hand_off(notice_id: int) -> None:
    """The provider's mail server accepts the notice's message now; the other messages wait for
    their own moment (or for ever: the mail server was down whenever they were tried)."""
    waiting = OutgoingMessage.objects.filter(
        items__notice_id=notice_id, kind=OutgoingMessage.Kind.NOTICE, status="pending"
    )
    for message_id in waiting.values_list("pk", flat=True):
        assert outbox.message_attempt(message_id) == "sent"
    assert Notice.objects.get(pk=notice_id).handed_off_at is not None


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
        name: MessageItem.objects.filter(notice_id=pk, kind=MessageItem.Kind.REPEAT).count()
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
        for name in (
            *COLUMNS[1:6],
            "repeat_notices",
            *VERIFICATION_COUNTS,
            "reappearances_30d",
            "contact_failures",
        ):
            assert type(figures[name]) is int, (name, figures[name])
        for name in ("compliance_rate", *(c for c in COLUMNS if c.endswith("_seconds"))):
            assert figures[name] is None or type(figures[name]) is float, (name, figures[name])


def login(role: str) -> Client:
    client = APIClient()
    client.force_login(StaffUserFactory(username=f"sla-{role}-viewer", role=role))
    return client


def audit_key() -> str:
    out = StringIO()
    call_command("apikey", "create", "--auditor", "Regulator", stdout=out)
    return out.getvalue().strip().splitlines()[-1]
