"""On PostgreSQL each search and each new queue can be served by its index (migration 0017):
the planner, kept off sequential scans, answers each through the index meant for it. Were an
expression in reports.selectors.queues not written as its index's, it could not."""

import pytest
from django.db import connection
from django.test import RequestFactory

from reports.models import Report
from reports.selectors.queues import reports_in_queue, reports_matching

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def plan(queryset) -> str:
    sql, params = queryset.order_by().values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's indexes")


@pytest.mark.parametrize(
    ("term", "index"),
    [
        ("ha5w-49x1", "report_reference_trgm_idx"),
        ("files.example.org", "report_host_reversed_idx"),
        ("hxxps://files[.]example[.]org/a.jpg", "reports_report_url_sha256"),
    ],
)
def test_each_kind_of_search_is_served_by_its_index(term, index):
    assert index in plan(reports_matching(Report.objects.all(), term))


@pytest.mark.parametrize("queue", ["awaiting_removal", "due_soon"])
def test_the_new_queues_are_served_by_the_running_clocks_index(queue):
    request = RequestFactory().get("/")
    request.user = None

    assert "notice_clock_running_idx" in plan(
        reports_in_queue(Report.objects.all(), queue, request)
    )
