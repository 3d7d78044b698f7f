"""Reads for clinic pages, with the joins each page needs so query counts stay fixed."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from clinic.models import DNCertification, Licence, Location, Room, User
from clinic.roles import Role

CREDENTIAL_WARNING_DAYS = 60


def staff_with_credentials() -> QuerySet[User]:
    return User.objects.prefetch_related(
        "groups",
        "locations",
        "licences",
        Prefetch("dn_certifications", queryset=DNCertification.objects.order_by("-valid_until")),
    )


def locations_with_rooms() -> QuerySet[Location]:
    return (
        Location.objects.prefetch_related(Prefetch("rooms", queryset=Room.objects.order_by("name")))
        .annotate(staff_count=Count("staff", filter=Q(staff__is_active=True), distinct=True))
        .order_by("name")
    )


def staff_at(location: Location) -> QuerySet[User]:
    return location.staff.filter(is_active=True).prefetch_related("groups")


def expiring_credentials(*, today: dt.date, days: int = CREDENTIAL_WARNING_DAYS) -> dict:
    """Licences and DN certifications of active staff that expire within `days` (or already
    have) and were not renewed by a later one. Two queries, however many staff."""
    horizon = today + dt.timedelta(days=days)
    renewed_cert = DNCertification.objects.filter(
        user_id=OuterRef("user_id"), valid_until__gt=horizon
    )
    renewed_licence = Licence.objects.filter(
        user_id=OuterRef("user_id"), state=OuterRef("state"), expires_on__gt=horizon
    )
    certifications = (
        DNCertification.objects.filter(user__is_active=True, valid_until__lte=horizon)
        .exclude(Exists(renewed_cert))
        .select_related("user")
        .order_by("valid_until")
    )
    licences = (
        Licence.objects.filter(user__is_active=True, expires_on__lte=horizon)
        .exclude(Exists(renewed_licence))
        .select_related("user")
        .order_by("expires_on")
    )
    return {"certifications": list(certifications), "licences": list(licences)}


def dashboard_figures(*, today: dt.date) -> dict:
    from patients.models import Patient

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
    from django.utils import timezone

    from clinic.booking.selectors import todays_appointments

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
