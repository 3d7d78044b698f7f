"""The benchmark: key paths (p50/p95, SQL queries, ratio to a floor view) and other figures.

Every page is requested in-process with ``django.test.Client`` (``force_login``) inside
``CaptureQueriesContext``; the floor is ``password_change_done``, a logged-in page that does
nothing, measured in the same run. See docs/performance.md for the method and the figures.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from django.core import signals
from django.db import close_old_connections, connection, connections
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

OUT_DIR = Path(__file__).resolve().parent


@dataclass
class Entry:
    name: str
    p50_ms: float | None = None
    p95_ms: float | None = None
    queries: int | None = None
    ratio_to_floor: float | None = None
    value: float | None = None
    unit: str | None = None
    note: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def prepare_path(client: Client, url: str, *, status: int = 200) -> int:
    """Two warm-up requests (checking the status), then one inside CaptureQueriesContext:
    the path's query count."""
    for _ in range(2):
        response = client.get(url)
        if response.status_code != status:
            raise AssertionError(f"{url}: status {response.status_code}, expected {status}")
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    # Read now: the next request's request_started signal clears the query log.
    return len(captured.captured_queries)


def time_paths(targets: list[tuple[Client, str]], *, requests: int) -> list[list[float]]:
    """``requests`` rounds, each requesting every target once, in order; milliseconds per
    target. Interleaved, so a burst of load on this shared machine falls on every path and
    on the floor alike instead of on whichever path happened to be measured then."""
    timings: list[list[float]] = [[] for _ in targets]
    for _ in range(requests):
        for index, (client, url) in enumerate(targets):
            started = time.perf_counter()
            client.get(url)
            timings[index].append((time.perf_counter() - started) * 1000)
    return timings


def key_paths() -> list[tuple[str, str, object, int]]:
    """(name, url, user, expected status) for each key path, on the scale data."""
    from bench.scale import HEAVY_FIRST, HEAVY_LAST
    from clinic.booking.models import Appointment
    from clinic.staff.models import User
    from needling.plans.models import TreatmentPlan
    from patients.models import Patient

    manager = User.objects.get(username="manager")
    # The busiest location on the busiest recent weekday (scale data ends yesterday).
    busiest = (
        Appointment.objects.filter(starts_at__gte=timezone.now() - dt.timedelta(days=14))
        .values("location", "starts_at__date")
        .annotate(n=Count("pk"))
        .order_by("-n", "location")
        .first()
    )
    if busiest is None:
        busiest = (
            Appointment.objects.values("location", "starts_at__date")
            .annotate(n=Count("pk"))
            .order_by("-n", "location")
            .first()
        )
    heavy = Patient.objects.get(first_name=HEAVY_FIRST, last_name=HEAVY_LAST)
    plan = TreatmentPlan.objects.filter(patient=heavy).select_related("practitioner").first()
    paths = [
        (
            "calendar day, busiest location",
            reverse("booking:day", args=[busiest["location"]])
            + f"?date={busiest['starts_at__date']:%Y-%m-%d}",
            manager,
            200,
        ),
        ("patient search by name prefix", reverse("patients:list") + "?q=mart", manager, 200),
        (
            "patient page, 200 sessions",
            reverse("patients:detail", args=[heavy.pk]),
            manager,
            200,
        ),
        ("login redirect (logged in)", reverse("login"), manager, 302),
    ]
    from clinic.reports.registry import all_reports

    today = timezone.localdate()
    year = f"?start={today - dt.timedelta(days=364):%Y-%m-%d}&end={today:%Y-%m-%d}"
    for report in all_reports():
        url = reverse("reports:report", args=[report.slug]) + year
        paths.append((f"report {report.slug}, one year", url, manager, 200))
    if plan is not None:
        paths += [
            ("plan editor", reverse("needling:plan_edit", args=[plan.pk]), plan.practitioner, 200),
            (
                "plan live screening panel",
                reverse("needling:plan_workspace", args=[plan.pk]),
                plan.practitioner,
                200,
            ),
        ]
    return paths


def measure_pages(*, requests: int) -> list[Entry]:
    from clinic.staff.models import User

    clients: dict[int, Client] = {}

    def client_for(user) -> Client:
        if user.pk not in clients:
            clients[user.pk] = Client()
            clients[user.pk].force_login(user)
        return clients[user.pk]

    # As in Django's TestCase: keep one connection for the run (what CONN_MAX_AGE gives a
    # server) so that the captured queries belong to the request and no reconnect is timed.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        manager = User.objects.get(username="manager")
        paths = [("floor: password_change_done", reverse("password_change_done"), manager, 200)]
        paths += key_paths()
        targets, entries = [], []
        for name, url, user, status in paths:
            client = client_for(user)
            queries = prepare_path(client, url, status=status)
            targets.append((client, url))
            entries.append(Entry(name=name, queries=queries, note=url))
        for entry, timings in zip(entries, time_paths(targets, requests=requests), strict=True):
            entry.p50_ms = round(statistics.median(timings), 2)
            entry.p95_ms = round(_percentile(timings, 0.95), 2)
        floor = entries[0]
        floor.note = None
        for entry in entries:
            entry.ratio_to_floor = round(entry.p95_ms / floor.p95_ms, 2)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return entries


def measure_screening(seconds: float) -> Entry:
    from bench.screening_throughput import measure

    return Entry(name="screening engine throughput", value=round(measure(seconds)), unit="eval/s")


def measure_pdf(*, repeats: int) -> list[Entry]:
    from weasyprint import HTML

    from needling.plans.documents import load_plan_for_document, render_plan_pdf
    from needling.plans.models import TreatmentPlan
    from needling.plans.screening import screen_plan

    # Only an approved plan prints (the demo seed approves one).
    plan_id = (
        TreatmentPlan.objects.filter(status="approved")
        .order_by("created_at")
        .values_list("pk", flat=True)
        .first()
    )
    if plan_id is None:
        return []

    def plan_pdf() -> bytes:
        plan = load_plan_for_document(plan_id)
        return render_plan_pdf(plan, screen_plan(plan))

    def one_line() -> bytes:
        return HTML(string="<p>One line.</p>").write_pdf()

    def best(fn) -> float:
        fn()  # warm-up: fonts and stylesheets
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    base = best(one_line)
    plan_ms = best(plan_pdf)
    return [
        Entry(name="PDF one-line page (WeasyPrint)", value=round(base, 1), unit="ms"),
        Entry(
            name="PDF plan render",
            value=round(plan_ms, 1),
            unit="ms",
            ratio_to_floor=round(plan_ms / base, 2),
            note="ratio_to_floor here is the ratio to the one-line WeasyPrint page",
        ),
    ]


def measure_booking(*, threads: int, attempts: int, seed: int = 7) -> list[Entry]:
    """Threads (each with its own database connection) book random slots on one future day
    through the booking service; then a SQL check counts overlapping active appointments."""
    from clinic.booking.models import Appointment, AppointmentType
    from clinic.booking.services import appointment_book
    from clinic.staff.models import User
    from patients.models import Patient

    manager = User.objects.get(username="manager")
    staff = list(
        User.objects.filter(username__startswith="scale-t0-")
        .order_by("username")
        .prefetch_related("locations")
    )
    location = staff[0].locations.get()
    rooms = list(location.rooms.order_by("pk"))
    kind = AppointmentType.objects.filter(is_dn=True).order_by("duration_minutes").first()
    patients = list(Patient.objects.order_by("pk").values_list("pk", flat=True)[:200])
    day = timezone.localdate() + dt.timedelta(days=60)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    import zoneinfo

    zone = zoneinfo.ZoneInfo(location.time_zone)
    starts = [
        dt.datetime(day.year, day.month, day.day, h, m, tzinfo=zone)
        for h in (8, 9, 10, 11, 13, 14, 15, 16)
        for m in (0, 15, 30)
    ]
    counts = {"booked": 0, "refused": 0}
    lock = threading.Lock()

    def worker(index: int) -> None:
        rng = random.Random(seed + index)
        try:
            for _ in range(attempts):
                patient = Patient.objects.get(pk=rng.choice(patients))
                try:
                    appointment_book(
                        location=location,
                        patient=patient,
                        appointment_type=kind,
                        therapist=rng.choice(staff),
                        room=rng.choice(rooms),
                        starts_at=rng.choice(starts),
                        booked_by=manager,
                        override_reason="benchmark",
                    )
                    outcome = "booked"
                except Exception:  # SlotTaken or a validation refusal: not booked
                    outcome = "refused"
                with lock:
                    counts[outcome] += 1
        finally:
            connections.close_all()

    Appointment.objects.filter(location=location, starts_at__date=day).delete()
    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    seconds = time.perf_counter() - started
    close_old_connections()
    overlaps = count_overlaps()
    Appointment.objects.filter(location=location, starts_at__date=day).delete()
    total = counts["booked"] + counts["refused"]
    return [
        Entry(
            name=f"booking throughput, {threads} concurrent clients",
            value=round(total / seconds, 1),
            unit="attempts/s",
            note=f"{counts['booked']} booked, {counts['refused']} refused in {seconds:.1f}s",
        ),
        Entry(name="double-booked slots after the booking run", value=overlaps, unit="rows"),
    ]


_OVERLAPS_SQL = (
    "SELECT COUNT(*) FROM (SELECT starts_at, MAX(ends_at) OVER ("
    "PARTITION BY KEY ORDER BY starts_at, id "
    "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest_end "
    "FROM clinic_appointment "
    "WHERE status IN ('booked', 'checked_in', 'completed')) AS ordered "
    "WHERE starts_at < latest_end"
)


def count_overlaps() -> int:
    """Active appointments that overlap an earlier active appointment of the same therapist,
    plus those overlapping one in the same room (0 when nothing is double-booked).

    A window over each therapist's (room's) rows in start order: a row overlaps an earlier
    one exactly when it starts before the latest end among the rows before it. O(n log n),
    so it runs on a million rows, on PostgreSQL and SQLite alike.
    """
    total = 0
    for sql in (
        _OVERLAPS_SQL.replace("KEY", "therapist_id"),
        _OVERLAPS_SQL.replace("KEY", "room_id"),
    ):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            total += cursor.fetchone()[0]
    return total


def print_table(entries: list[Entry]) -> None:
    header = f"{'name':<46} {'p50 ms':>9} {'p95 ms':>9} {'queries':>7} {'x floor':>8} {'value':>12}"
    print(header)
    print("-" * len(header))
    for e in entries:

        def fmt(v, spec):
            return format(v, spec) if v is not None else "-"

        value = f"{e.value:g} {e.unit}" if e.value is not None else "-"
        print(
            f"{e.name[:46]:<46} {fmt(e.p50_ms, '9.2f'):>9} {fmt(e.p95_ms, '9.2f'):>9} "
            f"{fmt(e.queries, '7d'):>7} {fmt(e.ratio_to_floor, '8.2f'):>8} {value:>12}"
        )


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def measure_exports(*, work_dir: str) -> list[Entry]:
    """CSV and XLSX export of every session row (the sessions report), each in its own process
    (seconds and peak RSS)."""
    import json
    import subprocess
    import sys

    entries = []
    for fmt in ("csv", "xlsx"):
        path = os.path.join(work_dir, f"bench-export.{fmt}")
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.export", fmt, path],
            check=True,
            capture_output=True,
            text=True,
            cwd=OUT_DIR.parent,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        size = os.path.getsize(path)
        os.remove(path)
        note = f"{figures['rows']} rows, {size / 1e6:.1f} MB file"
        entries += [
            Entry(
                name=f"{fmt.upper()} export, all session rows",
                value=round(figures["seconds"], 2),
                unit="s",
                note=note,
            ),
            Entry(
                name=f"{fmt.upper()} export peak RSS",
                value=round(figures["peak_rss_mb"], 1),
                unit="MB",
                note=note,
            ),
        ]
    return entries
