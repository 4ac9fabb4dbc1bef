"""Helpers shared by the tests of the case."""

from datetime import UTC, datetime

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the clock fixture's moment
