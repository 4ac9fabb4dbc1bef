"""SLA compliance figures: 1. the dataset, every figure exact."""

from datetime import timedelta

import pytest
import time_machine

from reports.models import Notice
from reports.sla.figures import COUNTS, hotline_figures, percentile, provider_figures, sla_report
from reports.sla.render import COLUMNS
from tests.reports.sla.support import (
    ALPHA,
    EXPECTED,
    EXPECTED_HOTLINE,
    PERIOD,
    QUERIED_AT,
    Timeline,
    assert_typed,
    check_premises,
    t,
)

pytestmark = pytest.mark.django_db


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
