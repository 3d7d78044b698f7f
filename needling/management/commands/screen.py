"""`screen CASE.json` (or `-`) as a Django command, for `call_command` and django-admin.

`manage.py screen` does not come here: manage.py runs needling.screen_cli before Django
loads settings, so the command works on a fresh checkout with no SECRET_KEY or database.
Both paths share needling.screen_cli.run.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from needling.screening.cli import HELP, run


class Command(BaseCommand):
    help = HELP
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser) -> None:
        parser.add_argument("case", help="path to a JSON file, or - for standard input")

    def handle(self, *args, case: str, **options) -> None:
        status = run(case, stdin=sys.stdin, stdout=self.stdout, stderr=sys.stderr)
        if status:
            raise SystemExit(status)
