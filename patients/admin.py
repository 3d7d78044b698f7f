from django.contrib import admin

from patients.models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("last_name", "first_name", "date_of_birth", "phone", "archived_at")
    search_fields = ("search_name", "phone")
    list_select_related = ("preferred_location",)
