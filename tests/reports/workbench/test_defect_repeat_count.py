"""A repeat notice says which repeat it is, counting itself: the first repeat is repeat 1,
however late it goes (a retry after the next repeat was decided still says 1)."""

from datetime import timedelta

import pytest

from hotline.actors import Actor
from reports import workflow
from tests.reports.factories import ActionableReportFactory, StaffUserFactory, notice_send
from tests.reports.notices.support import deliver_all
from tests.reports.support import T0

pytestmark = pytest.mark.django_db


def _repeats_by_number(mailoutbox) -> dict[int, tuple[str, str]]:
    found = {}
    for email in mailoutbox:
        if not email.subject.split("] ", 1)[1].startswith("Repeat notice"):
            continue
        [(html, _mimetype)] = email.alternatives
        for number in (1, 2, 3):
            if f"This is repeat notice {number}." in email.body:
                found[number] = (email.body, html)
    return found


def test_the_first_repeat_says_repeat_1_and_the_second_repeat_2(clock, mailoutbox):
    actor = Actor.for_user(StaffUserFactory(username="ann", role="analyst"))
    notice = notice_send(ActionableReportFactory().pk, actor=actor)
    for hours in (24, 48):  # the deadline's repeat, then the next day's
        clock.move_to(T0 + timedelta(hours=hours))
        workflow.notice_fire_due(notice.pk)
        deliver_all()

    repeats = _repeats_by_number(mailoutbox)
    assert sorted(repeats) == [1, 2]
    for number, (text, html) in repeats.items():
        assert f"This is repeat notice {number}." in html
        assert "repeat notice 0" not in text.lower()
        assert "Repeat notices sent" not in text  # the old count, which read as the one before


def test_a_first_repeat_delivered_after_the_second_was_decided_still_says_1(clock, mailoutbox):
    actor = Actor.for_user(StaffUserFactory(username="ann", role="analyst"))
    notice = notice_send(ActionableReportFactory().pk, actor=actor)
    for hours in (24, 48):  # delivery is down through both repeats
        clock.move_to(T0 + timedelta(hours=hours))
        workflow.notice_fire_due(notice.pk)
    deliver_all()

    assert sorted(_repeats_by_number(mailoutbox)) == [1, 2]
