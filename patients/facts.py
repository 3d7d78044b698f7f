"""The patient's facts in the shape of the screening contract (screening-contract.md).

The screening engine (needling) and the JSON API read a patient through these two functions,
so the keys here are exactly the contract's: adding, renaming or dropping one is a contract
change. Dates are ISO strings and decimals are floats, ready for json.dumps.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from patients import questions
from patients.models import Patient, ScreeningQuestionnaire

# The contract's keys, declared once in patients.questions (re-exported for the callers).
SCREENING_KEYS = questions.SCREENING_KEYS
ANTICOAGULANT_KEYS = questions.ANTICOAGULANT_KEYS
BOOLEAN_KEYS = questions.BOOLEAN_KEYS


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def anticoagulant_facts(questionnaire: ScreeningQuestionnaire) -> dict[str, Any] | None:
    if not questionnaire.anticoagulant_drug:
        return None
    return {
        key: _fact(getattr(questionnaire, field))
        for key, field in questions.ANTICOAGULANT_FIELDS.items()
    }


def _fact(value: Any) -> Any:
    """A model value as contract JSON: dates as ISO strings, decimals as floats."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _rows(questionnaire: ScreeningQuestionnaire, finding_list: questions.FindingList) -> list:
    fields = questions.ROW_FIELDS[finding_list.row]
    rows = list(getattr(questionnaire, finding_list.key).all())
    if finding_list.ordered_by:
        rows.sort(key=lambda row: (getattr(row, finding_list.ordered_by), row.pk or 0))
    return [{field: _fact(getattr(row, field)) for field in fields} for row in rows]


def screening_facts(questionnaire: ScreeningQuestionnaire) -> dict[str, Any]:
    """The contract's `screening` object for a saved questionnaire.

    Reads the six finding lists through the questionnaire's relations: load it with
    selectors.questionnaires_with_findings() to do that without a query per list.
    """
    facts: dict[str, Any] = {key: getattr(questionnaire, key) for key in BOOLEAN_KEYS}
    facts["anticoagulant"] = anticoagulant_facts(questionnaire)
    facts["pregnancy_due_date"] = _iso(questionnaire.pregnancy_due_date)
    facts["epilepsy"] = questionnaire.epilepsy
    for finding_list in questions.FINDING_LISTS:
        facts[finding_list.key] = _rows(questionnaire, finding_list)
    return {key: facts[key] for key in SCREENING_KEYS}


def patient_facts(patient: Patient, *, on: dt.date) -> dict[str, Any]:
    """The contract's `patient` object as it stood on `on` (see patient_facts_in_force)."""
    return patient_facts_in_force(patient, on=on)[0]


def patient_facts_in_force(
    patient: Patient, *, on: dt.date
) -> tuple[dict[str, Any], ScreeningQuestionnaire | None]:
    """The contract's `patient` object as it stood on `on`, and the questionnaire it came from.

    The screening and consent are the latest ones dated on or before `on`; when there is none,
    `screened_on` / `consent_signed_on` are null and `screening` is left out, as the contract
    wants (absence is information: the procedural gates fire). Load the patient with
    selectors.patients_with_facts() to read many patients in a fixed number of queries; a
    patient loaded otherwise costs 8 queries (consent, questionnaire, its six lists).
    """
    from patients.selectors import latest_consent, latest_questionnaire

    questionnaire = latest_questionnaire(patient, on=on)
    consent = latest_consent(patient, on=on)
    facts: dict[str, Any] = {
        "date_of_birth": patient.date_of_birth.isoformat(),
        "consent_signed_on": _iso(consent.signed_on) if consent else None,
        "screened_on": _iso(questionnaire.taken_on) if questionnaire else None,
    }
    if questionnaire is not None:
        facts["screening"] = screening_facts(questionnaire)
    return facts, questionnaire
