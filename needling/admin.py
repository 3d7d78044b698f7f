from django.contrib import admin

from needling.models import Contraindication, Muscle


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
