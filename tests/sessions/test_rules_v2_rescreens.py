"""A plan approved under catalogue v1 with a midline lung-risk site (v1 judged it clear) is
caught by v2 wherever it is screened again: the session's same-day re-screen and the PDF job."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.booking.times import local_today
from needling.knowledge.models import Muscle
from needling.plans import services
from needling.plans.documents import plan_document_render
from needling.plans.models import DocumentStatus, PlanDocument, TreatmentPlan
from needling.sessions import services as sessions
from needling.sessions.models import SessionRecord
from tests.factories import ConditionFactory
from tests.sessions.helpers import dn_appointment, ready_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def v1_approved(therapist, location):
    """Approved as v1 did: the snapshot says clear, the site is rhomboids on the midline."""
    day = local_today(location.zone)
    patient = ready_patient(therapist=therapist, on=day)
    plan = services.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient, recorded_by=therapist),
        planned_date=day,
        location=location,
    )
    rhomboids = Muscle.objects.get(code="rhomboids")
    services.plan_site_add(plan=plan, user=therapist, muscle=rhomboids, side="midline")
    v1_result = {"decision": "clear", "findings": [], "ignored_overrides": [], "cpt_code": "20560"}
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        status="approved",
        approved_at=timezone.now(),
        approved_by=therapist,
        cpt_code="20560",
        snapshot={"case": {}, "result": v1_result, "policy": {}},
    )
    PlanDocument.objects.create(plan=plan)
    return TreatmentPlan.objects.get(pk=plan.pk)


def test_the_session_rescreen_blocks_a_v1_midline_plan(v1_approved, therapist, location):
    appointment = dn_appointment(
        therapist=therapist, patient=v1_approved.patient, location=location
    )
    with pytest.raises(ValidationError) as error:
        sessions.session_start(
            appointment=appointment,
            plan=v1_approved,
            user=therapist,
            screening_confirmed_unchanged=True,
            on=local_today(location.zone),
        )
    assert "bilateral_thorax" in " ".join(error.value.messages)
    assert not SessionRecord.objects.exists()


def test_the_pdf_job_refuses_a_v1_midline_plan(v1_approved):
    document = PlanDocument.objects.get(plan=v1_approved)
    assert plan_document_render(document_id=document.pk) == DocumentStatus.FAILED
    document.refresh_from_db()
    assert "bilateral_thorax" in document.error
