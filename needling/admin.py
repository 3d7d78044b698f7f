from django.contrib import admin

from needling.models import (
    Contraindication,
    Muscle,
    PlanDocument,
    PlanOverride,
    PlanSite,
    TreatmentPlan,
)


@admin.register(Muscle)
class MuscleAdmin(admin.ModelAdmin):
    """Managers may add a muscle or edit a caution; codes never change once saved."""

    list_display = ("code", "name", "region", "flags", "is_active")
    list_filter = ("region", "lung_risk", "deep", "pregnancy_restricted", "neurovascular")
    search_fields = ("code", "name")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Contraindication)
class ContraindicationAdmin(admin.ModelAdmin):
    """The rule catalogue is fixed: read it here, change policy on the policy page."""

    list_display = ("code", "name", "severity", "scope")
    list_filter = ("severity", "scope")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Plans change only through the services (screening, approval, versions): read here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PlanSiteInline(admin.TabularInline):
    model = PlanSite
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in PlanSite._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(_ReadOnlyAdmin):
    list_display = ("patient", "planned_date", "version", "status", "practitioner", "cpt_code")
    list_filter = ("status",)
    list_select_related = ("patient", "practitioner")
    inlines = [PlanSiteInline]


@admin.register(PlanOverride)
class PlanOverrideAdmin(_ReadOnlyAdmin):
    """Overrides are never edited or deleted, not even here."""

    list_display = ("rule", "plan", "recorded_by", "recorded_at")
    list_filter = ("rule",)
    list_select_related = ("plan__patient", "recorded_by")


@admin.register(PlanDocument)
class PlanDocumentAdmin(_ReadOnlyAdmin):
    list_display = ("plan", "status", "attempts", "created_at", "finished_at")
    list_filter = ("status",)
    list_select_related = ("plan__patient",)
