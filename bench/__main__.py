"""``python -m bench [--scale 0.1] [--seed] [--requests 50]``: run the benchmark.

Writes ``bench/results.json`` (a list of entries) and prints a table. Query counts of each run
are kept per scale in ``bench/queries-<scale>.json``; when the other scale's file exists, any
key path whose query count differs is reported (query counts must not grow with the data).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import django


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full data set")
    parser.add_argument("--seed", action="store_true", help="(re)build the scale data first")
    parser.add_argument("--patients", type=int, default=None, help="patients at scale 1.0")
    parser.add_argument("--sessions", type=int, default=None, help="sessions at scale 1.0")
    parser.add_argument("--requests", type=int, default=100, help="timed rounds (>= 50)")
    parser.add_argument("--screening-seconds", type=float, default=3.0)
    parser.add_argument("--pdf-repeats", type=int, default=5)
    parser.add_argument("--booking-threads", type=int, default=4)
    parser.add_argument("--booking-attempts", type=int, default=25)
    parser.add_argument("--no-exports", dest="exports", action="store_false")
    parser.add_argument(
        "--load-users",
        default="10,40",
        help="concurrent users per load step, comma-separated; empty for no load stage",
    )
    parser.add_argument("--load-seconds", type=int, default=60, help="length of each step")
    parser.add_argument("--load-port", type=int, default=8800)
    parser.add_argument("--load-workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--pdf-approvals", type=int, default=20, help="approvals timed to their PDF (0: none)"
    )
    parser.add_argument(
        "--out",
        default=None,
        help="results file (default bench/results.json); query counts go beside it",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from django.db import connection

    from bench import harness
    from bench.scale import seed_scale

    patients = args.patients or harness.env_int("BENCH_PATIENTS", 100_000)
    sessions = args.sessions or harness.env_int("BENCH_SESSIONS", 1_000_000)
    if args.seed:
        seed_scale(
            patients=max(1, round(patients * args.scale)),
            sessions=round(sessions * args.scale),
            reset=True,
        )
    from clinic.booking.models import Appointment
    from patients.models import Patient

    size = {"patients": Patient.objects.count(), "appointments": Appointment.objects.count()}
    print(f"database: {connection.vendor}; data: {size}; scale {args.scale:g}")

    entries = harness.measure_pages(requests=args.requests)
    entries.append(harness.measure_screening(args.screening_seconds))
    entries += harness.measure_pdf(repeats=args.pdf_repeats)
    if connection.vendor == "postgresql" and args.booking_threads > 0:
        entries += harness.measure_booking(
            threads=args.booking_threads, attempts=args.booking_attempts
        )
    load_users = tuple(int(n) for n in args.load_users.split(",") if n.strip())
    if connection.vendor == "postgresql" and load_users:
        from bench.load import measure_load

        entries += measure_load(
            users=load_users,
            seconds=args.load_seconds,
            port=args.load_port,
            workers=args.load_workers,
        )
    if args.pdf_approvals > 0:
        # Last but the exports: it adds plan versions (the key paths' heavy plan stays a draft).
        from bench.pdf_latency import measure_pdf_latency

        entries += measure_pdf_latency(repeats=args.pdf_approvals)
    if args.exports:
        import tempfile

        entries += harness.measure_exports(work_dir=tempfile.gettempdir())

    out = Path(args.out or harness.OUT_DIR / "results.json")
    out_dir = out.parent
    counts = {e.name: e.queries for e in entries if e.queries is not None}
    (out_dir / f"queries-{args.scale:g}.json").write_text(
        json.dumps({"size": size, "queries": counts}, indent=2) + "\n"
    )
    others = sorted(out_dir.glob("queries-*.json"))
    growth = []
    for other in others:
        if other.name == f"queries-{args.scale:g}.json":
            continue
        theirs = json.loads(other.read_text())
        for name, mine in counts.items():
            if name in theirs["queries"] and theirs["queries"][name] != mine:
                growth.append(f"{name}: {theirs['queries'][name]} ({other.stem}) vs {mine}")
        entries.append(
            harness.Entry(
                name=f"query counts differing from {other.stem}",
                value=len(growth),
                unit="paths",
                note="; ".join(growth) or "identical",
            )
        )
    results = [e.as_dict() for e in entries]
    with open(out, "w") as handle:
        json.dump(results, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    harness.print_table(entries)
    for e in entries:
        if e.note and e.value is None and e.p50_ms is None:
            print(f"  {e.name}: {e.note}")
    for line in growth:
        print(f"  query count differs: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
