"""Demo DN plans for `manage.py seed_demo`: idempotent, dated relative to today.

- Lucía Fernández (tennis elbow): an approved plan whose PDF is rendered.
- Zoë Whitaker (on warfarin): a draft whose screening needs an override (`anticoagulant`).

The patients' screenings, consents, conditions and pain maps come from the patients demo
(patients/demo.py). When that has not run (or not yet), the few facts these two plans need
are recorded here, matching the patients demo, so that the plans are screened as described.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from needling.knowledge.models import Muscle
from needling.plans import documents, services
from needling.plans.models import PlanDocument, TreatmentPlan

# (first, last) -> facts to record when the patient has no screening yet (days ago).
PREREQUISITES: dict[tuple[str, str], dict] = {
    ("Lucía", "Fernández"): {
        "screened": 1,
        "consent": 1,
        "answers": {},
        "condition": ("M77.11", "right", "acute", 40),
        "pain": [("lateral_elbow", "right", 7), ("forearm", "right", 4)],
    },
    ("Zoë", "Whitaker"): {
        "screened": 3,
        "consent": 10,
        "answers": {
            "anticoagulant_drug": "warfarin",
            "inr": Decimal("2.4"),
            "inr_on": 8,
            "last_dose_change_on": 60,
        },
        "condition": ("M54.2", "", "chronic", 200),
        "pain": [
            ("posterior_neck", "left", 6),
            ("posterior_neck", "right", 5),
            ("temple", "left", 4),
        ],
    },
}

APPROVED_SITES = [
    ("supinator", "right", {"needle_gauge": "0.25", "needle_length_mm": 30}),
    ("extensor_carpi_radialis", "right", {"needle_gauge": "0.25", "needle_length_mm": 30}),
    (
        "brachioradialis",
        "right",
        {"technique": "pistoning", "needle_gauge": "0.25", "needle_length_mm": 30},
    ),
]
DRAFT_SITES = [
    ("upper_trapezius", "left", {"needle_gauge": "0.25", "needle_length_mm": 30}),
    ("levator_scapulae", "left", {"needle_gauge": "0.25", "needle_length_mm": 30}),
    ("splenius_capitis", "left", {"needle_gauge": "0.20", "needle_length_mm": 25}),
]


def _ensure_record(patient, spec: dict, *, today: dt.date, users: dict):
    """The screening, consent, condition and pain map the plan needs, if none are on file."""
    from patients import services as patient_services
    from patients.models import ConsentText

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    if not patient.questionnaires.exists():
        answers = {"willing_to_proceed": True, "able_to_consent": True}
        for key, value in spec["answers"].items():
            answers[key] = ago(value) if key in ("inr_on", "last_dose_change_on") else value
        patient_services.questionnaire_record(
            patient=patient,
            taken_by=users["frontdesk"],
            taken_on=ago(spec["screened"]),
            answers=answers,
        )
    text = ConsentText.objects.order_by("-version").first()
    if not patient.consents.exists() and text is not None:
        patient_services.consent_record(
            patient=patient,
            text=text,
            signed_on=ago(spec["consent"]),
            signer="patient",
            signed_name=patient.full_name,
            witness=users["frontdesk"],
        )
    code, side, course, onset = spec["condition"]
    condition = patient.conditions.filter(icd10_code=code, resolved_on__isnull=True).first()
    if condition is None:
        condition = patient_services.condition_add(
            patient=patient,
            icd10_code=code,
            side=side,
            course=course,
            onset_on=ago(onset),
            recorded_by=users["therapist"],
        )
    if not patient.pain_maps.exists():
        patient_services.pain_map_record(
            patient=patient,
            recorded_on=ago(spec["screened"]),
            recorded_by=users["therapist"],
            areas=spec["pain"],
        )
    return condition


def _plan(patient, condition, *, today, therapist, location, sites, goals):
    plan = services.plan_create(
        user=therapist,
        patient=patient,
        condition=condition,
        planned_date=today,
        location=location,
        sessions_planned=6,
        frequency="weekly",
        complementary=["stretching", "exercise"],
        goals=goals,
    )
    for code, side, extra in sites:
        services.plan_site_add(
            plan=plan, user=therapist, muscle=Muscle.objects.get(code=code), side=side, **extra
        )
    return plan


@transaction.atomic
def seed_plans(*, today: dt.date, users: dict) -> dict[str, TreatmentPlan]:
    from patients.models import Patient

    therapist = users["therapist"]
    plans: dict[str, TreatmentPlan] = {}
    for (first, last), spec in PREREQUISITES.items():
        patient = Patient.objects.filter(first_name=first, last_name=last).first()
        if patient is None:
            continue
        existing = TreatmentPlan.objects.filter(patient=patient).order_by("-version").first()
        if existing is not None:
            plans[first] = existing
            continue
        condition = _ensure_record(patient, spec, today=today, users=users)
        location = patient.preferred_location or therapist.locations.order_by("name").first()
        if (first, last) == ("Lucía", "Fernández"):
            plan = _plan(
                patient,
                condition,
                today=today,
                therapist=therapist,
                location=location,
                sites=APPROVED_SITES,
                goals="Grip without pain; back to tennis in six weeks.",
            )
            services.plan_approve(plan=plan, user=therapist)
            # Rendered now, so the demo has its PDF whether or not a worker is running; the
            # task sent on commit then finds the job done and does nothing.
            documents.plan_document_render(document_id=PlanDocument.objects.get(plan=plan).pk)
        else:
            plan = _plan(
                patient,
                condition,
                today=today,
                therapist=therapist,
                location=location,
                sites=DRAFT_SITES,
                goals="Neck pain from 6/10 to 2/10; fewer tension headaches.",
            )
        plans[first] = plan
    return plans
