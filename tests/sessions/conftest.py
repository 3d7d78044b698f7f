"""A fixed moment (noon in the location's zone, a Tuesday) for every session test."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

NOON = dt.datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("America/Los_Angeles"))


@pytest.fixture(autouse=True)
def fixed_day():
    with time_machine.travel(NOON, tick=True) as traveller:
        yield traveller
