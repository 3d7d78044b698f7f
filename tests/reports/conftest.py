from __future__ import annotations

import datetime as dt

import pytest
import time_machine

NOW = dt.datetime(2026, 6, 17, 19, 0, tzinfo=dt.UTC)  # noon in Los Angeles, a Wednesday


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW
