"""Reads that turn the clinic's data into the screening engine's plain values."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from django.db.models import Count, Prefetch, Q, QuerySet

from needling.knowledge import catalogue
from needling.models import (
    Muscle,
    PlanOverride,
    PlanSite,
    ScreeningSettings,
    StricterRule,
    TreatmentPlan,
)
from needling.screening import Policy
from patients.models import PainMap, PainMapArea


def screening_settings() -> ScreeningSettings:
    row, _ = ScreeningSettings.objects.get_or_create(pk=1)
    return row


def screening_policy() -> Policy:
    """The clinic's policy as the engine's value: two queries."""
    row = screening_settings()
    stricter = frozenset(
        StricterRule.objects.filter(revoked_at__isnull=True).values_list("rule__code", flat=True)
    )
    return Policy(
        post_surgical_window_days=row.post_surgical_window_days,
        stricter_rules=stricter,
        bilateral_counts_twice=row.bilateral_counts_twice,
    )


def muscle_facts() -> Mapping[str, catalogue.Muscle]:
    """Active muscles as the engine reads them (manager edits in the admin included)."""
    return MappingProxyType({m.code: m.as_fact() for m in Muscle.objects.filter(is_active=True)})


def active_stricter_rules():
    return StricterRule.objects.filter(revoked_at__isnull=True).select_related("rule", "adopted_by")


# --- Treatment plans --------------------------------------------------------------------------


def visible_plans(user, plans: QuerySet[TreatmentPlan] | None = None) -> QuerySet[TreatmentPlan]:
    """The plans `user` may read (the rule of session notes): managers every plan; a
    therapist those they treat or drafted, and those made at their locations; anyone else
    none. Views look plans up through this, so a plan outside it is a 404."""
    from clinic.booking.selectors import sees_all_locations

    plans = TreatmentPlan.objects.all() if plans is None else plans
    if not user.has_perm("needling.view_treatmentplan"):
        return plans.none()
    if sees_all_locations(user):
        return plans
    return plans.filter(
        Q(practitioner=user) | Q(created_by=user) | Q(location__in=user.locations.all())
    )


def plan_workspace() -> QuerySet[TreatmentPlan]:
    """A plan with what its workspace (sites, suggestions, screening panel) reads: patient and
    practitioner, sites with muscles, overrides. Not the page's other header joins: a join of
    nine tables costs PostgreSQL more to plan than to run."""
    return TreatmentPlan.objects.select_related("patient", "practitioner").prefetch_related(
        Prefetch("sites", queryset=PlanSite.objects.select_related("muscle")),
        Prefetch(
            "overrides", queryset=PlanOverride.objects.select_related("recorded_by", "screening")
        ),
    )


def plan_page() -> QuerySet[TreatmentPlan]:
    """A plan with everything its page shows: header joins, sites with muscles, overrides."""
    return plan_workspace().select_related(
        "condition", "location", "approved_by", "created_by", "previous", "document"
    )


def plan_list(*, user, status: str = "", practitioner=None) -> QuerySet[TreatmentPlan]:
    """Plans `user` may read, for the list page: one query per page (plus the count), sites
    counted."""
    plans = (
        visible_plans(user)
        .select_related("patient", "condition", "practitioner", "document")
        .annotate(site_count=Count("sites"))
    )
    if status:
        plans = plans.filter(status=status)
    if practitioner is not None:
        plans = plans.filter(practitioner=practitioner)
    return plans.order_by("-planned_date", "-created_at", "pk")


def patient_plans(patient, *, user) -> QuerySet[TreatmentPlan]:
    return (
        visible_plans(user)
        .filter(patient=patient)
        .select_related("condition", "practitioner", "document")
        .annotate(site_count=Count("sites"))
        .order_by("-planned_date", "-version", "-created_at")
    )


def latest_pain_map(patient) -> PainMap | None:
    """The patient's latest pain map with its areas: two queries, whether there is one or not
    (a prefetch would skip the areas when there is no map)."""
    from patients.selectors import attach_related

    maps = PainMap.objects.filter(patient=patient).order_by("-recorded_on", "-created_at")
    pain_map = maps.first()
    areas = PainMapArea.objects.filter(pain_map__in=maps.values("pk")[:1])
    attach_related([pain_map] if pain_map is not None else [], "areas", areas)
    return pain_map


def dn_practitioners() -> QuerySet:
    """Active staff who hold the practise_dn permission through their role group."""
    from clinic.models import User

    return (
        User.objects.filter(is_active=True, groups__permissions__codename="practise_dn")
        .distinct()
        .order_by("last_name", "first_name")
    )
