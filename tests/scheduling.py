"""How `make test` spreads the suite over the pytest-xdist workers: costliest work first.

`--dist loadfile` sends whole files to a worker, so a module's shared rows (tests/shared_rows.py)
are built once. Left alone, xdist hands the files out by number of tests, largest first, which
leaves the browser files (one to three slow tests each) to the very end, where one worker runs
them while the other has nothing left to do. Here, under loadfile:

- a browser test (tests/e2e/) is a unit of its own: those tests share nothing but the worker's
  browser and live server (session-scoped), so they can go to either worker;
- the units go out costliest first (longest processing time first), so the run ends with the
  small files, which even the workers out. The cost of a unit is the sum of what its tests
  took when they last ran (kept in pytest's cache, .pytest_cache/). A fresh checkout (CI) has
  no cache: there each unit costs what tests/durations.json says (committed; written from the
  cache by `python -m tests.scheduling`), and a unit in neither counts a guess per test, a
  browser test as many seconds.

Which tests run and what they assert is unchanged: only the order and the worker.
"""

from __future__ import annotations

import json
import sys
from collections import OrderedDict
from pathlib import Path

import pytest

CACHE_KEY = "tests/durations"
# Seconds for a test with no recorded time: the order of magnitude of a browser test and of any
# other test on a 2-core machine.
GUESS_E2E = 10.0
GUESS = 0.15
COMMITTED = Path(__file__).with_name("durations.json")


def splits_per_test(path: str) -> bool:
    return path.startswith("tests/e2e/")


# Files whose tests start a real Celery worker on the shared Redis broker: run on one xdist
# worker, one after the other, or one test's worker takes the other's tasks (and answers them
# from its own test database).
BROKER_WORKER_FILES = frozenset(
    {"tests/booking/test_reminder_worker.py", "tests/plans/test_worker_killed.py"}
)


def unit_of(nodeid: str) -> str:
    """The scheduling unit of a test: its file, or the test itself for a browser test, or one
    unit for every file that starts a real worker on the broker."""
    path = nodeid.split("::", 1)[0]
    if path in BROKER_WORKER_FILES:
        return "real Celery workers on the shared broker"
    return nodeid if splits_per_test(path) else path


def cost(nodeid: str, recorded: dict[str, float]) -> float:
    known = recorded.get(nodeid)
    if known is not None:
        return known
    return GUESS_E2E if splits_per_test(nodeid) else GUESS


def unit_cost(tests: list[str], recorded: dict[str, float], committed: dict[str, float]) -> float:
    """What a unit's tests took when they last ran here, or else the committed figure, or
    else the guesses."""
    if any(nodeid in recorded for nodeid in tests) or not tests:
        return sum(cost(nodeid, recorded) for nodeid in tests)
    unit = unit_of(tests[0])
    if unit in committed:
        return committed[unit]
    return sum(cost(nodeid, recorded) for nodeid in tests)


def read_committed() -> dict[str, float]:
    try:
        return json.loads(COMMITTED.read_text())
    except (OSError, ValueError):
        return {}


def unit_costs(recorded: dict[str, float]) -> dict[str, float]:
    """Seconds per scheduling unit, from per-test times."""
    units: dict[str, float] = {}
    for nodeid, took in recorded.items():
        units[unit_of(nodeid)] = units.get(unit_of(nodeid), 0.0) + took
    return {unit: round(took, 1) for unit, took in sorted(units.items())}


def make_scheduler(config: pytest.Config, log):
    from xdist.scheduler import LoadScopeScheduling

    class CostliestFirst(LoadScopeScheduling):
        def __init__(self, config, log=None):
            super().__init__(config, log)
            cache = getattr(config, "cache", None)
            self.recorded = cache.get(CACHE_KEY, {}) if cache is not None else {}
            self.committed = read_committed()
            self.ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

        def _assign_work_unit(self, node) -> None:
            if not self.ordered:  # the queue is complete before the first unit goes out
                costs = {
                    unit: unit_cost(list(tests), self.recorded, self.committed)
                    for unit, tests in self.workqueue.items()
                }
                self.workqueue = OrderedDict(
                    sorted(self.workqueue.items(), key=lambda item: -costs[item[0]])
                )
                self.ordered = True
            super()._assign_work_unit(node)

    return CostliestFirst(config, log)


class DurationRecorder:
    """Keeps, in the controlling process, what each test took (setup, call and teardown), for
    the next run's order. Tests that did not run keep their earlier time."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.took: dict[str, float] = {}
        self.started: set[str] = set()

    def pytest_runtest_logreport(self, report) -> None:
        # The first setup on each worker also creates the test database (and more): a cost of
        # the worker, not of whichever test happened to come first.
        worker = getattr(getattr(report, "node", None), "workerinput", {}).get("workerid", "")
        if report.when == "setup" and worker not in self.started:
            self.started.add(worker)
            return
        self.took[report.nodeid] = self.took.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self, session) -> None:
        cache = getattr(self.config, "cache", None)
        if cache is None or not self.took:
            return
        recorded = cache.get(CACHE_KEY, {})
        recorded.update({nodeid: round(took, 3) for nodeid, took in self.took.items()})
        cache.set(CACHE_KEY, recorded)


def save_committed(cache_dir: Path = Path(".pytest_cache")) -> int:
    """tests/durations.json from the times pytest's cache holds (run the whole suite first)."""
    recorded = json.loads((cache_dir / "v" / CACHE_KEY).read_text())
    COMMITTED.write_text(json.dumps(unit_costs(recorded), indent=0) + "\n")
    return 0


if __name__ == "__main__":  # python -m tests.scheduling
    sys.exit(save_committed())
