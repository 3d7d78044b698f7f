"""The screening contract's JSON: the documented example, strict parsing, batches."""

import copy
from datetime import date

import pytest

from needling.knowledge.catalogue import MUSCLES_BY_CODE
from needling.screening import ContractError, evaluate_json, parse_case, parse_cases
from tests.contract_example import EXAMPLE

MINIMAL = {
    "session_date": "2026-03-10",
    "patient": {"date_of_birth": "1984-02-29"},
    "sites": [{"muscle": "gluteus_medius", "side": "right"}],
}


DELETE = object()


def changed(obj, path, value):
    """A deep copy of ``obj`` with the value at ``path`` replaced (or deleted)."""
    out = copy.deepcopy(obj)
    target = out
    for step in path[:-1]:
        target = target[step]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


def without_messages(result: dict) -> dict:
    findings = [{k: v for k, v in f.items() if k != "message"} for f in result["findings"]]
    return result | {"findings": findings}


def test_the_documented_example_gives_the_documented_answer():
    result = evaluate_json(copy.deepcopy(EXAMPLE))
    assert without_messages(result) == {
        "decision": "override_required",
        "findings": [
            {"rule": "anticoagulant", "severity": "relative", "sites": [], "overridden": True},
            {
                "rule": "estim_cardiac_device",
                "severity": "relative",
                "sites": [{"muscle": "gluteus_medius", "side": "right"}],
                "overridden": False,
            },
            {
                "rule": "lung_field",
                "severity": "precaution",
                "sites": [{"muscle": "upper_trapezius", "side": "left"}],
            },
        ],
        "ignored_overrides": [],
        "cpt_code": "20560",
    }
    assert list(result) == ["decision", "findings", "ignored_overrides", "cpt_code"]
    assert [list(f) for f in result["findings"]] == [
        ["rule", "severity", "sites", "overridden", "message"],
        ["rule", "severity", "sites", "overridden", "message"],
        ["rule", "severity", "sites", "message"],
    ]
    assert all(f["message"] for f in result["findings"])


def test_parsing_the_example_reads_every_fact():
    case = parse_case(EXAMPLE)
    assert case.session_date == date(2026, 3, 10)
    assert case.dn_certified_until == date(2027, 6, 30)
    assert case.screening.anticoagulant.inr == 2.4
    assert case.screening.lymphedema[0].limb == "upper"
    assert case.screening.surgeries[0].on == date(2026, 1, 20)
    assert [(s.muscle, s.side, s.estim) for s in case.sites] == [
        ("upper_trapezius", "left", False),
        ("gluteus_medius", "right", True),
    ]
    assert case.overrides[0].rule == "anticoagulant"


def test_a_minimal_case_fails_closed_on_every_missing_fact():
    result = evaluate_json(MINIMAL)
    assert [f["rule"] for f in result["findings"]] == [
        "consent_missing",
        "practitioner_not_certified",
        "screening_stale",
    ]
    assert result["decision"] == "blocked"


def test_an_empty_screening_takes_the_contract_defaults():
    case = parse_case(
        MINIMAL | {"patient": {"date_of_birth": "1984-02-29", "screening": {}}},
    )
    assert case.screening.epilepsy == "none"
    assert case.screening.anticoagulant is None
    assert case.screening.willing_to_proceed is False
    assert case.screening.infections == ()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("practitioner",), None),
        (("practitioner", "dn_certified_until"), None),
        (("patient", "consent_signed_on"), None),
        (("patient", "screening", "pregnancy_due_date"), None),
        (("patient", "screening", "anticoagulant"), None),
        (("patient", "screening", "anticoagulant", "inr"), None),
        (("patient", "screening", "anticoagulant", "inr_on"), None),
        (("patient", "screening", "anticoagulant", "inr_target_low"), None),
        (("patient", "screening", "anticoagulant", "last_dose_change_on"), None),
        (("patient", "screening", "anticoagulant", "inr"), 3),
    ],
)
def test_nullable_fields_accept_null(path, value):
    assert isinstance(evaluate_json(changed(EXAMPLE, path, value)), dict)


@pytest.mark.parametrize(
    "path",
    [
        ("practitioner",),
        ("overrides",),
        ("patient", "consent_signed_on"),
        ("patient", "screening", "anticoagulant"),
        ("patient", "screening", "anticoagulant", "inr_target_high"),
        ("sites", 0, "estim"),
        ("patient", "screening", "surgeries", 0, "joint_replacement"),
    ],
)
def test_optional_fields_may_be_absent(path):
    assert isinstance(evaluate_json(changed(EXAMPLE, path, DELETE)), dict)


def test_the_screening_may_be_absent_only_without_a_screening_date():
    no_screening = changed(EXAMPLE, ("patient", "screening"), DELETE)
    with pytest.raises(ContractError, match=r"^patient\.screening: required when screened_on"):
        parse_case(no_screening)
    never_screened = changed(no_screening, ("patient", "screened_on"), None)
    assert "screening_stale" in {f["rule"] for f in evaluate_json(never_screened)["findings"]}


SCREENING = ("patient", "screening")
DRUG = (*SCREENING, "anticoagulant")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("session_date",), DELETE, "session_date: required field"),
        (("patient",), DELETE, "patient: required field"),
        (("sites",), DELETE, "sites: required field"),
        (("patient", "date_of_birth"), DELETE, "patient.date_of_birth: required field"),
        (("session_date",), None, "session_date: expected a date as YYYY-MM-DD"),
        (("session_date",), "2026-3-10", "session_date: expected a date as YYYY-MM-DD"),
        (("session_date",), "20260310", "session_date: expected a date as YYYY-MM-DD"),
        (("session_date",), "2026-03-10T09:00", "session_date: expected a date as YYYY-MM-DD"),
        (("session_date",), "2026-W11-2", "session_date: expected a date as YYYY-MM-DD"),
        (("session_date",), "２０２６-03-10", "session_date: expected a date as YYYY-MM-DD"),
        (("session_date",), 20260310, "session_date: expected a date as YYYY-MM-DD"),
        (("session_date",), "2026-02-29", "session_date: not a real calendar date"),
        (("session_date",), "0000-01-01", "session_date: not a real calendar date"),
        (("patient", "date_of_birth"), "1984-13-01", "patient.date_of_birth: not a real"),
        (("practitioner",), "2027-06-30", "practitioner: expected an object"),
        (("practitioner", "dn_certified_until"), "soon", "practitioner.dn_certified_until: "),
        (("patient",), [], "patient: expected an object"),
        (("patient", "screened_on"), False, "patient.screened_on: expected a date"),
        ((*DRUG, "inr"), "2.4", "patient.screening.anticoagulant.inr: expected a number"),
        ((*DRUG, "inr"), True, "patient.screening.anticoagulant.inr: expected a number"),
        ((*DRUG, "inr"), float("nan"), "patient.screening.anticoagulant.inr: expected a finite"),
        ((*DRUG, "inr"), 10**400, "patient.screening.anticoagulant.inr: number out of range"),
        ((*DRUG, "inr_target_low"), "2", "patient.screening.anticoagulant.inr_target_low: "),
        ((*DRUG, "vitamin_k_antagonist"), 1, "anticoagulant.vitamin_k_antagonist: expected true"),
        ((*DRUG, "recent_bleeding"), None, "anticoagulant.recent_bleeding: expected true or"),
        ((*DRUG, "drug"), 5, "patient.screening.anticoagulant.drug: expected a string"),
        ((*DRUG, "dose"), 5, "patient.screening.anticoagulant.dose: unknown field"),
        ((*DRUG,), True, "patient.screening.anticoagulant: expected an object"),
        ((*SCREENING, "needle_phobia"), 0, "patient.screening.needle_phobia: expected true or"),
        ((*SCREENING, "needle_phobia"), "false", "patient.screening.needle_phobia: expected"),
        ((*SCREENING, "diabetes"), None, "patient.screening.diabetes: expected true or false"),
        ((*SCREENING, "needle_fobia"), False, "patient.screening.needle_fobia: unknown field"),
        ((*SCREENING, "epilepsy"), "sometimes", "patient.screening.epilepsy: expected one of"),
        ((*SCREENING, "epilepsy"), None, "patient.screening.epilepsy: expected one of"),
        ((*SCREENING, "pregnancy_due_date"), "next week", "pregnancy_due_date: expected a date"),
        ((*SCREENING, "tumors"), None, "patient.screening.tumors: expected a list"),
        ((*SCREENING, "tumors"), {}, "patient.screening.tumors: expected a list"),
        ((*SCREENING, "infections", 0, "region"), "elbow", "infections[0].region: unknown region"),
        ((*SCREENING, "infections", 0, "side"), "up", "infections[0].side: unknown side code"),
        ((*SCREENING, "infections", 0, "side"), DELETE, "infections[0].side: required field"),
        ((*SCREENING, "infections", 0, "size"), 3, "infections[0].size: unknown field"),
        ((*SCREENING, "implanted_devices", 0, "kind"), "magnet", "implanted_devices[0].kind: "),
        ((*SCREENING, "lymphedema", 0, "limb"), "middle", "lymphedema[0].limb: expected one of"),
        ((*SCREENING, "surgeries", 0, "on"), DELETE, "surgeries[0].on: required field"),
        ((*SCREENING, "surgeries", 0, "joint_replacement"), "no", "joint_replacement: expected"),
        (("sites",), [], "sites: a plan has at least one site"),
        (("sites",), {"muscle": "soleus"}, "sites: expected a list"),
        (("sites", 1, "muscle"), "unicornis", 'sites[1].muscle: unknown muscle code "unicornis"'),
        (("sites", 1, "muscle"), None, "sites[1].muscle: unknown muscle code null"),
        (("sites", 0, "side"), "bilateral", "sites[0].side: expected one of left, midline, right"),
        (("sites", 0, "estim"), "yes", "sites[0].estim: expected true or false"),
        (("sites", 0), "upper_trapezius", "sites[0]: expected an object"),
        (("overrides", 0, "rule"), "too_risky", 'overrides[0].rule: unknown rule code "too_risky"'),
        (("overrides", 0, "reason"), "  nineteen chars ok  ", "overrides[0].reason: must be at"),
        (("overrides", 0, "reason"), None, "overrides[0].reason: expected a string"),
        (("overrides",), None, "overrides: expected a list"),
        (("surprise",), 1, "surprise: unknown field"),
        (("patient", "name"), "Ann", "patient.name: unknown field"),
        (("patient", "odd key\n"), 1, 'patient["odd key\\n"]: unknown field'),
    ],
)
def test_bad_input_names_the_field(path, value, message):
    with pytest.raises(ContractError) as caught:
        parse_case(changed(EXAMPLE, path, value))
    text = str(caught.value)
    assert message in text
    assert "\n" not in text


def test_an_override_reason_of_exactly_20_characters_after_trimming_is_enough():
    reason = "  " + "x" * 20 + "  "
    case = parse_case(changed(EXAMPLE, ("overrides", 0, "reason"), reason))
    assert case.overrides[0].reason == reason


def test_a_contract_error_carries_path_and_message():
    with pytest.raises(ContractError) as caught:
        parse_case(changed(EXAMPLE, ("sites", 0, "side"), "up"))
    assert caught.value.path == "sites[0].side"
    assert caught.value.message.startswith("expected one of")


def test_a_case_that_is_not_an_object_is_bad_input():
    with pytest.raises(ContractError, match="^case: expected an object$"):
        parse_case("hello")
    with pytest.raises(ContractError, match="^case: expected a case object or a list"):
        parse_cases(42)


def test_a_batch_gives_results_in_order():
    clear = copy.deepcopy(MINIMAL)
    results = evaluate_json([copy.deepcopy(EXAMPLE), clear])
    assert [r["decision"] for r in results] == ["override_required", "blocked"]
    assert evaluate_json([]) == []


def test_one_bad_case_makes_the_batch_bad_and_names_its_index():
    bad = changed(EXAMPLE, ("sites", 0, "muscle"), "unicornis")
    with pytest.raises(ContractError, match=r"^\[3\]\.sites\[0\]\.muscle: unknown muscle code"):
        parse_cases([EXAMPLE, EXAMPLE, EXAMPLE, bad])
    with pytest.raises(ContractError, match=r"^\[1\]: expected an object$"):
        evaluate_json([EXAMPLE, None])


def test_muscle_codes_come_from_the_muscles_given():
    only_glute = {"gluteus_medius": MUSCLES_BY_CODE["gluteus_medius"]}
    assert parse_case(MINIMAL, muscles=only_glute).sites[0].muscle == "gluteus_medius"
    with pytest.raises(ContractError, match=r"^sites\[0\]\.muscle"):
        parse_case(changed(MINIMAL, ("sites", 0, "muscle"), "soleus"), muscles=only_glute)


def test_overrides_of_rules_that_lift_nothing_come_back_as_ignored():
    acute = changed(EXAMPLE, (*SCREENING, "acute_illness"), True)
    acute["overrides"].append({"rule": "acute_illness", "reason": "Patient insists strongly."})
    result = evaluate_json(acute)
    assert result["decision"] == "blocked"
    assert [i["rule"] for i in result["ignored_overrides"]] == ["acute_illness"]
    assert result["ignored_overrides"][0]["why"]
