"""Query-count baselines for the bulk actions and "Paste URLs" (as tests/reports/
test_admin_query_counts.py does for the other pages).

A form page lists every report it will touch in one query: the same count for 10 reports as for
20. An action reads the selection once, then runs the workflow per report in a transaction of
its own, so its count grows by at most a fixed number per report (PER_REPORT) and by nothing
else. One workflow run is 11 queries: its savepoint and release, the locked read, the save, the
audit event (four reads of the state it records, the insert) and the timers' look; the bulk's own
savepoint per report adds 2. A paste is filed set-based: the same count for 10 URLs as for 20.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import hosting
from reports.models import Report
from tests.reports.factories import ProviderFactory, StaffUserFactory
from tests.reports.workbench.bulk_support import (
    ILLEGAL_FIELDS,
    PASTE,
    action_apply,
    action_choose,
    client_for,
    form_post,
    new_reports,
)

pytestmark = pytest.mark.django_db

# Queries per report of each action, at most (see the module's docstring).
PER_REPORT = {
    "bulk_claim": 12,  # one workflow run
    "bulk_assess_illegal": 25,  # the one-URL step: its lock and savepoint, claim and assess
    # Set the suggested hosting and send: two runs, the running-notice and police checks, the
    # notice and its outbox items.
    "bulk_send_notice": 31,
}


@pytest.fixture
def ann():
    return client_for(StaffUserFactory(username="ann", role="analyst"))


def counted(work) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = work()
    assert response.status_code in (200, 302), response.status_code
    return len(queries)


@pytest.fixture
def images():
    provider = ProviderFactory(name="Example Images BV", country="NL")
    provider.domains.create(suffix="example.com")
    return provider


@pytest.mark.parametrize("action", ["bulk_assess_illegal", "bulk_send_notice"])
def test_a_form_page_costs_the_same_for_10_and_for_20_reports(ann, images, action):
    few, more = new_reports(10, "a.example.com"), new_reports(20, "b.example.com")
    hosting.intake_lookups_run(list(Report.objects.values_list("pk", flat=True)))

    counts = [counted(lambda r=r: action_choose(ann, action, r)) for r in (few, more)]

    assert counts[0] == counts[1], counts


def action_counts(client, size: int) -> dict[str, int]:
    """Claim ``size`` new reports; assess ``size`` others (claiming them) and send their notices."""
    claimed = new_reports(size, f"claimed{size}.example.com")
    reports = new_reports(size, f"new{size}.example.com")
    hosting.intake_lookups_run([r.pk for r in reports])
    return {
        "bulk_claim": counted(lambda: action_choose(client, "bulk_claim", claimed)),
        "bulk_assess_illegal": counted(
            lambda: action_apply(client, "bulk_assess_illegal", reports, **ILLEGAL_FIELDS)
        ),
        "bulk_send_notice": counted(
            lambda: action_apply(client, "bulk_send_notice", reports, kind="voluntary")
        ),
    }


def test_an_action_costs_a_fixed_number_of_queries_per_report(ann, images):
    ten, twenty = action_counts(ann, 10), action_counts(ann, 20)

    for action, per_report in PER_REPORT.items():
        assert twenty[action] - ten[action] <= 10 * per_report, (action, ten, twenty)


def test_a_paste_costs_the_same_for_10_and_for_20_urls(ann):
    def paste(host, size):
        token = re.search(r'name="token" value="([^"]+)"', ann.get(PASTE).content.decode())
        text = "\n".join(f"https://{host}/p/{n}" for n in range(size))
        return form_post(ann, PASTE, {"urls": text, "token": token.group(1)})

    counts = [
        counted(lambda: paste("a.example.com", 10)),
        counted(lambda: paste("b.example.com", 20)),
    ]

    assert counts[0] == counts[1], counts
