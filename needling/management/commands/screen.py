"""`manage.py screen CASE.json` (or `-`): the screening contract on the command line.

Prints the result as JSON and exits 0; input that breaks the contract prints one line naming
the field on standard error and exits 2. It never touches the database: it applies the
contract's default policy and the shipped muscle catalogue.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand

from needling.screening import ContractError, evaluate_json


class Command(BaseCommand):
    help = "Screen one DN case (or a JSON array of cases) against the contraindication rules."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser) -> None:
        parser.add_argument("case", help="path to a JSON file, or - for standard input")

    def handle(self, *args, case: str, **options) -> None:
        try:
            if case == "-":
                text = sys.stdin.read()
            else:
                with open(case, encoding="utf-8") as handle:
                    text = handle.read()
        except OSError as exc:
            self._fail(f"{case}: cannot read the file ({exc.strerror or exc})")
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            self._fail(f"not valid JSON: {exc}")
        except RecursionError:
            self._fail("not valid JSON: nested too deeply")
        try:
            result = evaluate_json(data)
        except ContractError as exc:
            self._fail(str(exc))
        self.stdout.write(json.dumps(result, indent=2))

    def _fail(self, message: str) -> None:
        # One line, no traceback: the caller is a script or an auditor's shell.
        sys.stderr.write(f"bad input: {' '.join(message.split())}\n")
        raise SystemExit(2)
