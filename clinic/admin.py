from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from clinic.staff.models import DNCertification, Licence, Location, Room, User


class LicenceInline(admin.TabularInline):
    model = Licence
    extra = 0


class CertificationInline(admin.TabularInline):
    model = DNCertification
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Clinic", {"fields": ("phone", "locations")}),
    )
    filter_horizontal = ("groups", "user_permissions", "locations")
    inlines = [LicenceInline, CertificationInline]


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "time_zone", "is_active")
    inlines = [RoomInline]
