"""The database adapter builds exactly the contract's case from a plan, and fails closed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from needling.knowledge.models import Muscle
from needling.plans import services
from needling.plans.screening import plan_case, plan_case_dict, screen_plan
from needling.plans.selectors import plan_page
from needling.screening import evaluate_json
from patients.models import ImplantedDevice, Infection, Lymphedema, Surgery
from tests.factories import (
    CertificationFactory,
    ConditionFactory,
    ConsentFactory,
    PatientFactory,
    ScreeningFactory,
)
from tests.needling.test_screen_command import EXAMPLE
from tests.plans.conftest import TODAY, add

pytestmark = pytest.mark.django_db


def contract_plan(therapist):
    """The screening contract's example, entered through the app."""
    therapist.dn_certifications.all().delete()
    CertificationFactory(user=therapist, valid_until=dt.date(2027, 6, 30))
    patient = PatientFactory(date_of_birth=dt.date(1984, 2, 29))
    questionnaire = ScreeningFactory(
        patient=patient,
        taken_on=dt.date(2026, 3, 9),
        anticoagulant_drug="warfarin",
        vitamin_k_antagonist=True,
        inr=Decimal("2.40"),
        inr_on=dt.date(2026, 3, 2),
        last_dose_change_on=dt.date(2026, 1, 15),
    )
    ImplantedDevice.objects.create(
        questionnaire=questionnaire, kind="pacemaker", region="chest", side="left"
    )
    Infection.objects.create(questionnaire=questionnaire, region="forearm", side="right")
    Lymphedema.objects.create(questionnaire=questionnaire, limb="upper", side="left")
    Surgery.objects.create(
        questionnaire=questionnaire, on=dt.date(2026, 1, 20), region="shoulder", side="right"
    )
    ConsentFactory(patient=patient, signed_on=dt.date(2026, 3, 1))
    plan = services.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient),
        planned_date=TODAY,
    )
    add(plan, therapist, "upper_trapezius", "left")
    add(plan, therapist, "gluteus_medius", "right", technique="estim", estim_hz=4, estim_minutes=10)
    services.plan_override_record(
        plan=plan,
        user=therapist,
        rule="anticoagulant",
        reason="INR stable for 6 months, superficial sites only, pressure applied.",
    )
    return plan


def test_the_case_of_a_plan_is_the_contract_example(therapist):
    plan = contract_plan(therapist)
    assert plan_case_dict(plan) == EXAMPLE


def test_a_plan_is_judged_exactly_as_the_contract_json_is(therapist):
    plan = contract_plan(therapist)
    screening = screen_plan(plan)
    assert screening.result.to_dict() == evaluate_json(EXAMPLE)
    assert screening.decision == "override_required"
    assert [f.rule for f in screening.result.findings] == [
        "anticoagulant",
        "estim_cardiac_device",
        "lung_field",
    ]
    assert plan_case(plan).overrides[0].rule == "anticoagulant"


def test_snapshot_holds_the_case_the_result_and_the_policy(therapist):
    snapshot = screen_plan(contract_plan(therapist)).snapshot()
    assert snapshot["case"] == EXAMPLE
    assert snapshot["result"]["decision"] == "override_required"
    assert snapshot["policy"] == {
        "post_surgical_window_days": 84,
        "stricter_rules": [],
        "bilateral_counts_twice": False,
    }


def test_missing_consent_fails_closed(therapist, location):
    patient = PatientFactory()
    ScreeningFactory(patient=patient, taken_on=dt.date(2026, 3, 9))
    plan = services.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient),
        planned_date=TODAY,
    )
    add(plan, therapist, "deltoid", "right")
    screening = screen_plan(plan)
    assert screening.case["patient"]["consent_signed_on"] is None
    assert screening.decision == "blocked"
    assert [f.rule for f in screening.result.findings] == ["consent_missing"]


def test_a_stale_screening_fails_closed(therapist):
    patient = PatientFactory()
    ScreeningFactory(patient=patient, taken_on=TODAY - dt.timedelta(days=31))
    ConsentFactory(patient=patient, signed_on=dt.date(2026, 3, 1))
    plan = services.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient),
        planned_date=TODAY,
    )
    add(plan, therapist, "deltoid", "right")
    assert {f.rule for f in screen_plan(plan).result.findings} == {"screening_stale"}


def test_no_screening_at_all_leaves_the_screening_out_and_blocks(therapist):
    patient = PatientFactory()
    ConsentFactory(patient=patient, signed_on=dt.date(2026, 3, 1))
    plan = services.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient),
        planned_date=TODAY,
    )
    add(plan, therapist, "deltoid", "right")
    screening = screen_plan(plan)
    assert "screening" not in screening.case["patient"]
    assert screening.case["patient"]["screened_on"] is None
    assert [f.rule for f in screening.result.findings] == ["screening_stale"]


def test_a_screening_taken_after_the_planned_date_is_not_used(plan, therapist, patient):
    services.plan_update(plan=plan, user=therapist, planned_date=TODAY + dt.timedelta(days=5))
    ScreeningFactory(patient=patient, taken_on=TODAY + dt.timedelta(days=10), needle_phobia=True)
    add(plan, therapist, "deltoid", "right")
    plan.refresh_from_db()
    assert screen_plan(plan).decision == "clear"


def test_an_uncertified_practitioner_is_reported_as_the_contract_wants(
    uncertified_therapist, patient, condition
):
    plan = services.plan_create(
        user=uncertified_therapist, patient=patient, condition=condition, planned_date=TODAY
    )
    add(plan, uncertified_therapist, "deltoid", "right")
    screening = screen_plan(plan)
    assert screening.case["practitioner"] == {"dn_certified_until": "2023-01-01"}
    assert screening.decision == "blocked"
    assert [f.rule for f in screening.result.findings] == ["practitioner_not_certified"]


def test_a_plan_without_sites_has_no_result_yet(plan):
    screening = screen_plan(plan)
    assert screening.result is None
    assert screening.decision == "incomplete"
    assert not screening.is_clear
    assert screening.case["sites"] == []


def test_a_retired_muscle_is_still_judged_by_its_flags(plan, therapist):
    add(plan, therapist, "rhomboids", "left")
    Muscle.objects.filter(code="rhomboids").update(is_active=False)
    plan.refresh_from_db()
    assert [f.rule for f in screen_plan(plan).result.findings] == ["lung_field"]


def test_a_manager_edit_of_a_muscle_flag_reaches_the_screening(plan, therapist):
    add(plan, therapist, "deltoid", "right")
    Muscle.objects.filter(code="deltoid").update(lung_risk=True, caution="Test caution")
    plan.refresh_from_db()
    assert [f.rule for f in screen_plan(plan).result.findings] == ["lung_field"]


def test_screening_a_loaded_plan_takes_a_fixed_number_of_queries(
    plan, therapist, django_assert_num_queries
):
    for code in ("deltoid", "rhomboids", "gluteus_medius", "piriformis"):
        add(plan, therapist, code, "right")
    loaded = plan_page().get(pk=plan.pk)
    # screening settings, stricter rules (the policy); the certification in force;
    # the questionnaire, its six finding lists (one union query); the consent: 6 queries for
    # any number of sites (sites and overrides come prefetched with the plan).
    with django_assert_num_queries(6):
        screening = screen_plan(loaded)
    assert len(screening.case["sites"]) == 4
