"""Writes to treatment plans: create, edit, sites, overrides, approval, new versions, and
the PDF job's retry. Each is atomic and keyword-only, and screens where the rules say so."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from needling.knowledge.models import Muscle
from needling.knowledge.rules import RELATIVE
from needling.plans.models import (
    OVERRIDE_REASON_MIN,
    DocumentStatus,
    Frequency,
    PlanDocument,
    PlanOverride,
    PlanSite,
    PlanStatus,
    Technique,
    TreatmentPlan,
)
from needling.plans.tasks import plan_document_enqueue

# --- Treatment plans --------------------------------------------------------------------------

PRACTISE_DN = "clinic.practise_dn"


def _practises_dn(user) -> bool:
    return user.is_active and user.has_perm(PRACTISE_DN)


def _certified_on(user, on: dt.date) -> bool:
    until = user.dn_certified_until(on)
    return until is not None and until >= on


def may_override(user, *, on: dt.date) -> bool:
    """A DN practitioner, allowed to record overrides, with a certification valid on ``on``."""
    return (
        _practises_dn(user)
        and user.has_perm("needling.add_planoverride")
        and _certified_on(user, on)
    )


def _lock_draft(plan: TreatmentPlan) -> TreatmentPlan:
    """The plan's row, locked for this transaction; a ValidationError unless still a draft."""
    locked = (
        TreatmentPlan.objects.select_for_update(of=("self",))
        .select_related("patient", "practitioner")
        .get(pk=plan.pk)
    )
    if locked.status != PlanStatus.DRAFT:
        raise ValidationError(
            "This plan is approved and locked: make a new version to change it."
            if locked.status == PlanStatus.APPROVED
            else "This plan was superseded by a newer version and cannot change."
        )
    return locked


def _check_plan_header(
    *, patient, condition, practitioner, planned_date: dt.date, today: dt.date
) -> None:
    errors: dict[str, str] = {}
    if patient.archived_at is not None:
        errors["patient"] = f"{patient} is archived: restore the record before planning."
    if condition is None or condition.patient_id != patient.pk:
        errors["condition"] = "Choose one of this patient's conditions."
    elif condition.resolved_on is not None:
        errors["condition"] = "That condition is resolved: choose an active one."
    if practitioner is None or not _practises_dn(practitioner):
        errors["practitioner"] = "The practitioner must be a therapist who practises DN."
    if planned_date is None:
        errors["planned_date"] = "Give the date of the first session."
    elif planned_date < today:
        errors["planned_date"] = "The first session cannot be in the past."
    elif planned_date > today + dt.timedelta(days=366):
        errors["planned_date"] = "Plan at most a year ahead."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def plan_create(
    *,
    user,
    patient,
    condition,
    planned_date: dt.date,
    practitioner=None,
    location=None,
    sessions_planned: int = 4,
    frequency: str = Frequency.WEEKLY,
    complementary: list[str] | None = None,
    goals: str = "",
) -> TreatmentPlan:
    """A new draft plan. Only staff who practise DN create plans; the practitioner may be
    uncertified (the screening then blocks the plan with practitioner_not_certified)."""
    if not _practises_dn(user):
        raise PermissionDenied("Only therapists who practise dry needling create DN plans.")
    practitioner = practitioner or user
    _check_plan_header(
        patient=patient,
        condition=condition,
        practitioner=practitioner,
        planned_date=planned_date,
        today=timezone.localdate(),
    )
    plan = TreatmentPlan(
        patient=patient,
        condition=condition,
        practitioner=practitioner,
        location=location,
        planned_date=planned_date,
        sessions_planned=sessions_planned,
        frequency=frequency,
        complementary=list(complementary or []),
        goals=(goals or "").strip(),
        created_by=user,
    )
    plan.full_clean()
    plan.save()
    return plan


PLAN_HEADER_FIELDS = frozenset(
    {
        "condition",
        "practitioner",
        "location",
        "planned_date",
        "sessions_planned",
        "frequency",
        "complementary",
        "goals",
    }
)


@transaction.atomic
def plan_update(*, plan: TreatmentPlan, user, **fields) -> TreatmentPlan:
    """Change the header of a draft (date, practitioner, sessions, ...)."""
    unknown = set(fields) - PLAN_HEADER_FIELDS
    if unknown:
        raise TypeError(f"Unknown plan fields: {sorted(unknown)}")
    locked = _lock_draft(plan)
    for name, value in fields.items():
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    _check_plan_header(
        patient=locked.patient,
        condition=locked.condition,
        practitioner=locked.practitioner,
        planned_date=locked.planned_date,
        today=timezone.localdate(),
    )
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def plan_site_add(
    *,
    plan: TreatmentPlan,
    user,
    muscle: Muscle,
    side: str,
    technique: str = Technique.STATIC,
    needle_gauge: str = "0.25",
    needle_length_mm: int = 30,
    estim_hz: int | None = None,
    estim_minutes: int | None = None,
) -> PlanSite:
    locked = _lock_draft(plan)
    if not muscle.is_active:
        raise ValidationError({"muscle": f"{muscle.name} is retired from the catalogue."})
    if locked.sites.filter(muscle=muscle, side=side).exists():
        raise ValidationError({"muscle": f"{muscle.name} ({side}) is already in the plan."})
    order = (locked.sites.aggregate(last=Max("order"))["last"] or 0) + 1
    site = PlanSite(
        plan=locked,
        muscle=muscle,
        side=side,
        technique=technique,
        needle_gauge=needle_gauge,
        needle_length_mm=needle_length_mm,
        estim_hz=estim_hz,
        estim_minutes=estim_minutes,
        order=order,
    )
    site.full_clean()
    site.save()
    TreatmentPlan.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return site


@transaction.atomic
def plan_sites_add(*, plan: TreatmentPlan, user, sides: tuple[str, ...], **site) -> list[PlanSite]:
    """Add the same muscle and needle on each of ``sides`` (left and right for "both").

    All or nothing: when one side cannot be added (already planned, say), neither is.
    """
    return [plan_site_add(plan=plan, user=user, side=side, **site) for side in sides]


@transaction.atomic
def plan_site_remove(*, plan: TreatmentPlan, user, site_id: int) -> None:
    locked = _lock_draft(plan)
    deleted, _ = PlanSite.objects.filter(pk=site_id, plan=locked).delete()
    if not deleted:
        raise ValidationError("That site is not in this plan.")
    TreatmentPlan.objects.filter(pk=locked.pk).update(updated_at=timezone.now())


@transaction.atomic
def plan_override_record(*, plan: TreatmentPlan, user, rule: str, reason: str) -> PlanOverride:
    """Record a written reason to proceed despite one relative finding of this plan.

    Only a practitioner with a DN certification valid today may; the finding must be a
    relative one that fires for the plan now and is not yet overridden. Never edited after.
    """
    from needling.plans.screening import screen_plan

    if not _practises_dn(user) or not _certified_on(user, timezone.localdate()):
        raise PermissionDenied("Only a practitioner with a valid DN certification may override.")
    locked = _lock_draft(plan)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if len(reason) < OVERRIDE_REASON_MIN:
        errors["reason"] = (
            f"Write the clinical reason in at least {OVERRIDE_REASON_MIN} characters."
        )
    elif len(reason) > 2000:
        errors["reason"] = "Keep the reason under 2,000 characters."
    screening = screen_plan(locked)
    findings = {f.rule: f for f in screening.result.findings} if screening.result else {}
    finding = findings.get(rule)
    if finding is None:
        errors["rule"] = "That rule does not fire for this plan: there is nothing to override."
    elif finding.severity != RELATIVE:
        errors["rule"] = (
            "A precaution never blocks a plan."
            if finding.severity == "precaution"
            else "An absolute contraindication can never be overridden."
        )
    elif finding.overridden:
        errors["rule"] = "That finding already has an override."
    if errors:
        raise ValidationError(errors)
    record = PlanOverride(
        plan=locked,
        rule=rule,
        reason=reason,
        recorded_by=user,
        screening_id=screening.screening_id,
    )
    record.full_clean()
    record.save()
    return record


@transaction.atomic
def plan_override_reconfirm(
    *, plan: TreatmentPlan, user, rule: str, on: dt.date | None = None
) -> PlanOverride:
    """Confirm again, on the screening now in force, an override made on an earlier one.

    The plan is judged as a draft is (its own date and practitioner) or, with ``on``, as a
    session on that day by ``user``. The finding must be open now and have an earlier
    override; the new row repeats that reason, names ``user`` and links the earlier row. It
    works on an approved plan too: the plan and its snapshot stay as they are.
    """
    from needling.plans.screening import screen_plan, screen_plan_on

    if not _practises_dn(user) or not _certified_on(user, timezone.localdate()):
        raise PermissionDenied("Only a practitioner with a valid DN certification may override.")
    locked = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if locked.status not in (PlanStatus.DRAFT, PlanStatus.APPROVED):
        raise ValidationError("This plan was superseded: work on its current version.")
    screening = (
        screen_plan(locked) if on is None else screen_plan_on(locked, practitioner=user, on=on)
    )
    earlier = {o.rule: o for o in screening.to_reconfirm}.get(rule)
    if earlier is None:
        raise ValidationError(
            {"rule": "That finding has no override from an earlier screening to confirm again."}
        )
    record = PlanOverride(
        plan=locked,
        rule=rule,
        reason=earlier.reason,
        recorded_by=user,
        screening_id=screening.screening_id,
        confirms=earlier,
    )
    record.full_clean()
    record.save()
    return record


@transaction.atomic
def plan_approve(*, plan: TreatmentPlan, user) -> TreatmentPlan:
    """Approve a draft whose screening, computed inside this transaction, is clear.

    Stores the immutable snapshot (the contract case judged, the result and the policy) and
    the CPT code, locks the plan, and queues its PDF: the render job row is created here and
    the Celery task is sent once the transaction commits (a broker outage leaves the job
    pending for the sweep; the approval stands).
    """
    from needling.plans.screening import screen_plan
    from needling.plans.tasks import plan_document_enqueue

    locked = _lock_draft(plan)
    if user.pk != locked.practitioner_id:
        raise PermissionDenied("Only the plan's treating practitioner approves it.")
    if not _practises_dn(user):
        raise PermissionDenied("Only therapists who practise dry needling approve DN plans.")
    screening = screen_plan(locked)
    if screening.result is None:
        raise ValidationError("Add at least one site before approving the plan.")
    if not screening.is_clear:
        raise ValidationError(_not_clear_message(screening.result))
    now = timezone.now()
    updated = TreatmentPlan.objects.filter(pk=locked.pk, status=PlanStatus.DRAFT).update(
        status=PlanStatus.APPROVED,
        approved_at=now,
        approved_by=user,
        snapshot=screening.snapshot(),
        cpt_code=screening.result.cpt_code,
        updated_at=now,
    )
    if updated != 1:
        raise ValidationError("The plan changed while it was being approved; try again.")
    document = PlanDocument.objects.create(plan=locked)
    transaction.on_commit(lambda: plan_document_enqueue(document_id=document.pk))
    locked.refresh_from_db()
    return locked


def _not_clear_message(result) -> str:
    if result.decision == "blocked":
        rules = [f.rule for f in result.findings if f.severity == "absolute"]
        return f"The plan is blocked by {', '.join(rules)}: it cannot be approved."
    rules = [f.rule for f in result.findings if f.overridden is False]
    return f"Record an override for {', '.join(rules)} before approving."


@transaction.atomic
def plan_new_version(*, plan: TreatmentPlan, user) -> TreatmentPlan:
    """Copy an approved plan into a new draft (version + 1) and mark the old one superseded.

    Sites are copied; overrides are not: each override is a judgement on the plan it was
    recorded for, so the new version is screened afresh and needs its own.
    """
    if not _practises_dn(user):
        raise PermissionDenied("Only therapists who practise dry needling change DN plans.")
    old = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if old.status != PlanStatus.APPROVED:
        raise ValidationError("Only the approved version of a plan can be changed.")
    updated = TreatmentPlan.objects.filter(pk=old.pk, status=PlanStatus.APPROVED).update(
        status=PlanStatus.SUPERSEDED
    )
    if updated != 1:
        raise ValidationError("The plan changed meanwhile; reload it.")
    new = TreatmentPlan(
        patient_id=old.patient_id,
        condition_id=old.condition_id,
        practitioner_id=old.practitioner_id,
        location_id=old.location_id,
        planned_date=max(old.planned_date, timezone.localdate()),
        sessions_planned=old.sessions_planned,
        frequency=old.frequency,
        complementary=list(old.complementary),
        goals=old.goals,
        version=old.version + 1,
        previous=old,
        created_by=user,
    )
    new.full_clean()
    new.save()
    PlanSite.objects.bulk_create(
        PlanSite(
            plan=new,
            muscle_id=site.muscle_id,
            side=site.side,
            technique=site.technique,
            needle_gauge=site.needle_gauge,
            needle_length_mm=site.needle_length_mm,
            estim_hz=site.estim_hz,
            estim_minutes=site.estim_minutes,
            order=site.order,
        )
        for site in old.sites.all()
    )
    return new


# Needle a one-click suggestion starts with, by region: short and fine on the face and the
# hands and feet, long for the buttock, hip and thigh. The therapist can change the site.
DEFAULT_NEEDLES: dict[str, tuple[str, int]] = {
    "head": ("0.16", 15),
    "jaw": ("0.16", 15),
    "hand": ("0.16", 15),
    "foot": ("0.20", 25),
    "low_back": ("0.30", 50),
    "buttock": ("0.30", 60),
    "hip": ("0.30", 50),
    "thigh": ("0.30", 50),
    "abdomen": ("0.25", 30),
    "leg": ("0.25", 40),
}


def default_needle(region: str) -> tuple[str, int]:
    return DEFAULT_NEEDLES.get(region, ("0.25", 30))


@transaction.atomic
def plan_document_retry(*, document: PlanDocument, user) -> bool:
    """Queue a failed job again (failed -> pending); False when it was not failed."""
    updated = PlanDocument.objects.filter(pk=document.pk, status=DocumentStatus.FAILED).update(
        status=DocumentStatus.PENDING, error="", finished_at=None, enqueued_at=timezone.now()
    )
    if updated:
        transaction.on_commit(lambda: plan_document_enqueue(document_id=document.pk))
    return updated == 1
