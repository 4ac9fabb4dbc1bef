"""The triage admin: the queues."""

import pytest

from tests.reports.triage_admin.support import S, page, set_status, submit

pytestmark = pytest.mark.django_db


# --- the queues -------------------------------------------------------------------------------


@pytest.fixture
def queues(people, settings):
    settings.HOTLINE_COUNTRY = "NL"
    made = {}
    for name, status, owner in [
        ("new1", S.NEW, None),
        ("new2", S.NEW, None),
        ("mine", S.IN_REVIEW, "analyst"),
        ("theirs", S.IN_REVIEW, "bob"),
        ("actionable", S.ACTIONABLE, None),
        ("held", S.ON_HOLD, None),
        ("forwarded", S.FORWARDED, None),
        ("closed", S.CLOSED, None),
    ]:
        report = submit(f"https://{name}.example.com/x")
        set_status(report, status, assigned_to=people[owner] if owner else None)
        made[name] = report
    return made


def references_listed(text: str, queues) -> set[str]:
    return {name for name, report in queues.items() if report.reference in text}


def test_the_queue_filter_shows_counts(ann, queues):
    text = page(ann, "/admin/reports/report/")

    for label in [
        "New (2)",
        "Mine (1)",
        "In review (2)",
        "Actionable (1)",
        "On hold (1)",
        "Forwarded (1)",
    ]:
        assert label in text
    assert references_listed(text, queues) == set(queues)


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        ("new", {"new1", "new2"}),
        ("mine", {"mine"}),
        ("in_review", {"mine", "theirs"}),
        ("actionable", {"actionable"}),
        ("on_hold", {"held"}),
        ("forwarded", {"forwarded"}),
    ],
)
def test_each_queue_lists_its_reports(ann, queues, queue, expected):
    text = page(ann, f"/admin/reports/report/?queue={queue}")

    assert references_listed(text, queues) == expected


def test_mine_is_the_logged_in_persons(sam, queues):
    text = page(sam, "/admin/reports/report/?queue=mine")

    assert "Mine (0)" in text
    assert references_listed(text, queues) == set()
