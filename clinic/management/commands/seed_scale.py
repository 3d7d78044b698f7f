"""``manage.py seed_scale --patients N --sessions M [--reset]``: the benchmark's scale data."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from bench.scale import AlreadySeeded, seed_scale


class Command(BaseCommand):
    help = "Build the scale data set for the benchmark on top of the demo seed (bulk inserts)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=100_000)
        parser.add_argument("--sessions", type=int, default=1_000_000)
        parser.add_argument("--reset", action="store_true", help="Delete scale data first.")
        parser.add_argument(
            "--approve-plans",
            action="store_true",
            help="Only approve the draft scale plans the engine clears (data seeded before).",
        )

    def handle(self, *args, patients: int, sessions: int, reset: bool, **options):
        if options["approve_plans"]:
            from bench.courses import approve_scale_plans

            approve_scale_plans(log=self.stdout.write)
            return
        if patients < 1 or sessions < 0:
            raise CommandError("--patients must be at least 1 and --sessions at least 0.")
        started = time.monotonic()
        try:
            result = seed_scale(
                patients=patients, sessions=sessions, reset=reset, log=self.stdout.write
            )
        except AlreadySeeded as exc:
            raise CommandError(str(exc)) from exc
        steps = ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items())
        self.stdout.write(f"done in {time.monotonic() - started:.1f}s ({steps})")
