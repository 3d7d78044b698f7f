"""Booking setup for managers: appointment types, opening hours, working hours, absences."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from clinic.booking import selectors, services
from clinic.booking.forms import (
    AppointmentTypeForm,
    OpeningHoursForm,
    ScheduleExceptionForm,
    WorkingHoursForm,
)
from clinic.booking.models import (
    AppointmentType,
    OpeningHours,
    ScheduleException,
    Weekday,
    WorkingHours,
)
from clinic.common.access import requires
from clinic.common.forms import form_submit, saved
from clinic.staff.models import User
from clinic.staff.roles import Role

PAGE_SIZE = 25


@requires("clinic.view_openinghours")
@require_GET
def setup(request: HttpRequest) -> HttpResponse:
    """The setup index: each location with its opening hours, plus types and absences."""
    locations = selectors.calendar_locations(request.user).prefetch_related(
        Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday"))
    )
    return render(
        request,
        "clinic/booking/setup.html",
        {"locations": locations, "type_count": AppointmentType.objects.count()},
    )


# --- Appointment types ----------------------------------------------------------------------


@requires("clinic.view_appointmenttype")
@require_GET
def type_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(AppointmentType.objects.order_by("name"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "clinic/booking/type_list.html", {"page": page})


@requires("clinic.add_appointmenttype")
@require_http_methods(["GET", "POST"])
def type_create(request: HttpRequest) -> HttpResponse:
    form = AppointmentTypeForm(request.POST or None, initial={"colour": "#0d6efd"})
    return form_submit(
        request,
        form,
        lambda _: services.appointment_type_save(appointment_type=form.save(commit=False)),
        on_success=lambda saved_type: saved(
            request, "booking:type_list", message=f"Added appointment type {saved_type.name}."
        ),
        on_invalid=lambda: render(
            request,
            "clinic/booking/type_form.html",
            {"form": form, "title": "Add appointment type"},
        ),
    )


@requires("clinic.change_appointmenttype")
@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    appointment_type = get_object_or_404(AppointmentType, pk=pk)
    form = AppointmentTypeForm(request.POST or None, instance=appointment_type)
    return form_submit(
        request,
        form,
        lambda _: services.appointment_type_save(appointment_type=form.save(commit=False)),
        on_success=lambda saved_type: saved(
            request,
            "booking:type_list",
            message=f"Saved {saved_type.name}. Existing appointments keep their times.",
        ),
        on_invalid=lambda: render(
            request,
            "clinic/booking/type_form.html",
            {"form": form, "title": f"Edit {appointment_type.name}"},
        ),
    )


# --- Opening and working hours ----------------------------------------------------------------


def _managed_location(request: HttpRequest, pk: int):
    return get_object_or_404(selectors.calendar_locations(request.user), pk=pk)


@requires("clinic.view_openinghours", "clinic.view_workinghours")
@require_GET
def hours(request: HttpRequest, pk: int) -> HttpResponse:
    location = _managed_location(request, pk)
    opening = {row.weekday: row for row in location.opening_hours.order_by("weekday")}
    working = (
        WorkingHours.objects.filter(location=location)
        .select_related("therapist")
        .order_by("therapist__last_name", "therapist__first_name", "weekday", "starts")
    )
    by_therapist: dict[User, list[WorkingHours]] = {}
    for row in working:
        by_therapist.setdefault(row.therapist, []).append(row)
    therapists = list(selectors.therapists_at(location))
    return render(
        request,
        "clinic/booking/hours.html",
        {
            "location": location,
            "week": [(label, opening.get(value)) for value, label in Weekday.choices],
            "working": by_therapist,
            "without_hours": [t for t in therapists if t not in by_therapist],
        },
    )


@requires("clinic.change_openinghours")
@require_http_methods(["GET", "POST"])
def opening_hours_edit(request: HttpRequest, pk: int) -> HttpResponse:
    location = _managed_location(request, pk)
    form = OpeningHoursForm(request.POST or None, location=location)
    return form_submit(
        request,
        form,
        lambda data: services.opening_hours_set(location=location, days=data["days"]),
        on_success=lambda _: saved(
            request,
            "booking:hours",
            location.pk,
            message=f"Saved the opening hours of {location.name}.",
        ),
        on_invalid=lambda: render(
            request, "clinic/booking/opening_hours_form.html", {"form": form, "location": location}
        ),
    )


@requires("clinic.add_workinghours")
@require_http_methods(["GET", "POST"])
def working_hours_add(request: HttpRequest, pk: int) -> HttpResponse:
    location = _managed_location(request, pk)
    form = WorkingHoursForm(request.POST or None, location=location)
    return form_submit(
        request,
        form,
        lambda data: services.working_hours_add(location=location, **data),
        on_success=lambda row: saved(
            request,
            "booking:hours",
            location.pk,
            message=f"{row.therapist} works at {location.name} on {row.get_weekday_display()}s "
            f"{row.starts:%H:%M}-{row.ends:%H:%M}.",
        ),
        on_invalid=lambda: render(
            request, "clinic/booking/working_hours_form.html", {"form": form, "location": location}
        ),
    )


@requires("clinic.delete_workinghours")
@require_http_methods(["GET", "POST"])
def working_hours_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(
        WorkingHours.objects.filter(
            location__in=selectors.calendar_locations(request.user)
        ).select_related("therapist", "location"),
        pk=pk,
    )
    if request.method == "POST":
        services.working_hours_remove(working_hours=row)
        messages.success(
            request,
            f"Removed {row.therapist}'s hours on {row.get_weekday_display()}s "
            f"{row.starts:%H:%M}-{row.ends:%H:%M}. Booked appointments are unchanged.",
        )
        return redirect("booking:hours", pk=row.location_id)
    return render(request, "clinic/booking/working_hours_delete.html", {"row": row})


# --- Absences -------------------------------------------------------------------------------


def _managed_therapists(request: HttpRequest):
    return (
        User.objects.filter(
            groups__name=Role.THERAPIST.label,
            locations__in=selectors.calendar_locations(request.user),
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


@requires("clinic.view_scheduleexception")
@require_GET
def exception_list(request: HttpRequest) -> HttpResponse:
    """Current and upcoming absences of the therapists at the manager's locations."""
    upcoming = (
        ScheduleException.objects.filter(
            therapist__in=_managed_therapists(request), ends_on__gte=timezone.localdate()
        )
        .select_related("therapist")
        .order_by("starts_on", "therapist__last_name")
    )
    page = Paginator(upcoming, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "clinic/booking/exception_list.html", {"page": page})


@requires("clinic.add_scheduleexception")
@require_http_methods(["GET", "POST"])
def exception_add(request: HttpRequest) -> HttpResponse:
    form = ScheduleExceptionForm(request.POST or None, therapists=_managed_therapists(request))
    return form_submit(
        request,
        form,
        lambda data: services.schedule_exception_add(created_by=request.user, **data),
        on_success=lambda added: _exception_recorded(request, *added),
        on_invalid=lambda: render(request, "clinic/booking/exception_form.html", {"form": form}),
    )


def _exception_recorded(request: HttpRequest, exception, affected: int) -> HttpResponse:
    """Back to the list; a warning when booked appointments fall in the absence."""
    text = f"Recorded: {exception.therapist}, {exception}."
    if affected:
        plural = affected != 1
        text += (
            f" {exception.therapist} has {affected} booked appointment"
            f"{'s' if plural else ''} then: reschedule {'them' if plural else 'it'}."
        )
        messages.warning(request, text)
    else:
        messages.success(request, text)
    return redirect("booking:exception_list")


@requires("clinic.delete_scheduleexception")
@require_http_methods(["GET", "POST"])
def exception_delete(request: HttpRequest, pk: int) -> HttpResponse:
    exception = get_object_or_404(
        ScheduleException.objects.filter(therapist__in=_managed_therapists(request)).select_related(
            "therapist"
        ),
        pk=pk,
    )
    if request.method == "POST":
        services.schedule_exception_remove(exception=exception)
        messages.success(request, f"Removed {exception.therapist}'s absence ({exception}).")
        return redirect("booking:exception_list")
    return render(request, "clinic/booking/exception_delete.html", {"exception": exception})
