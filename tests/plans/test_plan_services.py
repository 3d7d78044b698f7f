"""Plan services: who may plan, approval only when clear, locks, overrides that never change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from needling.knowledge.models import Contraindication, StricterRule
from needling.plans import services
from needling.plans.models import PlanDocument, PlanOverride, PlanSite, TreatmentPlan
from needling.plans.screening import screen_plan
from tests.factories import ConditionFactory, PatientFactory, ScreeningFactory
from tests.plans.conftest import REASON, TODAY, add

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL only"
)


@pytest.fixture
def warfarin(patient):
    """A newer screening: warfarin, INR in range -> the relative `anticoagulant` finding."""
    return ScreeningFactory(
        patient=patient,
        taken_on=TODAY,
        anticoagulant_drug="warfarin",
        vitamin_k_antagonist=True,
        inr="2.5",
        inr_on=TODAY - dt.timedelta(days=3),
    )


# --- Who plans ------------------------------------------------------------------------------


def test_a_therapist_creates_a_draft_plan(plan, therapist, patient, location):
    assert plan.status == "draft"
    assert plan.version == 1
    assert plan.practitioner == therapist
    assert plan.created_by == therapist
    assert plan.location == location
    assert plan.complementary == ["stretching", "exercise"]


@pytest.mark.parametrize("role", ["front_desk", "manager"])
def test_only_staff_who_practise_dn_create_plans(request, role, patient, condition):
    user = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        services.plan_create(user=user, patient=patient, condition=condition, planned_date=TODAY)
    assert not TreatmentPlan.objects.exists()


def test_the_practitioner_must_practise_dn(therapist, front_desk, patient, condition):
    with pytest.raises(ValidationError) as error:
        services.plan_create(
            user=therapist,
            patient=patient,
            condition=condition,
            planned_date=TODAY,
            practitioner=front_desk,
        )
    assert "practitioner" in error.value.message_dict


def test_a_condition_of_another_patient_is_refused(therapist, patient):
    other = ConditionFactory(patient=PatientFactory())
    with pytest.raises(ValidationError) as error:
        services.plan_create(user=therapist, patient=patient, condition=other, planned_date=TODAY)
    assert "condition" in error.value.message_dict


def test_a_plan_cannot_start_in_the_past(therapist, patient, condition):
    with pytest.raises(ValidationError) as error:
        services.plan_create(
            user=therapist,
            patient=patient,
            condition=condition,
            planned_date=TODAY - dt.timedelta(days=1),
        )
    assert "planned_date" in error.value.message_dict


def test_unknown_complementary_treatments_are_refused(therapist, patient, condition):
    with pytest.raises(ValidationError) as error:
        services.plan_create(
            user=therapist,
            patient=patient,
            condition=condition,
            planned_date=TODAY,
            complementary=["acupuncture"],
        )
    assert "complementary" in error.value.message_dict


def test_an_archived_patient_is_not_planned_for(therapist, patient, condition):
    from patients.services import patient_archive

    patient_archive(patient=patient)
    with pytest.raises(ValidationError):
        services.plan_create(
            user=therapist, patient=patient, condition=condition, planned_date=TODAY
        )


def test_an_uncertified_practitioner_drafts_but_screening_blocks_the_plan(
    uncertified_therapist, patient, condition
):
    plan = services.plan_create(
        user=uncertified_therapist, patient=patient, condition=condition, planned_date=TODAY
    )
    add(plan, uncertified_therapist, "deltoid", "right")
    assert screen_plan(plan).decision == "blocked"
    with pytest.raises(ValidationError, match="practitioner_not_certified"):
        services.plan_approve(plan=plan, user=uncertified_therapist)
    plan.refresh_from_db()
    assert plan.status == "draft"


# --- Sites ----------------------------------------------------------------------------------


def test_sites_are_added_in_order_and_removed(plan, therapist):
    first = add(plan, therapist, "deltoid", "right")
    second = add(plan, therapist, "deltoid", "left")
    assert (first.order, second.order) == (1, 2)
    services.plan_site_remove(plan=plan, user=therapist, site_id=first.pk)
    assert list(plan.sites.values_list("side", flat=True)) == ["left"]


def test_the_same_muscle_and_side_twice_is_refused(plan, therapist):
    add(plan, therapist, "deltoid", "right")
    with pytest.raises(ValidationError) as error:
        add(plan, therapist, "deltoid", "right")
    assert "muscle" in error.value.message_dict


def test_electrical_stimulation_needs_frequency_and_time(plan, therapist):
    with pytest.raises(ValidationError) as error:
        add(plan, therapist, "deltoid", "right", technique="estim")
    assert set(error.value.message_dict) == {"estim_hz", "estim_minutes"}
    with pytest.raises(ValidationError):
        add(plan, therapist, "deltoid", "right", technique="estim", estim_hz=500, estim_minutes=5)
    site = add(plan, therapist, "deltoid", "right", technique="estim", estim_hz=2, estim_minutes=5)
    assert site.estim


def test_stimulation_settings_are_dropped_for_other_techniques(plan, therapist):
    site = add(plan, therapist, "deltoid", "right", estim_hz=2, estim_minutes=5)
    assert (site.estim_hz, site.estim_minutes) == (None, None)


def test_a_needle_outside_the_stock_list_is_refused(plan, therapist):
    with pytest.raises(ValidationError) as error:
        add(plan, therapist, "deltoid", "right", needle_gauge="0.99", needle_length_mm=31)
    assert {"needle_gauge", "needle_length_mm"} <= set(error.value.message_dict)


def test_the_database_refuses_stimulation_settings_without_stimulation(plan, therapist):
    site = add(plan, therapist, "deltoid", "right")
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanSite.objects.filter(pk=site.pk).update(estim_hz=3)


def test_a_site_of_another_plan_cannot_be_removed(plan, therapist, patient, condition):
    other = services.plan_create(
        user=therapist, patient=patient, condition=condition, planned_date=TODAY
    )
    site = add(other, therapist, "deltoid", "right")
    with pytest.raises(ValidationError):
        services.plan_site_remove(plan=plan, user=therapist, site_id=site.pk)
    assert PlanSite.objects.filter(pk=site.pk).exists()


# --- Overrides ------------------------------------------------------------------------------


def test_a_certified_practitioner_overrides_a_relative_finding(plan, therapist, warfarin):
    add(plan, therapist, "deltoid", "right")
    assert screen_plan(plan).decision == "override_required"
    record = services.plan_override_record(
        plan=plan, user=therapist, rule="anticoagulant", reason=f"  {REASON}  "
    )
    assert record.reason == REASON
    assert record.recorded_by == therapist
    assert record.recorded_at is not None
    assert screen_plan(plan).decision == "clear"


def test_an_uncertified_practitioner_cannot_override(
    plan, therapist, uncertified_therapist, warfarin
):
    add(plan, therapist, "deltoid", "right")
    with pytest.raises(PermissionDenied):
        services.plan_override_record(
            plan=plan, user=uncertified_therapist, rule="anticoagulant", reason=REASON
        )
    assert not PlanOverride.objects.exists()


def test_a_certification_that_lapsed_yesterday_cannot_override(plan, therapist, warfarin):
    add(plan, therapist, "deltoid", "right")
    therapist.dn_certifications.update(valid_until=TODAY - dt.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        services.plan_override_record(
            plan=plan, user=therapist, rule="anticoagulant", reason=REASON
        )


def test_a_certification_ending_today_still_may_override(plan, therapist, warfarin):
    add(plan, therapist, "deltoid", "right")
    therapist.dn_certifications.update(valid_until=TODAY)
    services.plan_override_record(plan=plan, user=therapist, rule="anticoagulant", reason=REASON)


@pytest.mark.parametrize("reason", ["", "too short", " " * 30, "x" * 19 + "   "])
def test_an_override_needs_a_reason_of_twenty_characters(plan, therapist, warfarin, reason):
    add(plan, therapist, "deltoid", "right")
    with pytest.raises(ValidationError) as error:
        services.plan_override_record(
            plan=plan, user=therapist, rule="anticoagulant", reason=reason
        )
    assert "reason" in error.value.message_dict


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("needle_phobia", "does not fire"),
        ("consent_missing", "does not fire"),
        ("lung_field", "precaution"),
        ("diabetes", "does not fire"),
        ("not_a_rule", "does not fire"),
    ],
)
def test_only_a_relative_finding_that_fires_can_be_overridden(plan, therapist, warfarin, rule, why):
    add(plan, therapist, "upper_trapezius", "left")
    with pytest.raises(ValidationError) as error:
        services.plan_override_record(plan=plan, user=therapist, rule=rule, reason=REASON)
    assert why in " ".join(error.value.message_dict["rule"]).lower()


def test_an_absolute_finding_is_never_overridden(plan, therapist, patient):
    ScreeningFactory(patient=patient, taken_on=TODAY, needle_phobia=True)
    add(plan, therapist, "deltoid", "right")
    with pytest.raises(ValidationError, match="never be overridden"):
        services.plan_override_record(
            plan=plan, user=therapist, rule="needle_phobia", reason=REASON
        )


def test_a_rule_the_clinic_made_absolute_cannot_be_overridden(plan, therapist, manager, warfarin):
    StricterRule.objects.create(
        rule=Contraindication.objects.get(code="anticoagulant"),
        reason="Clinic line: no DN on anticoagulants.",
        adopted_by=manager,
    )
    add(plan, therapist, "deltoid", "right")
    with pytest.raises(ValidationError, match="never be overridden"):
        services.plan_override_record(
            plan=plan, user=therapist, rule="anticoagulant", reason=REASON
        )


def test_one_override_per_finding(plan, therapist, warfarin):
    add(plan, therapist, "deltoid", "right")
    services.plan_override_record(plan=plan, user=therapist, rule="anticoagulant", reason=REASON)
    with pytest.raises(ValidationError, match="already"):
        services.plan_override_record(
            plan=plan, user=therapist, rule="anticoagulant", reason=REASON + " again"
        )
    assert PlanOverride.objects.count() == 1


def test_an_override_is_never_edited_or_deleted(plan, therapist, warfarin):
    add(plan, therapist, "deltoid", "right")
    record = services.plan_override_record(
        plan=plan, user=therapist, rule="anticoagulant", reason=REASON
    )
    record.reason = "A different reason, written later on."
    with pytest.raises(ValidationError):
        record.save()
    with pytest.raises(ValidationError):
        record.delete()
    record.refresh_from_db()
    assert record.reason == REASON


def test_the_database_refuses_a_short_reason_or_an_absolute_rule(plan, therapist):
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanOverride.objects.bulk_create(
            [
                PlanOverride(
                    plan=plan, rule="anticoagulant", reason="  short  ", recorded_by=therapist
                )
            ]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanOverride.objects.bulk_create(
            [PlanOverride(plan=plan, rule="needle_phobia", reason=REASON, recorded_by=therapist)]
        )


@on_postgres
def test_postgres_refuses_to_update_or_delete_an_override_even_in_raw_sql(
    plan, therapist, warfarin
):
    add(plan, therapist, "deltoid", "right")
    record = services.plan_override_record(
        plan=plan, user=therapist, rule="anticoagulant", reason=REASON
    )
    for sql in (
        "UPDATE needling_planoverride SET reason = 'rewritten later, quietly!' WHERE id = %s",
        "DELETE FROM needling_planoverride WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError, match="never edited or deleted"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [record.pk])
    record.refresh_from_db()
    assert record.reason == REASON


# --- Approval -------------------------------------------------------------------------------


def test_a_clear_plan_is_approved_with_its_snapshot(plan, therapist):
    add(plan, therapist, "deltoid", "right")
    add(plan, therapist, "rhomboids", "left")
    approved = services.plan_approve(plan=plan, user=therapist)
    assert approved.status == "approved"
    assert approved.approved_by == therapist
    assert approved.approved_at is not None
    assert approved.cpt_code == "20560"
    assert approved.snapshot["result"]["decision"] == "clear"
    assert approved.snapshot["case"]["sites"] == [
        {"muscle": "deltoid", "side": "right", "estim": False},
        {"muscle": "rhomboids", "side": "left", "estim": False},
    ]
    assert approved.snapshot["case"]["patient"]["screened_on"] == "2026-03-09"
    assert PlanDocument.objects.get(plan=plan).status == "pending"


def test_three_muscles_bill_20561(plan, therapist):
    for code in ("deltoid", "rhomboids", "gluteus_medius"):
        add(plan, therapist, code, "right")
    assert services.plan_approve(plan=plan, user=therapist).cpt_code == "20561"


def test_a_plan_without_sites_is_not_approved(plan, therapist):
    with pytest.raises(ValidationError, match="at least one site"):
        services.plan_approve(plan=plan, user=therapist)


def test_a_plan_needing_an_override_is_not_approved_until_it_has_one(plan, therapist, warfarin):
    add(plan, therapist, "deltoid", "right")
    with pytest.raises(ValidationError, match="anticoagulant"):
        services.plan_approve(plan=plan, user=therapist)
    services.plan_override_record(plan=plan, user=therapist, rule="anticoagulant", reason=REASON)
    approved = services.plan_approve(plan=plan, user=therapist)
    finding = approved.snapshot["result"]["findings"][0]
    assert (finding["rule"], finding["overridden"]) == ("anticoagulant", True)
    assert approved.snapshot["case"]["overrides"] == [{"rule": "anticoagulant", "reason": REASON}]


def test_a_blocked_plan_is_never_approved(plan, therapist):
    add(plan, therapist, "upper_trapezius", "left")
    add(plan, therapist, "upper_trapezius", "right")  # bilateral thorax: absolute
    with pytest.raises(ValidationError, match="bilateral_thorax"):
        services.plan_approve(plan=plan, user=therapist)
    assert TreatmentPlan.objects.get(pk=plan.pk).status == "draft"
    assert not PlanDocument.objects.exists()


def test_stale_screening_blocks_approval(therapist, condition, patient):
    plan = services.plan_create(
        user=therapist,
        patient=patient,
        condition=condition,
        planned_date=TODAY + dt.timedelta(days=30),  # screened on 9 March: 31 days before
    )
    add(plan, therapist, "deltoid", "right")
    with pytest.raises(ValidationError, match="screening_stale"):
        services.plan_approve(plan=plan, user=therapist)


def test_missing_consent_blocks_approval(therapist):
    patient = PatientFactory()
    ScreeningFactory(patient=patient, taken_on=TODAY)
    plan = services.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient),
        planned_date=TODAY,
    )
    add(plan, therapist, "deltoid", "right")
    with pytest.raises(ValidationError, match="consent_missing"):
        services.plan_approve(plan=plan, user=therapist)


def test_only_the_treating_practitioner_approves(plan, therapist, location):
    from clinic.staff.roles import Role
    from tests.factories import CertificationFactory, UserFactory

    colleague = UserFactory(role=Role.THERAPIST)
    CertificationFactory(user=colleague)
    add(plan, therapist, "deltoid", "right")
    with pytest.raises(PermissionDenied):
        services.plan_approve(plan=plan, user=colleague)


def test_approval_is_a_conditional_update(plan, therapist):
    add(plan, therapist, "deltoid", "right")
    stale_copy = TreatmentPlan.objects.get(pk=plan.pk)
    approved = services.plan_approve(plan=plan, user=therapist)
    with pytest.raises(ValidationError, match="locked"):
        services.plan_approve(plan=stale_copy, user=therapist)
    stale_copy.refresh_from_db()
    assert stale_copy.approved_at == approved.approved_at
    assert PlanDocument.objects.filter(plan=plan).count() == 1


def test_an_approved_plan_is_locked(plan, therapist, warfarin):
    site = add(plan, therapist, "deltoid", "right")
    services.plan_override_record(plan=plan, user=therapist, rule="anticoagulant", reason=REASON)
    services.plan_approve(plan=plan, user=therapist)
    with pytest.raises(ValidationError, match="locked"):
        add(plan, therapist, "rhomboids", "left")
    with pytest.raises(ValidationError, match="locked"):
        services.plan_site_remove(plan=plan, user=therapist, site_id=site.pk)
    with pytest.raises(ValidationError, match="locked"):
        services.plan_update(plan=plan, user=therapist, sessions_planned=9)
    with pytest.raises(ValidationError, match="locked"):
        services.plan_override_record(
            plan=plan, user=therapist, rule="anticoagulant", reason=REASON
        )
    approved = TreatmentPlan.objects.get(pk=plan.pk)
    approved.sessions_planned = 9
    with pytest.raises(ValidationError, match="locked"):
        approved.save()


def test_the_snapshot_keeps_the_facts_judged_when_the_record_changes_later(
    plan, therapist, patient
):
    add(plan, therapist, "deltoid", "right")
    approved = services.plan_approve(plan=plan, user=therapist)
    before = approved.snapshot
    ScreeningFactory(patient=patient, taken_on=TODAY, needle_phobia=True)
    assert TreatmentPlan.objects.get(pk=plan.pk).snapshot == before
    assert before["case"]["patient"]["screening"]["needle_phobia"] is False


@on_postgres
def test_postgres_refuses_raw_changes_to_an_approved_plan(plan, therapist):
    site = add(plan, therapist, "deltoid", "right")
    services.plan_approve(plan=plan, user=therapist)
    statements = [
        ("UPDATE needling_treatmentplan SET snapshot = '{}'::jsonb WHERE id = %s", [plan.pk]),
        ("UPDATE needling_treatmentplan SET cpt_code = '20561' WHERE id = %s", [plan.pk]),
        ("UPDATE needling_treatmentplan SET status = 'draft' WHERE id = %s", [plan.pk]),
        ("DELETE FROM needling_treatmentplan WHERE id = %s", [plan.pk]),
        ("UPDATE needling_plansite SET side = 'left' WHERE id = %s", [site.pk]),
        ("DELETE FROM needling_plansite WHERE id = %s", [site.pk]),
    ]
    for sql, params in statements:
        with (
            pytest.raises(IntegrityError, match="locked|never deleted"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
    assert TreatmentPlan.objects.get(pk=plan.pk).snapshot["result"]["decision"] == "clear"


# --- New versions ---------------------------------------------------------------------------


def test_a_new_version_copies_the_sites_and_supersedes_the_old(plan, therapist, warfarin):
    add(plan, therapist, "deltoid", "right")
    add(plan, therapist, "gluteus_medius", "left", technique="estim", estim_hz=2, estim_minutes=8)
    services.plan_override_record(plan=plan, user=therapist, rule="anticoagulant", reason=REASON)
    services.plan_approve(plan=plan, user=therapist)
    new = services.plan_new_version(plan=plan, user=therapist)
    old = TreatmentPlan.objects.get(pk=plan.pk)
    assert (old.status, new.status, new.version, new.previous) == ("superseded", "draft", 2, old)
    assert list(new.sites.values_list("muscle__code", "side", "technique", "estim_hz")) == [
        ("deltoid", "right", "static", None),
        ("gluteus_medius", "left", "estim", 2),
    ]
    assert not new.overrides.exists()
    assert screen_plan(new).decision == "override_required"
    assert old.snapshot["result"]["decision"] == "clear"


def test_only_the_approved_version_can_be_changed(plan, therapist):
    add(plan, therapist, "deltoid", "right")
    with pytest.raises(ValidationError):
        services.plan_new_version(plan=plan, user=therapist)
    services.plan_approve(plan=plan, user=therapist)
    services.plan_new_version(plan=plan, user=therapist)
    with pytest.raises(ValidationError):
        services.plan_new_version(plan=plan, user=therapist)
    assert TreatmentPlan.objects.filter(previous=plan).count() == 1


def test_a_new_version_of_a_past_plan_starts_today(plan, therapist, fixed_day):
    add(plan, therapist, "deltoid", "right")
    services.plan_approve(plan=plan, user=therapist)
    fixed_day.shift(dt.timedelta(days=5))
    new = services.plan_new_version(plan=plan, user=therapist)
    assert new.planned_date == TODAY + dt.timedelta(days=5)


def test_the_admin_shows_plans_overrides_and_jobs_read_only(rf, manager):
    from django.contrib import admin

    request = rf.get("/")
    request.user = manager
    for model in (TreatmentPlan, PlanOverride, PlanDocument):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert model_admin.has_view_permission(request), model


def test_a_manager_reads_an_override_in_the_admin(client, plan, therapist, warfarin):
    from django.urls import reverse

    from clinic.staff.roles import Role
    from tests.factories import UserFactory

    add(plan, therapist, "deltoid", "right")
    record = services.plan_override_record(
        plan=plan, user=therapist, rule="anticoagulant", reason=REASON
    )
    boss = UserFactory(role=Role.MANAGER)
    client.force_login(boss)
    page = client.get(reverse("admin:needling_planoverride_change", args=[record.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert REASON in html and 'name="_save"' not in html
    delete = client.post(reverse("admin:needling_planoverride_delete", args=[record.pk]))
    assert delete.status_code == 403
    assert PlanOverride.objects.filter(pk=record.pk).exists()
