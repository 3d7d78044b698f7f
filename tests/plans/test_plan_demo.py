"""The demo seed gives a clinic with an approved plan (PDF rendered) and a draft to override."""

from __future__ import annotations

import pytest
import time_machine
from django.conf import settings
from django.core.files.storage import default_storage
from django.test import override_settings

from clinic.demo import seed
from needling.plans.models import PlanDocument, TreatmentPlan
from needling.plans.screening import screen_plan
from tests.plans.conftest import NOON, TODAY
from tests.shared_rows import rows_for_the_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def private_storage(tmp_path_factory):
    """One private folder for the module (the conftest's is per test): the PDF the shared
    seed below renders stays where the tests look for it."""
    folder = tmp_path_factory.mktemp("private")
    default = {"BACKEND": "clinic.common.storage.PrivateStorage", "OPTIONS": {"location": folder}}
    with override_settings(STORAGES={**settings.STORAGES, "default": default}):
        yield folder


def _seed():
    with time_machine.travel(NOON, tick=True):  # the moment the tests' fixed_day starts at
        seed()


@pytest.fixture(scope="module", autouse=True)
def seeded_demo(private_storage, django_db_setup, django_db_blocker):
    """The demo clinic, seeded once for the module; each test's changes are rolled back."""
    with rows_for_the_module(django_db_blocker, _seed):
        yield


def test_the_demo_has_an_approved_plan_with_its_pdf_and_a_draft_needing_an_override():
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
    # The module's fixture seeded once already: a second run must change nothing.
    before = list(TreatmentPlan.objects.values_list("pk", "status", "version"))
    seed()
    assert list(TreatmentPlan.objects.values_list("pk", "status", "version")) == before
    assert PlanDocument.objects.count() == 1
