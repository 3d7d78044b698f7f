"""``manage.py rollups --check | --rebuild``: the report roll-ups against the rows."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from clinic.reports.rollups import rollup_check, rollup_rebuild


class Command(BaseCommand):
    help = (
        "Check the report roll-ups against a fresh count over the rows (exit 1 on any "
        "difference), or rebuild them from the rows."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--check", action="store_true", help="Compare with the rows.")
        group.add_argument("--rebuild", action="store_true", help="Recompute from the rows.")

    def handle(self, *args, check: bool, rebuild: bool, **options):
        started = time.monotonic()
        if rebuild:
            written = rollup_rebuild()
            rows = ", ".join(f"{table} {n}" for table, n in written.items())
            self.stdout.write(f"rebuilt in {time.monotonic() - started:.1f}s: {rows}")
            return
        differences = rollup_check()
        for d in differences:
            self.stdout.write(f"{d.table} {d.key}: stored {d.stored}, counted {d.counted}")
        if differences:
            raise CommandError(f"{len(differences)} roll-up rows differ from the rows.")
        self.stdout.write(f"roll-ups in step with the rows ({time.monotonic() - started:.1f}s)")
