"""Demo clinical records for `manage.py seed_demo`: screenings, consents, conditions, pain maps
and baselines for the demo patients, dated relative to today. Idempotent: a patient that
already has a screening or consent is left alone.

The mix is chosen to exercise the screening service: warfarin with an INR, a first-trimester
pregnancy, a pacemaker, lymphedema, a recent shoulder operation, a stale screening, an
expired consent, a minor with a guardian's consent, and a phone enquiry with nothing yet.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from patients import services
from patients.models import ConsentText, Patient


def _days(today: dt.date, n: int) -> dt.date:
    return today - dt.timedelta(days=n)


# (first name, last name) -> the record to build. "screened": days ago (None: never);
# "consent": days ago (None: never); answers/findings for the questionnaire; conditions as
# (code, side, course, onset days ago); pain as (area, side, NPRS); outcomes as (measure, score).
DEMO_RECORDS: dict[tuple[str, str], dict] = {
    ("Zoë", "Whitaker"): {
        "screened": 3,
        "consent": 10,
        "answers": {
            "anticoagulant_drug": "warfarin",
            "inr": Decimal("2.4"),
            "inr_on": 8,
            "last_dose_change_on": 60,
        },
        "conditions": [("M54.2", "", "chronic", 200), ("G44.209", "", "chronic", 400)],
        "pain": [
            ("posterior_neck", "left", 6),
            ("posterior_neck", "right", 5),
            ("temple", "left", 4),
        ],
        "outcomes": [("nprs", 6), ("ndi", 18)],
    },
    ("José", "Martínez"): {
        "screened": 5,
        "consent": 5,
        "findings": {
            "implanted_devices": [{"kind": "pacemaker", "region": "chest", "side": "left"}]
        },
        "answers": {"prosthetic_heart_valve": False, "vascular_disease": True},
        "conditions": [("M54.50", "", "chronic", 300)],
        "pain": [("low_back", "midline", 7), ("buttock", "right", 4)],
        "outcomes": [("nprs", 7), ("odi", 32)],
    },
    ("Amelia", "Chen"): {
        "screened": 2,
        "consent": 2,
        # Due in 210 days: 10 weeks pregnant today (first trimester).
        "answers": {"pregnancy_due_date": -210},
        "conditions": [("M54.6", "", "acute", 20)],
        "pain": [("mid_back", "midline", 5)],
        "outcomes": [("nprs", 5)],
    },
    ("Marcus", "Johnson"): {
        "screened": 4,
        "consent": 30,
        "findings": {
            "surgeries": [
                {
                    "on": 30,
                    "region": "shoulder",
                    "side": "right",
                    "joint_replacement": False,
                    "description": "Arthroscopic rotator cuff repair",
                },
            ]
        },
        "answers": {"diabetes": True},
        "conditions": [("M25.511", "right", "acute", 60), ("M75.101", "right", "acute", 90)],
        "pain": [("anterior_shoulder", "right", 6), ("lateral_arm", "right", 4)],
        "outcomes": [("nprs", 6), ("psfs", Decimal("3.67"))],
    },
    ("Siobhán", "O'Neill"): {
        "screened": 6,
        "consent": 100,
        "answers": {"cancer_history": True},
        "findings": {"lymphedema": [{"limb": "upper", "side": "left"}]},
        "conditions": [("M79.12", "", "chronic", 500)],
        "pain": [("shoulder_top", "right", 5), ("posterior_neck", "right", 5)],
        "outcomes": [("nprs", 5), ("ndi", 14)],
    },
    ("Kenji", "Watanabe"): {
        "screened": 45,  # stale
        "consent": 400,  # expired
        "answers": {"lung_disease": True},
        "conditions": [("M76.61", "right", "chronic", 250)],
        "pain": [("achilles", "right", 5), ("calf", "right", 3)],
        "outcomes": [("nprs", 5)],
    },
    ("Lucía", "Fernández"): {
        "screened": 1,
        "consent": 1,
        "conditions": [("M77.11", "right", "acute", 40)],
        "pain": [("lateral_elbow", "right", 7), ("forearm", "right", 4)],
        "outcomes": [("nprs", 7), ("psfs", Decimal("4.5"))],
    },
    ("Noah", "Goldberg"): {
        "screened": 7,
        "consent": 7,
        "guardian": ("Rachel Goldberg", "mother"),
        "conditions": [("S16.1XXA", "", "acute", 14)],
        "pain": [("posterior_neck", "left", 4)],
        "outcomes": [("nprs", 4)],
    },
    ("Grace", "Kim"): {
        "screened": 12,
        "consent": 200,
        "answers": {"anticoagulant_drug": "apixaban"},
        "findings": {"varicosities": [{"region": "leg", "side": "left"}]},
        "conditions": [("M72.2", "left", "chronic", 180)],
        "pain": [("heel", "left", 6), ("sole", "left", 5)],
        "outcomes": [("nprs", 6)],
    },
    ("Rafael", "Souza"): {
        "screened": 9,
        "consent": 9,
        "answers": {"epilepsy": "controlled"},
        "findings": {
            "infections": [{"region": "forearm", "side": "left", "description": "Healing graze"}]
        },
        "conditions": [("G56.01", "right", "chronic", 150)],
        "pain": [("wrist", "right", 5), ("hand", "right", 4), ("thumb", "right", 3)],
        "outcomes": [("nprs", 5)],
    },
    ("Hannah", "Schmidt"): {
        "screened": 15,
        "consent": 300,
        "findings": {
            "surgeries": [
                {
                    "on": 700,
                    "region": "hip",
                    "side": "left",
                    "joint_replacement": True,
                    "description": "Total hip replacement",
                },
            ]
        },
        "conditions": [("M25.552", "left", "chronic", 365), ("M76.32", "left", "chronic", 200)],
        "pain": [("lateral_hip", "left", 6), ("lateral_thigh", "left", 5)],
        "outcomes": [("nprs", 6), ("odi", 26)],
    },
    ("Omar", "Haddad"): {
        "screened": 20,
        "consent": 20,
        "conditions": [("M26.603", "bilateral", "chronic", 365)],
        "pain": [("jaw", "left", 5), ("jaw", "right", 5), ("ear", "left", 3)],
        "outcomes": [("nprs", 5)],
    },
    # A phone enquiry: registered only, no screening, no consent yet.
    ("Aaliyah", "Brooks"): {"screened": None, "consent": None, "phone_enquiry": True},
}

YES_BY_DEFAULT = {"willing_to_proceed": True, "able_to_consent": True}


def _resolve_dates(values: dict, today: dt.date) -> dict:
    """Integers in date fields are "days ago" (negative: days ahead)."""
    resolved = {}
    for key, value in values.items():
        if key in ("on", "inr_on", "last_dose_change_on", "pregnancy_due_date") and isinstance(
            value, int
        ):
            resolved[key] = _days(today, value)
        else:
            resolved[key] = value
    return resolved


@transaction.atomic
def seed_patients(*, today: dt.date, users: dict) -> None:
    therapist = users["therapist"]
    front_desk = users["frontdesk"]
    text = ConsentText.objects.order_by("-version").first()
    for (first, last), record in DEMO_RECORDS.items():
        patient = Patient.objects.filter(first_name=first, last_name=last).first()
        if patient is None:
            continue
        if record.get("phone_enquiry"):
            Patient.objects.filter(pk=patient.pk).update(email="", preferred_location=None)
            continue
        if patient.questionnaires.exists() or patient.consents.exists():
            continue
        if record["screened"] is not None:
            _seed_screening(patient, record, today=today, taken_by=front_desk)
        if record["consent"] is not None and text is not None:
            _seed_consent(patient, record, text, today=today, witness=front_desk)
        _seed_clinical(patient, record, today=today, by=therapist)


def _seed_screening(patient: Patient, record: dict, *, today: dt.date, taken_by) -> None:
    answers = {**YES_BY_DEFAULT, **_resolve_dates(record.get("answers", {}), today)}
    findings = {
        name: [_resolve_dates(row, today) for row in rows]
        for name, rows in record.get("findings", {}).items()
    }
    services.questionnaire_record(
        patient=patient,
        taken_by=taken_by,
        taken_on=_days(today, record["screened"]),
        answers=answers,
        findings=findings,
    )


def _seed_consent(patient: Patient, record: dict, text, *, today: dt.date, witness) -> None:
    guardian = record.get("guardian")
    services.consent_record(
        patient=patient,
        text=text,
        signed_on=_days(today, record["consent"]),
        signer="guardian" if guardian else "patient",
        signed_name=guardian[0] if guardian else patient.full_name,
        guardian_relationship=guardian[1] if guardian else "",
        witness=witness,
    )


def _seed_clinical(patient: Patient, record: dict, *, today: dt.date, by) -> None:
    """Conditions, then the pain map and the outcome baselines of the screening's day."""
    conditions = [
        services.condition_add(
            patient=patient,
            icd10_code=code,
            side=side,
            course=course,
            onset_on=_days(today, onset),
            recorded_by=by,
        )
        for code, side, course, onset in record.get("conditions", [])
    ]
    on = _days(today, max(record["screened"] or 0, 0))
    if record.get("pain"):
        services.pain_map_record(
            patient=patient, recorded_on=on, recorded_by=by, areas=record["pain"]
        )
    for measure, score in record.get("outcomes", []):
        services.outcome_record(
            patient=patient,
            measure=measure,
            score=score,
            taken_on=on,
            recorded_by=by,
            condition=conditions[0] if conditions else None,
            detail="Reaching overhead, sleeping, driving" if measure == "psfs" else "",
        )
