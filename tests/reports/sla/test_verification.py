"""SLA compliance figures: 4. how the removals are known (verified by the checks, claimed by the
provider only, contested), the re-appearances, and the figures with the checks turned off.

The notices go through the real services (intake, assess, send, the provider's or an analyst's
removal), the re-check reports through intake (channel ``recheck``, so ``previous`` is the
removed report) and triage. What the checks found is then written as reports/verification.py
records it: the RemovalCheck rows and the notice's verified, contested and last-online times,
``removed_at`` moved to the first of the misses, or to the observation a claim came before.

Same policy and period as test_figures (24 h deadline, Beta Cloud 12 h; 2026-08-01 to
2026-11-01, judged as of 2026-11-01 00:00 UTC). Times UTC; r/a/s = received/assessed/sent.

  name prov.  cc cls r/a/s              removal                                   ttr    act
  v1   Alpha  NL A1  08-03 08/09/10:00  analyst 14:00; checks online 10:05, 12:00,  14400  21600
                     gone 14:00, 15:00 (confirm): verified at 14:00
  v2   Alpha  DE A2  09-01 08/09/10:00  provider claims 09-02 06:00; a check finds  72000  79200
                     it online 11-05, after the period: claimed only, not contested
  v3   Beta   NL B1  09-10 08/09/10:00  provider claims 12:00; online at 14:00       28800  36000
                     (contested), gone 18:00, 19:00: verified at 18:00
  v4   Beta   DE B1  10-01 08/09/10:00  provider claims 20:00; online at 21:00       39600  46800
                     (contested): counted at 21:00; then unreachable: claimed only
  v5   Gamma  NL A1  10-10 08/09/10:00  analyst 10-11 04:00; gone 04:00, 05:00:     64800  72000
                     verified at 04:00
  v6   Gamma  DE A1  10-12 08/09/10:00  analyst 16:00, no checks: the analyst's      21600  28800

All six are removed within their deadlines: rate 1.0, nothing late, online or pending.

Re-check reports (found online again):
  r1 of v1, received 08-20 09:00 (17 days after), assessed illegal 10:00: counted (Alpha)
  r2 of v2, received 10-15 09:00 (43 days after), assessed illegal 10:00: beyond 30 days
  r3 of v3, received 09-25 09:00, never assessed: not counted
  r4 of v4, received 10-20 09:00, assessed not illegal 10:00: not counted
  r5 of v5, received 10-25 09:00 (14 days after), assessed illegal 10:00: counted (Gamma)
  r6 of v6, received 10-30 09:00, assessed illegal only 11-02 09:00, after the period: not yet
"""

import csv
import io
import re

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from reports import workflow
from reports.models import Channel, Notice, RemovalCheck, Report
from reports.sla.figures import provider_figures, sla_report
from reports.sla.period import Period
from reports.sla.render import COLUMNS, CSV_COLUMNS, sla_csv, sla_markdown
from tests.reports.sla.support import (
    ALPHA,
    API,
    BETA,
    DASHBOARD,
    GAMMA,
    PERIOD,
    QUERIED_AT,
    QUERY,
    Timeline,
    assert_typed,
    audit_key,
    login,
    row,
    t,
)
from tests.reports.sla.test_outputs import dashboard_tables, svg_bars

pytestmark = pytest.mark.django_db

EXPECTED = {
    # Alpha: v1 14400 (verified), v2 72000 (claimed only). ttr median (14400 + 72000) / 2 =
    #   43200, p90 14400 + 0.9 * 57600 = 66240; act [21600, 79200]: 50400. Verified: [14400].
    #   Re-appearances: r1.
    # Beta: v3 28800 (verified, contested), v4 39600 (claimed only, contested). ttr median
    #   34200, p90 28800 + 0.9 * 10800 = 38520; act [36000, 46800]: 41400. Verified: [28800].
    # Gamma: v5 64800 (verified), v6 21600 (the analyst's). ttr [21600, 64800]: 43200,
    #   p90 21600 + 0.9 * 43200 = 60480; act [28800, 72000]: 50400. Verified: [64800]. r5.
    "provider": [
        row(
            ALPHA, 2, 2, 0, 0, 0, 1.0, 43200.0, 66240.0, 0, 50400.0, (1, 1, 0, 14400.0, 14400.0, 1)
        ),
        row(BETA, 2, 2, 0, 0, 0, 1.0, 34200.0, 38520.0, 0, 41400.0, (1, 1, 2, 28800.0, 28800.0, 0)),
        row(
            GAMMA, 2, 2, 0, 0, 0, 1.0, 43200.0, 60480.0, 0, 50400.0, (1, 0, 0, 64800.0, 64800.0, 1)
        ),
    ],
    # NL: v1 14400, v3 28800, v5 64800, all verified: median 28800, p90 (position 1.8)
    #   28800 + 0.8 * 36000 = 57600; act [21600, 36000, 72000]: 36000. v3 contested; r1, r5.
    # DE: v2 72000, v4 39600, v6 21600, none verified: median 39600, p90
    #   39600 + 0.8 * 32400 = 65520; act [28800, 46800, 79200]: 46800. v2, v4 claimed only,
    #   v4 contested.
    "country": [
        row("DE", 3, 3, 0, 0, 0, 1.0, 39600.0, 65520.0, 0, 46800.0, (0, 2, 1, None, None, 0)),
        row("NL", 3, 3, 0, 0, 0, 1.0, 28800.0, 57600.0, 0, 36000.0, (3, 0, 1, 28800.0, 57600.0, 2)),
    ],
    # 2026-08: v1. 2026-09: v2 72000 (claimed), v3 28800 (verified, contested): median 50400,
    #   p90 28800 + 0.9 * 43200 = 67680; act [36000, 79200]: 57600.
    # 2026-10: v4 39600 (claimed, contested), v5 64800 (verified), v6 21600: median 39600,
    #   p90 39600 + 0.8 * 25200 = 59760; act [28800, 46800, 72000]: 46800. r5.
    "month": [
        row(
            "2026-08",
            1,
            1,
            0,
            0,
            0,
            1.0,
            14400.0,
            14400.0,
            0,
            21600.0,
            (1, 0, 0, 14400.0, 14400.0, 1),
        ),
        row(
            "2026-09",
            2,
            2,
            0,
            0,
            0,
            1.0,
            50400.0,
            67680.0,
            0,
            57600.0,
            (1, 1, 1, 28800.0, 28800.0, 0),
        ),
        row(
            "2026-10",
            3,
            3,
            0,
            0,
            0,
            1.0,
            39600.0,
            59760.0,
            0,
            46800.0,
            (1, 1, 1, 64800.0, 64800.0, 1),
        ),
    ],
    # A1: v1 14400 (verified), v5 64800 (verified), v6 21600: median 21600, p90
    #   21600 + 0.8 * 43200 = 56160; act [21600, 28800, 72000]: 28800. Verified [14400, 64800]:
    #   median 39600, p90 14400 + 0.9 * 50400 = 59760. r1, r5.
    # A2: v2 72000 (claimed). B1: v3 28800 (verified, contested), v4 39600 (claimed, contested).
    "classification": [
        row("A1", 3, 3, 0, 0, 0, 1.0, 21600.0, 56160.0, 0, 28800.0, (2, 0, 0, 39600.0, 59760.0, 2)),
        row("A2", 1, 1, 0, 0, 0, 1.0, 72000.0, 72000.0, 0, 79200.0, (0, 1, 0, None, None, 0)),
        row("B1", 2, 2, 0, 0, 0, 1.0, 34200.0, 38520.0, 0, 41400.0, (1, 1, 2, 28800.0, 28800.0, 0)),
    ],
}


def checked(tl: Timeline, name: str, *checks, **notice_fields) -> None:
    """What the checks of ``name``'s notice saw (moment, purpose, outcome, status code), and
    the notice's fields they decided, as the verification records them."""
    notice = Notice.objects.get(pk=tl.notices[name])
    RemovalCheck.objects.bulk_create(
        RemovalCheck(
            report_id=notice.report_id,
            notice=notice,
            purpose=purpose,
            due_at=t(moment),
            checked_at=t(moment),
            outcome=outcome,
            status_code=status,
            headers={"content-type": "text/html"} if status else {},
        )
        for moment, purpose, outcome, status in checks
    )
    online = [t(moment) for moment, _, outcome, _ in checks if outcome == "online"]
    fields = {"last_seen_online_at": max(online)} if online else {}
    Notice.objects.filter(pk=notice.pk).update(
        **fields, **{key: t(value) for key, value in notice_fields.items()}
    )


@pytest.fixture
def verification_dataset(policy) -> Timeline:
    tl = Timeline()
    notices = [
        # name, provider, country, category, day, removed, claimed by the provider
        ("v1", ALPHA, "NL", "A1", "08-03", "08-03 14:00", False),
        ("v2", ALPHA, "DE", "A2", "09-01", "09-02 06:00", True),
        ("v3", BETA, "NL", "B1", "09-10", "09-10 12:00", True),
        ("v4", BETA, "DE", "B1", "10-01", "10-01 20:00", True),
        ("v5", GAMMA, "NL", "A1", "10-10", "10-11 04:00", False),
        ("v6", GAMMA, "DE", "A1", "10-12", "10-12 16:00", False),
    ]
    for name, provider, country, category, day, removed, claimed in notices:
        tl.notice(
            name, provider=provider, country=country, category=category,
            received=f"{day} 08:00", assessed=f"{day} 09:00", sent=f"{day} 10:00",
            removed=removed, claimed=claimed,
        )  # fmt: skip
    rechecks = [
        # name, of, received, assessed (None: not yet), illegal
        ("r1", "v1", "08-20 09:00", "08-20 10:00", True),
        ("r2", "v2", "10-15 09:00", "10-15 10:00", True),
        ("r3", "v3", "09-25 09:00", None, True),
        ("r4", "v4", "10-20 09:00", "10-20 10:00", False),
        ("r5", "v5", "10-25 09:00", "10-25 10:00", True),
        ("r6", "v6", "10-30 09:00", "11-02 09:00", True),
    ]
    providers = {name: provider for name, provider, *_ in notices}
    for name, of, received, assessed, illegal in rechecks:
        url = f"https://www.{providers[of].split()[0].lower()}.example/gallery/{of}"
        tl.receive(name, t(received), url, channel=Channel.RECHECK)
        if assessed and illegal:
            tl.assess(name, t(assessed), "A1")
        elif assessed:
            tl.at(t(assessed), lambda name=name: not_illegal(tl, name))
    tl.run()
    checked(
        tl, "v1",
        ("08-03 10:05", "handed_off", "online", 200), ("08-03 12:00", "interval", "online", 200),
        ("08-03 14:00", "interval", "gone", 404), ("08-03 15:00", "confirm", "gone", 404),
        removal_verified_at="08-03 14:00",
    )  # fmt: skip
    checked(tl, "v2", ("11-05 09:00", "recheck", "online", 200), removal_contested_at="11-05 09:00")
    checked(
        tl, "v3",
        ("09-10 14:00", "claimed", "online", 200), ("09-10 18:00", "interval", "gone", 410),
        ("09-10 19:00", "confirm", "gone", 410),
        removal_contested_at="09-10 14:00", removal_verified_at="09-10 18:00",
        removed_at="09-10 18:00",
    )  # fmt: skip
    checked(
        tl, "v4",
        ("10-01 21:00", "claimed", "online", 200), ("10-01 22:00", "interval", "unreachable", None),
        removal_contested_at="10-01 21:00", removed_at="10-01 21:00",
    )  # fmt: skip
    checked(
        tl, "v5",
        ("10-11 04:00", "interval", "gone", 404), ("10-11 05:00", "confirm", "gone", 404),
        removal_verified_at="10-11 04:00",
    )  # fmt: skip
    return tl


def not_illegal(tl: Timeline, name: str) -> None:
    workflow.report_claim(tl.reports[name], actor=tl.analyst)
    workflow.report_assess_not_actionable(
        tl.reports[name], actor=tl.analyst, reason="not_illegal", not_illegal_reason="adult"
    )


def check_premises(tl: Timeline) -> None:
    notices = {name: Notice.objects.get(pk=pk) for name, pk in tl.notices.items()}
    claimed = {name for name, notice in notices.items() if notice.removal_confirmed_at}
    assert claimed == {"v2", "v3", "v4"}  # the provider's API sets it, an analyst does not
    assert notices["v3"].removal_confirmed_at == t("09-10 12:00")
    reports = {name: Report.objects.get(pk=pk) for name, pk in tl.reports.items()}
    for name in ("r1", "r2", "r3", "r4", "r5", "r6"):
        assert reports[name].channel == Channel.RECHECK
        assert reports[name].previous_id == tl.reports[f"v{name[1]}"], name
    assert reports["r3"].assessed_at is None
    assert reports["r4"].legal_status == "not_illegal"
    assert reports["r6"].assessed_at == t("11-02 09:00")


def test_verified_claimed_contested_and_reappearances(verification_dataset, subtests):
    check_premises(verification_dataset)
    with time_machine.travel(QUERIED_AT, tick=False):
        for group_by, expected in EXPECTED.items():
            with subtests.test(group_by=group_by):
                figures = provider_figures(PERIOD, group_by)
                assert figures == expected
                assert_typed(figures)


def test_a_reappearance_counts_once_assessed_and_only_within_30_days(verification_dataset):
    """r6 is assessed on 11-02: a period that ends after that counts it, August-October's does
    not; moving r2 to within 30 days of v2's removal counts it too."""
    tl = verification_dataset
    with time_machine.travel(QUERIED_AT, tick=False):
        later = sla_report(Period(PERIOD.start, t("11-03 00:00")), "provider")
        Report.objects.filter(pk=tl.reports["r2"]).update(received_at=t("10-02 06:00"))
        moved = provider_figures(PERIOD, "provider")
    assert [r["reappearances_30d"] for r in later["groups"]] == [1, 0, 2]
    assert [r["reappearances_30d"] for r in moved] == [2, 0, 1]  # 30 days to the second


def test_verification_off_is_said_with_the_same_figures(verification_dataset, settings, subtests):
    with time_machine.travel(QUERIED_AT, tick=False):
        on = sla_report(PERIOD, "provider")
        settings.HOTLINE_PROBES_ENABLED = False
        off = sla_report(PERIOD, "provider")
        client = login("supervisor")
        body = client.get(f"{API}?{QUERY}").json()
        exported = client.get(f"{API}?{QUERY}&format=csv").content.decode()
        html = client.get(f"{DASHBOARD}?start=2026-08-01&end=2026-11-01").content.decode()
    assert (on["verification"], off["verification"]) == ("on", "off")
    assert off["groups"] == on["groups"] == EXPECTED["provider"]
    with subtests.test("the API"):
        assert body["verification"] == "off"
        assert body["groups"] == EXPECTED["provider"]
    with subtests.test("the CSV: the state on every row, after the figures"):
        assert exported == sla_csv(off)
        assert exported.splitlines()[0] == ",".join(CSV_COLUMNS)
        rows = list(csv.DictReader(io.StringIO(exported)))
        assert [r["verification"] for r in rows] == ["off"] * 3
        assert [r["removed_verified"] for r in rows] == ["1", "1", "1"]
    with subtests.test("the Markdown"):
        lines = sla_markdown(off).splitlines()
        assert lines[2] == "verification: off — removal times are the providers' or analysts'"
        assert sla_markdown(on).splitlines()[2].startswith("verification: on — ")
    with subtests.test("the dashboard"):
        assert "Verification: <strong>off</strong> — removal times are the providers&#x27; or " in (
            html
        )


def test_the_new_columns_come_after_the_old_ones():
    assert COLUMNS[:11] == [
        "group",
        "notices",
        "removed_within",
        "removed_late",
        "online_past_deadline",
        "pending",
        "compliance_rate",
        "removal_median_seconds",
        "removal_p90_seconds",
        "repeat_notices",
        "time_to_act_median_seconds",
    ]
    assert COLUMNS[11:17] == [
        "removed_verified",
        "removed_claimed_only",
        "claims_contested",
        "verified_removal_median_seconds",
        "verified_removal_p90_seconds",
        "reappearances_30d",
    ]
    assert COLUMNS[17:] == ["contact_failures"]


def test_the_dashboard_shows_how_the_removals_are_known(verification_dataset, subtests):
    client = login("auditor")
    with time_machine.travel(QUERIED_AT, tick=False):
        pages = {
            group_by: client.get(
                f"{DASHBOARD}?start=2026-08-01&end=2026-11-01&group_by={group_by}"
            ).content.decode()
            for group_by in EXPECTED
        }
    for group_by, html in pages.items():
        with subtests.test(group_by=group_by):
            evidence, _groups, _hotline = dashboard_tables(html)
            # The same totals whatever the grouping: six removed, v1 v3 v5 verified, v2 v4
            # claimed only, v6 the analyst's; v3 and v4 contested; r1 and r5 found again.
            assert evidence == [
                ["removed", "6"],
                ["verified by the checks", "3"],
                ["claimed by the provider only", "2"],
                ["set by an analyst only", "1"],
                ["claims contested by a check", "2"],
                ["found online again within 30 days", "2"],
            ]
            assert "Verification: <strong>on</strong>" in html
    charts = re.findall(r"<svg\b[^>]*\brole=\"img\".*?</svg>", pages["provider"], flags=re.S)
    assert 'aria-label="Removals verified by the checks"' in charts[3]
    assert svg_bars(charts[3]) == [(ALPHA, "50%"), (BETA, "50%"), (GAMMA, "50%")]


def test_the_figures_need_a_fixed_number_of_queries(
    verification_dataset, django_assert_num_queries
):
    """The figures, the repeats, the re-appearances and the contact failures: one grouped query
    each, not one per notice or per re-check (SQLite's percentiles take one more)."""
    expected = 4 if connection.vendor == "postgresql" else 5
    with time_machine.travel(QUERIED_AT, tick=False), django_assert_num_queries(expected):
        provider_figures(PERIOD, "provider")


def test_the_api_serves_the_new_columns_to_an_audit_key(verification_dataset):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {audit_key()}")
    with time_machine.travel(QUERIED_AT, tick=False):
        body = client.get(f"{API}?{QUERY}&group_by=country").json()
    assert body["verification"] == "on"
    assert body["groups"] == EXPECTED["country"]
