from django.contrib import admin

from needling.knowledge.models import Contraindication, Muscle
from needling.plans.models import PlanDocument, PlanOverride, PlanSite, TreatmentPlan
from needling.sessions.models import (
    AdverseEvent,
    SessionAccessLog,
    SessionAddendum,
    SessionRecord,
    SessionSite,
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


# --- Session notes: read-only here; they change only through needling.sessions.services ----


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SessionSiteInline(_ReadOnlyInline):
    model = SessionSite


class AdverseEventInline(_ReadOnlyInline):
    model = AdverseEvent


class SessionAddendumInline(_ReadOnlyInline):
    model = SessionAddendum


@admin.register(SessionRecord)
class SessionRecordAdmin(_ReadOnlyAdmin):
    list_display = ("patient", "session_date", "practitioner", "status", "cpt_code")
    list_filter = ("status", "needle_mismatch_flagged", "major_event_flagged")
    list_select_related = ("patient", "practitioner")
    inlines = [SessionSiteInline, AdverseEventInline, SessionAddendumInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A read of the note in the admin is a read like any other: log it.
        session = SessionRecord.objects.filter(pk=object_id).first()
        if session is not None and request.method == "GET":
            SessionAccessLog.objects.create(session=session, user=request.user)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(SessionAccessLog)
class SessionAccessLogAdmin(_ReadOnlyAdmin):
    list_display = ("session", "user", "at")
    list_select_related = ("session__patient", "user")
