"""Whether the deadline clock runs, for the clock's health check."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from reports.models import Notice, WorkerHeartbeat


@dataclass(frozen=True)
class ClockHealth:
    """Whether the deadline clock runs: somebody sweeps, and nothing due waits. Ages in seconds."""

    stalled: bool
    last_sweep_age: float | None  # None: no worker ever finished a sweep
    workers: dict[str, float]  # node -> age of its last finished sweep
    due_notices: int  # due now and not fired yet
    oldest_due_age: float | None
    detail: str


def clock_health() -> ClockHealth:
    now = timezone.now()

    def age(moment: datetime | None) -> float | None:
        return None if moment is None else round((now - moment).total_seconds(), 1)

    limit = settings.HOTLINE_CLOCK_STALL_SECONDS
    workers = {
        node: age(swept_at)
        for node, swept_at in WorkerHeartbeat.objects.order_by("node").values_list(
            "node", "swept_at"
        )
    }
    last_sweep_age = min(workers.values(), default=None)
    due = Notice.objects.filter(due_at__lte=now).aggregate(count=Count("pk"), oldest=Min("due_at"))
    oldest_due_age = age(due["oldest"])
    problems = []
    if last_sweep_age is None:
        problems.append("no worker has finished a sweep yet")
    elif last_sweep_age > limit:
        problems.append(f"no worker has finished a sweep for {last_sweep_age:.0f} s")
    if oldest_due_age is not None and oldest_due_age > limit:
        problems.append(
            f"{due['count']} due notice(s) not fired, the oldest due {oldest_due_age:.0f} s ago"
        )
    return ClockHealth(
        stalled=bool(problems),
        last_sweep_age=last_sweep_age,
        workers=workers,
        due_notices=due["count"],
        oldest_due_age=oldest_due_age,
        detail="; ".join(problems),
    )
