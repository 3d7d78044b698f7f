"""The patient's facts in the shape of the screening contract (screening-contract.md).

The screening engine (needling) and the JSON API read a patient through these two functions,
so the keys here are exactly the contract's: adding, renaming or dropping one is a contract
change. Dates are ISO strings and decimals are floats, ready for json.dumps.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from patients.models import Patient, ScreeningQuestionnaire

# The keys of the contract's `screening` object, in the contract's order.
SCREENING_KEYS: tuple[str, ...] = (
    "needle_phobia",
    "willing_to_proceed",
    "able_to_consent",
    "acute_illness",
    "bleeding_disorder",
    "anticoagulant",
    "immunocompromised",
    "pregnancy_due_date",
    "epilepsy",
    "diabetes",
    "vascular_disease",
    "metal_allergy",
    "prosthetic_heart_valve",
    "cancer_history",
    "lung_disease",
    "implanted_devices",
    "infections",
    "tumors",
    "lymphedema",
    "surgeries",
    "varicosities",
)
ANTICOAGULANT_KEYS: tuple[str, ...] = (
    "drug",
    "vitamin_k_antagonist",
    "inr",
    "inr_on",
    "inr_target_low",
    "inr_target_high",
    "last_dose_change_on",
    "recent_bleeding",
)
BOOLEAN_KEYS: tuple[str, ...] = (
    "needle_phobia",
    "willing_to_proceed",
    "able_to_consent",
    "acute_illness",
    "bleeding_disorder",
    "immunocompromised",
    "diabetes",
    "vascular_disease",
    "metal_allergy",
    "prosthetic_heart_valve",
    "cancer_history",
    "lung_disease",
)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def anticoagulant_facts(questionnaire: ScreeningQuestionnaire) -> dict[str, Any] | None:
    if not questionnaire.anticoagulant_drug:
        return None
    return {
        "drug": questionnaire.anticoagulant_drug,
        "vitamin_k_antagonist": questionnaire.vitamin_k_antagonist,
        "inr": _number(questionnaire.inr),
        "inr_on": _iso(questionnaire.inr_on),
        "inr_target_low": _number(questionnaire.inr_target_low),
        "inr_target_high": _number(questionnaire.inr_target_high),
        "last_dose_change_on": _iso(questionnaire.last_dose_change_on),
        "recent_bleeding": questionnaire.recent_bleeding,
    }


def screening_facts(questionnaire: ScreeningQuestionnaire) -> dict[str, Any]:
    """The contract's `screening` object for a saved questionnaire.

    Reads the six finding lists through the questionnaire's relations: load it with
    selectors.questionnaires_with_findings() to do that without a query per list.
    """
    facts: dict[str, Any] = {key: getattr(questionnaire, key) for key in BOOLEAN_KEYS}
    facts["anticoagulant"] = anticoagulant_facts(questionnaire)
    facts["pregnancy_due_date"] = _iso(questionnaire.pregnancy_due_date)
    facts["epilepsy"] = questionnaire.epilepsy
    facts["implanted_devices"] = [
        {"kind": d.kind, "region": d.region, "side": d.side}
        for d in questionnaire.implanted_devices.all()
    ]
    facts["infections"] = [
        {"region": i.region, "side": i.side} for i in questionnaire.infections.all()
    ]
    facts["tumors"] = [{"region": t.region, "side": t.side} for t in questionnaire.tumors.all()]
    facts["lymphedema"] = [
        {"limb": item.limb, "side": item.side} for item in questionnaire.lymphedema.all()
    ]
    facts["surgeries"] = [
        {
            "on": s.on.isoformat(),
            "region": s.region,
            "side": s.side,
            "joint_replacement": s.joint_replacement,
        }
        for s in sorted(questionnaire.surgeries.all(), key=lambda s: (s.on, s.pk or 0))
    ]
    facts["varicosities"] = [
        {"region": v.region, "side": v.side} for v in questionnaire.varicosities.all()
    ]
    return {key: facts[key] for key in SCREENING_KEYS}


def patient_facts(patient: Patient, *, on: dt.date) -> dict[str, Any]:
    """The contract's `patient` object as it stood on `on` (usually the session date).

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
    return facts
