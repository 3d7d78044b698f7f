"""Clinic-wide pages: home per role, health, staff, credentials and locations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from clinic import selectors, services
from clinic.access import any_staff, requires
from clinic.forms import (
    CertificationForm,
    LicenceForm,
    LocationForm,
    RoomForm,
    StaffCreateForm,
    StaffEditForm,
)
from clinic.models import Location, User
from clinic.roles import Role

PAGE_SIZE = 25


def apply_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its fields where it names them."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- Public ---------------------------------------------------------------------------------


@login_not_required
@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Reports the database and, when configured, Redis. 503 when either is down."""
    from django.conf import settings

    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except DatabaseError as exc:
        checks["database"] = f"down: {exc.__class__.__name__}"
    if settings.REDIS_URL:
        import redis

        try:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
            )
            client.ping()
            checks["redis"] = "ok"
        except (redis.RedisError, OSError) as exc:
            checks["redis"] = f"down: {exc.__class__.__name__}"
    else:
        checks["redis"] = "not configured"
    healthy = all(value in ("ok", "not configured") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


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
                **selectors.schedule_context(request.user),
            },
        )
    return render(request, "clinic/home_no_role.html", status=200)


def dashboard_page(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "clinic/dashboard.html",
        {"today": today, **selectors.dashboard_figures(today=today)},
    )


@requires("clinic.view_dashboard")
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return dashboard_page(request)


@any_staff
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    user = selectors.staff_with_credentials().get(pk=request.user.pk)
    return render(request, "clinic/profile.html", {"member": user, "today": timezone.localdate()})


# --- Staff ----------------------------------------------------------------------------------


@requires("clinic.view_user")
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.staff_with_credentials(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "clinic/staff_list.html", {"page": page, "today": timezone.localdate()})


@requires("clinic.view_user")
@require_GET
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(selectors.staff_with_credentials(), pk=pk)
    return render(
        request,
        "clinic/staff_detail.html",
        {"member": member, "today": timezone.localdate()},
    )


@requires("clinic.add_user")
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = services.staff_create(
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=data["phone"],
                role=data["role"],
                locations=data["locations"],
                password=data["password"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{member} can now log in as {member.username}.")
            return redirect(member)
    return render(request, "clinic/staff_form.html", {"form": form, "title": "Add staff member"})


@requires("clinic.change_user")
@require_http_methods(["GET", "POST"])
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    initial = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "phone": member.phone,
        "role": member.role.name if member.role else None,
        "locations": list(member.locations.all()),
        "is_active": member.is_active,
    }
    form = StaffEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if member == request.user and not data["is_active"]:
            form.add_error("is_active", "You cannot deactivate your own account.")
        else:
            try:
                services.staff_update(user=member, **data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"Saved {member}.")
                return redirect(member)
    return render(
        request,
        "clinic/staff_form.html",
        {"form": form, "member": member, "title": f"Edit {member}"},
    )


@requires("clinic.add_licence")
@require_http_methods(["GET", "POST"])
def licence_add(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    form = LicenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.licence_add(user=member, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Licence added for {member}.")
            return redirect(member)
    return render(
        request,
        "clinic/credential_form.html",
        {"form": form, "member": member, "title": f"Add a licence for {member}"},
    )


@requires("clinic.add_dncertification")
@require_http_methods(["GET", "POST"])
def certification_add(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    form = CertificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.certification_add(user=member, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"DN certification added for {member}.")
            return redirect(member)
    return render(
        request,
        "clinic/credential_form.html",
        {"form": form, "member": member, "title": f"Add a DN certification for {member}"},
    )


# --- Locations and rooms ---------------------------------------------------------------------


@requires("clinic.view_location")
@require_GET
def location_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.locations_with_rooms(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "clinic/location_list.html", {"page": page})


@requires("clinic.view_location")
@require_GET
def location_detail(request: HttpRequest, pk: int) -> HttpResponse:
    location = get_object_or_404(selectors.locations_with_rooms(), pk=pk)
    return render(
        request,
        "clinic/location_detail.html",
        {"location": location, "room_form": RoomForm(), "staff": selectors.staff_at(location)},
    )


@requires("clinic.add_location")
@require_http_methods(["GET", "POST"])
def location_create(request: HttpRequest) -> HttpResponse:
    form = LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        location = services.location_save(location=form.save(commit=False))
        messages.success(request, f"Location {location} added. Add its rooms next.")
        return redirect(location)
    return render(request, "clinic/location_form.html", {"form": form, "title": "Add location"})


@requires("clinic.change_location")
@require_http_methods(["GET", "POST"])
def location_edit(request: HttpRequest, pk: int) -> HttpResponse:
    location = get_object_or_404(Location, pk=pk)
    form = LocationForm(request.POST or None, instance=location)
    if request.method == "POST" and form.is_valid():
        services.location_save(location=form.save(commit=False))
        messages.success(request, f"Saved {location}.")
        return redirect(location)
    return render(
        request,
        "clinic/location_form.html",
        {"form": form, "location": location, "title": f"Edit {location}"},
    )


@requires("clinic.add_room")
@require_http_methods(["POST"])
def room_create(request: HttpRequest, pk: int) -> HttpResponse:
    location = get_object_or_404(selectors.locations_with_rooms(), pk=pk)
    form = RoomForm(request.POST)
    if form.is_valid():
        try:
            room = services.room_create(location=location, name=form.cleaned_data["name"])
        except ValidationError:
            form.add_error("name", "This location already has a room with that name.")
        else:
            messages.success(request, f"Room {room.name} added.")
            return redirect(location)
    return render(
        request,
        "clinic/location_detail.html",
        {"location": location, "room_form": form, "staff": selectors.staff_at(location)},
        status=400,
    )
