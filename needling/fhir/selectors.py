"""Read side of the FHIR export: who may export whom, and a chunk of records in 7 queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from clinic.staff.roles import Role
from needling.plans.models import TreatmentPlan
from needling.sessions.models import SessionRecord, SessionSite, SessionStatus
from patients.models import Condition, Consent, OutcomeMeasure, Patient


@dataclass
class PatientRecord:
    """What one patient's export reads, already fetched."""

    patient: Patient
    conditions: list[Condition] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    outcomes: list[OutcomeMeasure] = field(default_factory=list)
    sessions: list[SessionRecord] = field(default_factory=list)


def treats(user, patient: Patient) -> bool:
    """The user has booked, planned or needled this patient: the treating therapist (1 query)."""
    from clinic.booking.models import Appointment

    booked = Appointment.objects.filter(therapist=user, patient=OuterRef("pk"))
    planned = TreatmentPlan.objects.filter(practitioner=user, patient=OuterRef("pk"))
    needled = SessionRecord.objects.filter(practitioner=user, patient=OuterRef("pk"))
    return (
        Patient.objects.filter(pk=patient.pk)
        .filter(Exists(booked) | Exists(planned) | Exists(needled))
        .exists()
    )


def may_export(user, patient: Patient) -> bool:
    """A manager exports any patient; a therapist only the patients they treat."""
    if not user.has_perms(("patients.view_clinical_record", "needling.view_sessionrecord")):
        return False
    return user.role == Role.MANAGER or treats(user, patient)


def location_patients(location) -> QuerySet[Patient]:
    """Patients of a location: it is their preferred location, or they have an appointment
    or a DN session there. In primary-key order, for a stable export (1 query)."""
    from clinic.booking.models import Appointment

    booked = Appointment.objects.filter(patient=OuterRef("pk"), location=location)
    needled = SessionRecord.objects.filter(patient=OuterRef("pk"), location=location)
    return Patient.objects.filter(
        Q(preferred_location=location) | Exists(booked) | Exists(needled)
    ).order_by("pk")


def records_for(patients: list[Patient]) -> list[PatientRecord]:
    """The export rows of a chunk of patients: 6 queries however many patients (conditions,
    consents with their text, NPRS outcomes, signed notes with practitioner, location and
    plan, their sites with muscles, their adverse events)."""
    records = {p.pk: PatientRecord(patient=p) for p in patients}
    ids = list(records)
    for c in Condition.objects.filter(patient_id__in=ids).order_by("recorded_at", "pk"):
        records[c.patient_id].conditions.append(c)
    consents = Consent.objects.filter(patient_id__in=ids).select_related("text")
    for c in consents.order_by("signed_on", "recorded_at"):
        records[c.patient_id].consents.append(c)
    outcomes = OutcomeMeasure.objects.filter(patient_id__in=ids, measure="nprs")
    for o in outcomes.order_by("taken_on", "created_at", "pk"):
        records[o.patient_id].outcomes.append(o)
    sessions = (
        SessionRecord.objects.filter(patient_id__in=ids, status=SessionStatus.SIGNED)
        .select_related("practitioner", "location", "plan")
        .prefetch_related(
            Prefetch("sites", queryset=SessionSite.objects.select_related("muscle")),
            "adverse_events",
        )
        .order_by("session_date", "created_at")
    )
    by_patient: dict[object, list[SessionRecord]] = defaultdict(list)
    for s in sessions:
        by_patient[s.patient_id].append(s)
    for pk, notes in by_patient.items():
        records[pk].sessions = notes
    return [records[p.pk] for p in patients]
