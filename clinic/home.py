"""Each role's start page: a therapist's or the front desk's day schedule, or the manager
dashboard. Reads across staff, patients and booking, so it sits beside the project's urls."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from clinic.booking.selectors import todays_appointments
from clinic.common.access import any_staff, requires
from clinic.staff.models import Location, Room, User
from clinic.staff.roles import Role
from clinic.staff.selectors import expiring_credentials
from patients.models import Patient


def dashboard_figures(*, today: dt.date) -> dict:
    role_counts = {
        role: User.objects.filter(is_active=True, groups__name=role.label).count() for role in Role
    }
    return {
        "role_counts": [(role.label, count) for role, count in role_counts.items()],
        "location_count": Location.objects.filter(is_active=True).count(),
        "room_count": Room.objects.filter(is_active=True, location__is_active=True).count(),
        "patient_count": Patient.objects.filter(archived_at__isnull=True).count(),
        "credentials": expiring_credentials(today=today),
    }


def schedule_context(user: User) -> dict:
    """What the day-schedule home page shows: the user's locations, today's appointments
    (a therapist's own, the front desk's at their locations) and, for a therapist, whether
    their DN certification is in force."""
    today = timezone.localdate()
    context: dict = {
        "locations": list(user.locations.filter(is_active=True)),
        "todays": todays_appointments(user),
    }
    if user.role is Role.THERAPIST:
        until = user.dn_certified_until(today)
        context["dn_certified_until"] = until
        context["dn_certified"] = until is not None and until >= today
    return context


# --- Home -----------------------------------------------------------------------------------


@any_staff
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Each role's start page: the day's schedule, or the manager dashboard."""
    role = request.user.role
    if role is Role.MANAGER:
        return dashboard_page(request)
    if role in (Role.THERAPIST, Role.FRONT_DESK):
        return render(
            request,
            "clinic/home_schedule.html",
            {
                "role": role,
                "today": timezone.localdate(),
                **schedule_context(request.user),
            },
        )
    return render(request, "clinic/home_no_role.html", status=200)


def dashboard_page(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "clinic/dashboard.html",
        {"today": today, **dashboard_figures(today=today)},
    )


@requires("clinic.view_dashboard")
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return dashboard_page(request)
