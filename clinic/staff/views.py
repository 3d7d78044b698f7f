"""Staff and locations: the staff list and records, licences and DN certifications, own
profile, locations and their rooms."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from clinic.common.access import any_staff, requires
from clinic.common.forms import form_submit, saved
from clinic.staff import selectors, services
from clinic.staff.forms import (
    CertificationForm,
    LicenceForm,
    LocationForm,
    RoomForm,
    StaffCreateForm,
    StaffEditForm,
)
from clinic.staff.models import Location, User

PAGE_SIZE = 25
STAFF_CREATE_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "phone",
    "role",
    "locations",
    "password",
)


@any_staff
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    user = selectors.staff_with_credentials().get(pk=request.user.pk)
    return render(
        request, "clinic/staff/profile.html", {"member": user, "today": timezone.localdate()}
    )


# --- Staff ----------------------------------------------------------------------------------


@requires("clinic.view_user")
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.staff_with_credentials(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "clinic/staff/staff_list.html", {"page": page, "today": timezone.localdate()}
    )


@requires("clinic.view_user")
@require_GET
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(selectors.staff_with_credentials(), pk=pk)
    return render(
        request,
        "clinic/staff/staff_detail.html",
        {"member": member, "today": timezone.localdate()},
    )


@requires("clinic.add_user")
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST or None)
    return form_submit(
        request,
        form,
        lambda data: services.staff_create(**{name: data[name] for name in STAFF_CREATE_FIELDS}),
        on_success=lambda member: saved(
            request, member, message=f"{member} can now log in as {member.username}."
        ),
        on_invalid=lambda: render(
            request, "clinic/staff/staff_form.html", {"form": form, "title": "Add staff member"}
        ),
    )


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
    return form_submit(
        request,
        form,
        lambda data: services.staff_update(user=member, by=request.user, **data),
        on_success=lambda _: saved(request, member, message=f"Saved {member}."),
        on_invalid=lambda: render(
            request,
            "clinic/staff/staff_form.html",
            {"form": form, "member": member, "title": f"Edit {member}"},
        ),
    )


@requires("clinic.add_licence")
@require_http_methods(["GET", "POST"])
def licence_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _credential_add(
        request,
        pk,
        LicenceForm,
        services.licence_add,
        done="Licence added for {member}.",
        title="Add a licence for {member}",
    )


@requires("clinic.add_dncertification")
@require_http_methods(["GET", "POST"])
def certification_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _credential_add(
        request,
        pk,
        CertificationForm,
        services.certification_add,
        done="DN certification added for {member}.",
        title="Add a DN certification for {member}",
    )


def _credential_add(request: HttpRequest, pk: int, form_class, add, *, done: str, title: str):
    """A licence or a DN certification for a staff member (the same page for both)."""
    member = get_object_or_404(User, pk=pk)
    form = form_class(request.POST or None)
    return form_submit(
        request,
        form,
        lambda data: add(user=member, **data),
        on_success=lambda _: saved(request, member, message=done.format(member=member)),
        on_invalid=lambda: render(
            request,
            "clinic/staff/credential_form.html",
            {"form": form, "member": member, "title": title.format(member=member)},
        ),
    )


# --- Locations and rooms ---------------------------------------------------------------------


@requires("clinic.view_location")
@require_GET
def location_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.locations_with_rooms(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "clinic/staff/location_list.html", {"page": page})


@requires("clinic.view_location")
@require_GET
def location_detail(request: HttpRequest, pk: int) -> HttpResponse:
    location = get_object_or_404(selectors.locations_with_rooms(), pk=pk)
    return render(
        request,
        "clinic/staff/location_detail.html",
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
    return render(
        request, "clinic/staff/location_form.html", {"form": form, "title": "Add location"}
    )


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
        "clinic/staff/location_form.html",
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
        "clinic/staff/location_detail.html",
        {"location": location, "room_form": form, "staff": selectors.staff_at(location)},
        status=400,
    )
