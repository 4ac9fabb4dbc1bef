"""Fixtures shared by the tests of sla compliance figures."""

import pytest
import time_machine

from reports import workflow
from reports.models import Report
from tests.reports.sla.support import ALPHA, BETA, GAMMA, QUERIED_AT, Timeline, t


@pytest.fixture(autouse=True)
def verification_on(settings):
    """The figures say whether checks run; these tests' figures are those of a service that
    checks (no probe runs here: the checks' results are written as the service records them)."""
    settings.HOTLINE_PROBES_ENABLED = True


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
            tl.reports["na"], actor=tl.analyst, reason="not_illegal", not_illegal_reason="adult"
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
