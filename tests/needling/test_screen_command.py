"""`manage.py screen`: the contract on the command line, without a database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.contract_example import EXAMPLE

ROOT = Path(__file__).resolve().parents[2]


# A fresh checkout's shell: no SECRET_KEY, no DEBUG, no settings module. A database URL that
# cannot be opened proves the command never touches the database.
CLEAN_ENV = {"PATH": os.environ["PATH"], "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}


def screen(
    stdin: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    env = CLEAN_ENV if env is None else env
    return subprocess.run(
        [sys.executable, "manage.py", "screen", *(args or ("-",))],
        input=stdin,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_contract_example_gives_the_documented_answer():
    result = screen(json.dumps(EXAMPLE))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["decision"] == "override_required"
    assert answer["cpt_code"] == "20560"
    assert answer["ignored_overrides"] == []
    assert [
        (f["rule"], f["severity"], f["sites"], f.get("overridden")) for f in answer["findings"]
    ] == [
        ("anticoagulant", "relative", [], True),
        (
            "estim_cardiac_device",
            "relative",
            [{"muscle": "gluteus_medius", "side": "right"}],
            False,
        ),
        ("lung_field", "precaution", [{"muscle": "upper_trapezius", "side": "left"}], None),
    ]


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"PATH": os.environ["PATH"]}, id="nothing-set"),
        pytest.param(
            {**CLEAN_ENV, "DEBUG": "0", "DJANGO_SETTINGS_MODULE": "clinic.settings"}, id="debug-0"
        ),
        pytest.param({**CLEAN_ENV, "DEBUG": "not-a-bool"}, id="malformed-settings"),
    ],
)
def test_it_needs_no_secret_key_debug_or_database(env):
    result = screen(json.dumps(EXAMPLE), env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["decision"] == "override_required"
    assert "SECRET_KEY" not in result.stderr


def test_help_names_the_argument():
    result = screen("", "--help")
    assert result.returncode == 0
    assert "path to a JSON file" in result.stdout


def test_the_django_command_gives_the_same_answer(capsys):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stdin", StringIO(json.dumps(EXAMPLE)))
        call_command("screen", "-", stdout=out)
    assert json.loads(out.getvalue()) == json.loads(screen(json.dumps(EXAMPLE)).stdout)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stdin", StringIO("{"))
        with pytest.raises(SystemExit) as exit_:
            call_command("screen", "-", stdout=StringIO())
    assert exit_.value.code == 2
    assert capsys.readouterr().err.startswith("bad input: not valid JSON")


def test_it_reads_a_file_and_screens_a_batch_in_order(tmp_path):
    blocked = json.loads(json.dumps(EXAMPLE))
    blocked["patient"]["consent_signed_on"] = None
    path = tmp_path / "day.json"
    path.write_text(json.dumps([EXAMPLE, blocked]))
    result = screen("", str(path))
    assert result.returncode == 0, result.stderr
    decisions = [r["decision"] for r in json.loads(result.stdout)]
    assert decisions == ["override_required", "blocked"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda c: c["sites"][0].update(muscle="biceps_femoris_long"), "sites[0].muscle"),
        (lambda c: c.update(session_date="2026-02-30"), "session_date"),
        (
            lambda c: c["patient"]["screening"].update(epilepsy="sometimes"),
            "patient.screening.epilepsy",
        ),
        (lambda c: c.update(extra_field=True), "extra_field"),
        (lambda c: c["overrides"][0].update(reason="too short"), "overrides[0].reason"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_field(mutate, expected):
    case = json.loads(json.dumps(EXAMPLE))
    mutate(case)
    result = screen(json.dumps(case))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]
    assert "Traceback" not in result.stderr


def test_one_bad_case_in_a_batch_names_its_index():
    bad = json.loads(json.dumps(EXAMPLE))
    bad["sites"] = []
    result = screen(json.dumps([EXAMPLE, EXAMPLE, bad]))
    assert result.returncode == 2
    assert "[2].sites" in result.stderr


@pytest.mark.parametrize("text", ["", "{", "[1, 2", "nul", '"just a string"', "42"])
def test_malformed_json_exits_2(text):
    result = screen(text)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_file_exits_2(tmp_path):
    result = screen("", str(tmp_path / "nope.json"))
    assert result.returncode == 2
    assert "cannot read the file" in result.stderr


def test_a_midline_lung_risk_site_is_blocked_on_the_command_line_too():
    """Catalogue v2 through the CLI: the same engine as the plan panel, API and PDF."""
    import copy

    case = copy.deepcopy(EXAMPLE)
    case["sites"] = [{"muscle": "rhomboids", "side": "midline"}]
    case["patient"]["screening"]["anticoagulant"]["inr_on"] = "2026-03-11"  # after the session
    result = screen(json.dumps(case))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["decision"] == "blocked"
    rules = [f["rule"] for f in answer["findings"]]
    assert "bilateral_thorax" in rules and "anticoagulant_uncontrolled" in rules
