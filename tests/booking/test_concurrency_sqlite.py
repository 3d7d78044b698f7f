"""The SQLite guarantee, with the production SQLite configuration.

The test database of a SQLite run lives in memory with a shared cache, whose table locks
fail at once instead of waiting, so it cannot show how a real SQLite file behaves. This
test runs the race in a separate process against a SQLite file configured by
clinic/settings.py (WAL, 20 s busy timeout, BEGIN IMMEDIATE). It runs whatever database the
rest of the suite uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("sqlite_race.py")
ATTEMPTS = 20


def test_twenty_concurrent_bookings_on_a_sqlite_file_have_one_winner(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    env.pop("REDIS_URL", None)
    run = subprocess.run(
        [sys.executable, str(SCRIPT), str(ATTEMPTS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {"outcomes": {"booked": 1, "slot taken": ATTEMPTS - 1}, "rows": 1}
