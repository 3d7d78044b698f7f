"""Reads for the staff and location pages, with the joins each page needs so query counts
stay fixed."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from clinic.staff.models import DNCertification, Licence, Location, Room, User

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
