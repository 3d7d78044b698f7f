"""The load stage: gunicorn on the seeded database, driven by locust at 10 and 40 users.

``measure_load(users=(10, 40), seconds=30)``:

1. resolves the key paths on the data (``bench.harness.key_paths``) and logs in, with
   ``Client.force_login``, one session per virtual user and role (therapist: the heavy plan's
   practitioner, who may open its panel; front desk; the manager for the report);
2. starts gunicorn (``bench.load_wsgi``: ``clinic.wsgi`` with the views imported; ``workers``
   sync workers, app preloaded) on 127.0.0.1:``port`` against the same database and settings
   as the benchmark, waits (bounded) until it answers, and requests every path twice per
   worker unmeasured (the calendar is the therapist's own location's busiest recent day);
3. runs locust headless (``bench/locustfile.py``) in a subprocess for each user count, for a
   fixed time (``-t``), with a hard timeout on top, and reads its CSV statistics;
4. stops gunicorn (and locust, if it overstayed) by their process ids.

Entries per step: each path's p50/p95/p99 (locust's histogram, ms), requests, failures and
requests per second; ``ratio_to_floor`` is the path's p95 over the floor view's p95 in the
same step; one entry per step sums the requests, the failures and the throughput.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.test import Client

from bench.harness import Entry

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
LOAD_PATHS = (
    "floor: password_change_done",
    "patient search by name prefix",
    "patient page, 200 sessions",
    "calendar day, busiest location",
    "plan live screening panel",
    "report activity, one year",
)
HOST = "127.0.0.1"


def _plan(users: int, port: int) -> dict:
    from bench.harness import key_paths
    from clinic.staff.models import User
    from clinic.staff.roles import Role

    found = {name: (url, user) for name, url, user, _status in key_paths()}
    from django.urls import reverse

    manager = User.objects.get(username="manager")
    found["floor: password_change_done"] = (reverse("password_change_done"), manager)
    missing = [name for name in LOAD_PATHS if name not in found]
    if missing:
        raise RuntimeError(f"the data has no {missing}")
    therapist = found["plan live screening panel"][1]
    # The calendar of the therapist's own location (staff see only theirs), busiest recent day.
    found["calendar day, busiest location"] = (_calendar_path(therapist), therapist)
    front_desk = User.objects.filter(groups__name=Role.FRONT_DESK.label, is_active=True).first()
    if front_desk is None:
        raise RuntimeError("no front-desk user: run seed_demo first")
    roles = {"therapist": therapist, "front_desk": front_desk, "manager": manager}
    sessions = {}
    for role, user in roles.items():
        keys = []
        for _ in range(users):
            client = Client()
            client.force_login(user)
            keys.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
        sessions[role] = keys
    return {
        "host": f"http://{HOST}:{port}",
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "paths": {name: found[name][0] for name in LOAD_PATHS},
        "sessions": sessions,
    }


def _get(url: str, *, cookie: str | None = None, timeout: float = 30) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - 127.0.0.1
        response.read()
        return response.status


def _calendar_path(user) -> str:
    import datetime as dt

    from django.db.models import Count
    from django.urls import reverse
    from django.utils import timezone

    from clinic.booking.models import Appointment

    location = user.locations.order_by("pk").first()
    busiest = (
        Appointment.objects.filter(
            location=location, starts_at__gte=timezone.now() - dt.timedelta(days=14)
        )
        .values("starts_at__date")
        .annotate(n=Count("pk"))
        .order_by("-n", "starts_at__date")
        .first()
    )
    day = busiest["starts_at__date"] if busiest else timezone.localdate()
    return reverse("booking:day", args=[location.pk]) + f"?date={day:%Y-%m-%d}"


def _wait_until_up(url: str, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            _get(url, timeout=60)
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer {url} within {seconds:.0f} s")


def _warm_up(plan: dict, *, rounds: int) -> None:
    """Every path a few times per worker before the clock runs (first requests import views
    and compile templates); each must answer 200."""
    role_of = {
        "plan live screening panel": "therapist",
        "report activity, one year": "manager",
    }
    for _ in range(rounds):
        for name, path in plan["paths"].items():
            key = plan["sessions"][role_of.get(name, "therapist")][0]
            url = plan["host"] + path
            try:
                status = _get(url, cookie=f"{plan['cookie_name']}={key}", timeout=120)
            except urllib.error.HTTPError as exc:
                status = exc.code
            if status != 200:
                raise RuntimeError(f"{name} ({path}): status {status} before the load stage")


def _stop(process: subprocess.Popen, *, grace: float = 10) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


def _read_stats(prefix: str) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _ms(row: dict, column: str) -> float | None:
    value = row.get(column, "N/A")
    return None if value in ("N/A", "") else float(value)


def _database_url() -> str:
    """DATABASE_URL for the server: the database this process is connected to."""
    from urllib.parse import quote

    from django.db import connection

    if connection.vendor != "postgresql":
        return os.environ.get("DATABASE_URL", "")
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def measure_load(
    *, users: tuple[int, ...] = (10, 40), seconds: int = 30, port: int = 8800, workers: int = 4
) -> list[Entry]:
    if not 8800 <= port <= 8809:
        raise ValueError("the load stage uses ports 8800-8809")
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    plan_file = work / "plan.json"
    plan = _plan(max(users), port)
    plan_file.write_text(json.dumps(plan))
    env = {
        **os.environ,
        "BENCH_LOAD_PLAN": str(plan_file),
        "PYTHONPATH": str(ROOT),
        # The database this process measures (under the tests, the test database, not the
        # one DATABASE_URL names).
        "DATABASE_URL": _database_url(),
    }
    venv_bin = Path(sys.executable).parent
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(venv_bin / "gunicorn"),
            "bench.load_wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
            "--log-level",
            "warning",
            "--preload",
        ],
        cwd=ROOT,
        env=env,
        stdout=open(work / "gunicorn.log", "w"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
    )
    entries: list[Entry] = []
    try:
        _wait_until_up(f"http://{HOST}:{port}/health/", seconds=120)
        _warm_up(plan, rounds=2 * workers)
        for count in users:
            prefix = str(work / f"users{count}")
            locust = subprocess.Popen(  # noqa: S603 - fixed arguments
                [
                    str(venv_bin / "locust"),
                    "-f",
                    str(BENCH_DIR / "locustfile.py"),
                    "--headless",
                    "--host",
                    f"http://{HOST}:{port}",
                    "-u",
                    str(count),
                    "-r",
                    str(count),
                    "-t",
                    f"{seconds}s",
                    "--stop-timeout",
                    "5",
                    "--csv",
                    prefix,
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env=env,
                stdout=open(f"{prefix}.log", "w"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
            )
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            try:
                locust.wait(timeout=seconds + 60)
            finally:
                _stop(locust)
            # The server is still running: the children's CPU since then is locust's.
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            entries += _entries(count, _read_stats(prefix), seconds, generator_cpu=cpu)
    finally:
        _stop(server)
    return entries


def _entries(
    count: int, rows: list[dict], seconds: int, *, generator_cpu: float | None = None
) -> list[Entry]:
    by_name = {row["Name"]: row for row in rows}
    floor = by_name.get("floor: password_change_done")
    floor_p95 = _ms(floor, "95%") if floor else None
    out = []
    for name in LOAD_PATHS:
        row = by_name.get(name)
        if row is None:
            continue
        p95 = _ms(row, "95%")
        out.append(
            Entry(
                name=f"load {count} users: {name}",
                p50_ms=_ms(row, "50%"),
                p95_ms=p95,
                ratio_to_floor=round(p95 / floor_p95, 2) if p95 and floor_p95 else None,
                value=round(float(row["Requests/s"]), 1),
                unit="req/s",
                note=(
                    f"p99 {row['99%']} ms; {row['Request Count']} requests, "
                    f"{row['Failure Count']} failed"
                ),
            )
        )
    total = by_name.get("Aggregated")
    if total is not None:
        out.append(
            Entry(
                name=f"load {count} users: all requests",
                p50_ms=_ms(total, "50%"),
                p95_ms=_ms(total, "95%"),
                value=round(float(total["Requests/s"]), 1),
                unit="req/s",
                note=(
                    f"{seconds} s; p99 {total['99%']} ms; {total['Request Count']} requests, "
                    f"{total['Failure Count']} failed"
                    + (
                        f"; load generator {generator_cpu:.1f} s of CPU"
                        if generator_cpu is not None
                        else ""
                    )
                ),
            )
        )
    return out
