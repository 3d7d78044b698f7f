"""Reads of treatment plans, scoped to what the user may see, with the joins each page needs."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from needling.plans.models import PlanOverride, PlanSite, PlanStatus, TreatmentPlan
from patients.models import PainMap, PainMapArea

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
    from clinic.staff.models import User

    return (
        User.objects.filter(is_active=True, groups__permissions__codename="practise_dn")
        .distinct()
        .order_by("last_name", "first_name")
    )


# The statuses of plans whose treatment course counts for outcomes: approved, or approved
# and since superseded by a new version (the outcomes report reads them off the course
# roll-up, clinic.reports.rollup_models.CourseRollup.plan_status).
COURSE_STATUSES = (PlanStatus.APPROVED, PlanStatus.SUPERSEDED)
