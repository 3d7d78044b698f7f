"""One quick iteration of the whole benchmark, on committed data.

Its own module: the PDF jobs are sent when plan_approve's transaction commits, so this test
needs real commits, which the module-wide demo seed of test_bench.py (one open transaction,
tests/shared_rows.py) would never give it.
"""

import json

import pytest
from django.db import connection

from bench.__main__ import main
from bench.scale import seed_scale
from clinic.demo import seed


@pytest.fixture
def demo(transactional_db):
    seed()


# Committed transactions (see the module docstring). No serialized rollback: a flush by an
# earlier transactional test re-creates the role groups under new ids, which a restore of the
# serialized database would then collide with; conftest puts the reference data back instead.
@pytest.mark.django_db(transaction=True)
def test_bench_runs_one_quick_iteration(demo, tmp_path, capsys):
    seed_scale(patients=20, sessions=200, log=lambda _: None)
    out = tmp_path / "results.json"
    args = ["--requests", "1", "--screening-seconds", "0.05", "--pdf-repeats", "1"]
    args += ["--pdf-approvals", "2"]
    # The load stage (PostgreSQL only) at its smallest: one gunicorn worker, two users, 2 s.
    load = ["--load-users", "2", "--load-seconds", "2", "--load-workers", "1"]
    assert main([*args, *load, "--booking-threads", "0", "--no-exports", "--out", str(out)]) == 0

    results = {entry["name"]: entry for entry in json.loads(out.read_text())}
    floor = results["floor: password_change_done"]
    assert floor["queries"] > 0 and floor["ratio_to_floor"] == 1.0
    for name in ("calendar day, busiest location", "patient page, 200 sessions", "plan editor"):
        assert results[name]["p95_ms"] > 0
        assert results[name]["queries"] > 0
        assert results[name]["ratio_to_floor"] > 0
    assert results["report activity, one year"]["queries"] > 0
    assert results["screening engine throughput"]["unit"] == "eval/s"
    assert results["PDF plan render"]["value"] > 0
    # Two approvals timed until their PDF job stored a file, with the stages named.
    latency = results["PDF plan: approval to downloadable document"]
    assert latency["value"] == 2 and 0 < latency["p50_ms"] <= latency["p95_ms"]
    assert "WeasyPrint" in latency["note"]
    if connection.vendor == "postgresql":
        # gunicorn answered every path with a 200 before the step (the warm-up checks it).
        # How many requests 2 s of random tasks complete depends on the machine's load
        # (none, in CI under load): none may fail, and each path reached has its figures.
        total = results["load 2 users: all requests"]
        assert ", 0 failed" in total["note"]
        paths = [r for n, r in results.items() if n.startswith("load 2 users: ") and r is not total]
        assert all(r["p95_ms"] > 0 and ", 0 failed" in r["note"] for r in paths)
    else:
        assert not any(name.startswith("load ") for name in results)
    assert "calendar day" in capsys.readouterr().out
    # A second scale's run compares query counts with the first one's (no load stage, and
    # no approvals timed to their PDF: the first run covered those).
    rest = ["--booking-threads", "0", "--no-exports", "--load-users", "", "--pdf-approvals", "0"]
    assert main([*args, *rest, "--scale", "0.1", "--out", str(out)]) == 0
    names = [entry["name"] for entry in json.loads(out.read_text())]
    assert "query counts differing from queries-1" in names
