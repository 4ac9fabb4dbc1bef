"""The period an SLA report covers: whole UTC days, the start inclusive, the end exclusive.

The entry points parse dates from their input (a form, a query string, command options) and
build the period here, which holds the rules they share.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone


class EmptyPeriod(ValueError):
    """The end is not after the start."""


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @property
    def as_of(self) -> datetime:
        """Figures are judged as of the end of the period, or now if that is earlier."""
        return min(self.end, timezone.now())

    @classmethod
    def from_dates(cls, start: date, end: date) -> "Period":
        """Whole UTC days: ``start`` inclusive, ``end`` exclusive; raises EmptyPeriod."""
        if end <= start:
            raise EmptyPeriod(f"The end ({end}) must be after the start ({start}).")
        return cls(datetime.combine(start, time(), UTC), datetime.combine(end, time(), UTC))


def _today() -> date:
    return timezone.now().date()


def month_to_date() -> tuple[date, date]:
    """The 1st of this month to today, inclusive: the API's default."""
    today = _today()
    return today.replace(day=1), today + timedelta(days=1)


def six_months_to_date() -> tuple[date, date]:
    """The 1st of the month five months ago to today, inclusive: the dashboard's default."""
    today = _today()
    start = date(today.year - (today.month <= 5), (today.month - 6) % 12 + 1, 1)
    return start, today + timedelta(days=1)
