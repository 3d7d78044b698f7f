"""Reads for the intake pages."""

from __future__ import annotations

from django.db.models import QuerySet

from patients.forms import FINDING_LISTS
from patients.intake.models import Intake, PatientLink
from patients.models import Patient, ScreeningQuestionnaire


def intakes_pending() -> QuerySet[Intake]:
    """Pending intakes, oldest first, with their patients (one query)."""
    return (
        Intake.objects.filter(status=Intake.Status.PENDING)
        .select_related("patient")
        .order_by("submitted_at")
    )


def intake_for_review(pk) -> QuerySet[Intake]:
    return Intake.objects.select_related(
        "patient", "consent_text", "reviewed_by", "link", "questionnaire", "consent"
    ).filter(pk=pk)


def links_of(patient: Patient, *, limit: int = 20) -> list[PatientLink]:
    return list(
        PatientLink.objects.filter(patient=patient)
        .select_related("created_by", "revoked_by", "appointment", "intake")
        .order_by("-created_at", "-pk")[:limit]
    )


def screening_before(intake: Intake) -> ScreeningQuestionnaire | None:
    """The screening in force when the patient answered (not the one the intake became),
    with its finding lists: the answers are compared with it."""
    earlier = ScreeningQuestionnaire.objects.filter(
        patient_id=intake.patient_id, taken_on__lte=intake.taken_on
    )
    if intake.questionnaire_id:
        earlier = earlier.exclude(pk=intake.questionnaire_id)
    return (
        earlier.order_by("-taken_on", "-created_at")
        .prefetch_related(*(f.key for f in FINDING_LISTS))
        .first()
    )
