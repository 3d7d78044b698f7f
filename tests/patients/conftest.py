"""Patient tests run on a fixed day, far from any 30-day or 365-day boundary they check."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

TODAY = dt.date(2026, 3, 10)
# 20:00 UTC is midday in the clinic's zone (America/Los_Angeles): the same date everywhere.
MIDDAY = dt.datetime(2026, 3, 10, 20, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_today():
    with time_machine.travel(MIDDAY, tick=False):
        yield TODAY
