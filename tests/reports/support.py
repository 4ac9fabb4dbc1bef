"""Helpers shared by the tests of the case."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from django.db import connection

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the clock fixture's moment


def run_together(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads that start at the same moment, each with its own
    database connection; return the results."""
    barrier = threading.Barrier(count)

    def run(i):
        try:
            barrier.wait(timeout=30)
            return work(i)
        finally:
            connection.close()  # each thread opened its own connection

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def deliver_due() -> int:
    """Run the delivery queue's task once, as the beat does; how many messages went."""
    from reports.outbox import outbox_drain

    return outbox_drain().outcomes.get("sent", 0)
