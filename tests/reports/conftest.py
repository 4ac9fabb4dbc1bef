"""Fixtures shared by the tests of the case. A test module or package that needs another moment
defines its own ``clock``."""

import pytest
import time_machine

from tests.reports.support import T0


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller
