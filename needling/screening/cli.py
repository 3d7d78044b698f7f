"""The screening contract on the command line: `manage.py screen CASE.json` (or `-`).

Prints the result as JSON and exits 0; input that breaks the contract prints one line naming
the field on standard error and exits 2. The screening engine is a pure function, so this
module imports nothing from Django: manage.py runs it before settings are loaded, which is
why the command needs no SECRET_KEY, DEBUG or database. It applies the contract's default
policy and the shipped muscle catalogue.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from needling.screening import ContractError, evaluate_json

HELP = "Screen one DN case (or a JSON array of cases) against the contraindication rules."


class _BadInput(Exception):
    pass


def build_parser(prog: str = "manage.py screen") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=HELP)
    parser.add_argument("case", help="path to a JSON file, or - for standard input")
    return parser


def screen_text(text: str) -> str:
    """The JSON answer for one case or a batch, or _BadInput naming what is wrong."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _BadInput(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise _BadInput("not valid JSON: nested too deeply") from None
    try:
        result = evaluate_json(data)
    except ContractError as exc:
        raise _BadInput(str(exc)) from None
    return json.dumps(result, indent=2)


def run(case: str, *, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Screen the case at path `case` (or stdin for `-`); the process exit status."""
    try:
        if case == "-":
            text = stdin.read()
        else:
            try:
                with open(case, encoding="utf-8") as handle:
                    text = handle.read()
            except OSError as exc:
                raise _BadInput(f"{case}: cannot read the file ({exc.strerror or exc})") from None
        answer = screen_text(text)
    except _BadInput as exc:
        # One line, no traceback: the caller is a script or an auditor's shell.
        stderr.write(f"bad input: {' '.join(str(exc).split())}\n")
        return 2
    stdout.write(answer + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    options = build_parser().parse_args(argv)
    return run(options.case, stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr)
