"""The demo seed gives a clinic with an approved plan (PDF rendered) and a draft to override."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from clinic.demo import seed
from needling.models import PlanDocument, TreatmentPlan
from needling.screening_db import screen_plan
from tests.plans.conftest import TODAY

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_approved_plan_with_its_pdf_and_a_draft_needing_an_override():
    seed()
    approved = TreatmentPlan.objects.get(status="approved")
    assert approved.patient.full_name == "Lucía Fernández"
    assert approved.planned_date == TODAY
    assert approved.snapshot["result"]["decision"] == "clear"
    document = PlanDocument.objects.get(plan=approved)
    assert document.status == "done"
    assert default_storage.exists(document.file_name)

    draft = TreatmentPlan.objects.get(status="draft")
    assert draft.patient.full_name == "Zoë Whitaker"
    screening = screen_plan(draft)
    assert screening.decision == "override_required"
    relative = [f.rule for f in screening.result.findings if f.severity == "relative"]
    assert relative == ["anticoagulant"]


def test_seeding_twice_changes_nothing():
    seed()
    before = list(TreatmentPlan.objects.values_list("pk", "status", "version"))
    seed()
    assert list(TreatmentPlan.objects.values_list("pk", "status", "version")) == before
    assert PlanDocument.objects.count() == 1
