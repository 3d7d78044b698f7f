"""Patient tests run on a fixed day, far from any 30-day or 365-day boundary they check."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

TODAY = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def fixed_today():
    # 20:00 UTC is midday in the clinic's zone (America/Los_Angeles): the same date everywhere.
    with time_machine.travel(dt.datetime(2026, 3, 10, 20, tzinfo=dt.UTC), tick=False):
        yield TODAY
