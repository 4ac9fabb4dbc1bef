"""Counting that stays cheap at millions of rows (admin lists and queue counts).

On PostgreSQL a count the planner expects to be large is taken from its estimate (EXPLAIN)
instead of COUNT(*), which would read every matching row; small counts stay exact.
"""

import json
from functools import cached_property

from django.core.paginator import Paginator
from django.db import connections

EXACT_BELOW = 10_000


def fast_count(queryset) -> int:
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.count()
    plan = json.loads(queryset.order_by().explain(format="json"))
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    return queryset.count() if estimate < EXACT_BELOW else estimate


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self):
        return fast_count(self.object_list)
