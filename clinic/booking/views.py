"""The calendar and appointments: day and week views, booking, rescheduling, cancelling and
the status changes of the visit."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.booking import schedule, selectors, services
from clinic.booking.forms import BookingForm, CancelForm, MoveForm
from clinic.booking.models import Appointment, AppointmentType
from clinic.booking.readiness import readiness_for
from clinic.booking.times import day_bounds, local_today, parse_day, week_start
from clinic.common.access import requires
from clinic.common.forms import apply_errors
from clinic.staff.models import Location

EARLIEST = dt.date(1990, 1, 1)
LATEST = dt.date(2999, 12, 31)
Status = Appointment.Status


def _is_htmx(request: HttpRequest) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _location(request: HttpRequest, pk: int) -> Location:
    return get_object_or_404(selectors.calendar_locations(request.user), pk=pk)


def _calendar_location(request: HttpRequest, pk: int) -> tuple[Location, list[Location]]:
    """The location asked for (404 unless the user may open its calendar) and the ones the
    location switcher lists: one query for both."""
    locations = list(selectors.calendar_locations(request.user))
    for location in locations:
        if location.pk == pk:
            return location, locations
    raise Http404("No Location matches the given query.")


def _day_param(request: HttpRequest, location: Location) -> dt.date:
    day = parse_day(request.GET.get("date"))
    if day is None or not EARLIEST <= day <= LATEST:
        return local_today(location.zone)
    return day


def _by_param(request: HttpRequest) -> str:
    return "room" if request.GET.get("by") == "room" else "therapist"


def day_url(location: Location, day: dt.date, by: str = "therapist") -> str:
    url = f"{reverse('booking:day', args=[location.pk])}?date={day.isoformat()}"
    return url + ("&by=room" if by == "room" else "")


def _next_url(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**62 else None


# --- Calendar -------------------------------------------------------------------------------


@requires("clinic.view_appointment")
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    """The calendar of the location last looked at (or the first one the user works at)."""
    locations = selectors.calendar_locations(request.user)
    remembered = request.session.get("calendar_location")
    location = locations.filter(pk=remembered).first() if remembered else None
    location = location or locations.first()
    if location is None:
        return render(request, "clinic/booking/no_location.html")
    return redirect("booking:day", pk=location.pk)


@requires("clinic.view_appointment")
@require_GET
def calendar_day(request: HttpRequest, pk: int) -> HttpResponse:
    location, locations = _calendar_location(request, pk)
    request.session["calendar_location"] = location.pk
    day = _day_param(request, location)
    by = _by_param(request)
    can_book = request.user.has_perm("clinic.add_appointment") and location.is_active
    cal = selectors.day_calendar(
        location=location, day=day, by=by, user=request.user, can_book=can_book
    )
    context = {
        "cal": cal,
        "location": location,
        "locations": locations,
        "today": local_today(location.zone),
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "by": by,
        "can_book": can_book,
        "week_of": week_start(day),
    }
    template = "clinic/booking/_day.html" if _is_htmx(request) else "clinic/booking/day.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@requires("clinic.view_appointment")
@require_GET
def calendar_week(request: HttpRequest, pk: int) -> HttpResponse:
    location, locations = _calendar_location(request, pk)
    request.session["calendar_location"] = location.pk
    monday = week_start(_day_param(request, location))
    by = _by_param(request)
    cal = selectors.week_calendar(location=location, monday=monday, by=by, user=request.user)
    context = {
        "cal": cal,
        "location": location,
        "locations": locations,
        "today": local_today(location.zone),
        "previous": monday - dt.timedelta(days=7),
        "next": monday + dt.timedelta(days=7),
        "by": by,
        "can_book": request.user.has_perm("clinic.add_appointment") and location.is_active,
    }
    template = "clinic/booking/_week.html" if _is_htmx(request) else "clinic/booking/week.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- Booking --------------------------------------------------------------------------------


def _readiness_context(patient, appointment_type, on: dt.date) -> dict:
    is_dn = bool(appointment_type and appointment_type.is_dn)
    return {
        "is_dn": is_dn,
        "patient": patient,
        "readiness": readiness_for(patient, on) if (is_dn and patient is not None) else None,
        "readiness_on": on,
    }


def _booking_initial(request: HttpRequest, location: Location) -> dict:
    from patients.models import Patient

    initial: dict = {"repeat": "0", "occurrences": 1}
    day = parse_day(request.GET.get("date"))
    if day and EARLIEST <= day <= LATEST:
        initial["date"] = day
    else:
        initial["date"] = local_today(location.zone)
    if request.GET.get("time"):
        with contextlib.suppress(ValueError):
            initial["time"] = dt.time.fromisoformat(request.GET["time"][:5])
    for name in ("therapist", "room", "appointment_type"):
        number = _int(request.GET.get(name))
        if number:
            initial[name] = number
    patient_id = _uuid(request.GET.get("patient"))
    if patient_id:
        patient = Patient.objects.filter(pk=patient_id, archived_at__isnull=True).first()
        if patient:
            initial["patient"] = patient
    return initial


def _chosen(form: BookingForm, name: str):
    """The object a bound or initial form field refers to, or None."""
    if form.is_bound:
        if hasattr(form, "cleaned_data") and form.cleaned_data.get(name) is not None:
            return form.cleaned_data[name]
        raw = form.data.get(name)
        if not raw:
            return None
        try:
            return form.fields[name].clean(raw)
        except ValidationError:
            return None
    value = form.initial.get(name)
    if value is None or hasattr(value, "pk"):
        return value
    try:
        return form.fields[name].clean(value)
    except ValidationError:
        return None


@requires("clinic.add_appointment")
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, pk: int) -> HttpResponse:
    location = _location(request, pk)
    if not location.is_active:
        messages.error(request, f"{location.name} is closed for bookings.")
        return redirect("booking:day", pk=location.pk)
    form = BookingForm(
        request.POST or None,
        location=location,
        user=request.user,
        initial=_booking_initial(request, location),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        common = {
            "location": location,
            "patient": data["patient"],
            "appointment_type": data["appointment_type"],
            "therapist": data["therapist"],
            "room": data["room"],
            "starts_at": data["starts_at"],
            "booked_by": request.user,
            "notes": data.get("notes", ""),
            "override_reason": data.get("override_reason", ""),
        }
        try:
            if data["occurrences"] > 1:
                booked = services.appointment_book_series(
                    **common,
                    occurrences=data["occurrences"],
                    interval_weeks=int(data["repeat"]),
                )
            else:
                booked = [services.appointment_book(**common)]
        except ValidationError as error:
            apply_errors(form, error)
        else:
            first = booked[0]
            local = first.local_starts_at
            text = (
                f"Booked {first.patient} with {first.therapist} in {first.room.name} on "
                f"{local:%a %-d %b %Y at %H:%M}."
            )
            if len(booked) > 1:
                text += f" The series has {len(booked)} appointments."
            messages.success(request, text)
            return redirect(day_url(location, local.date()))
    patient = _chosen(form, "patient")
    appointment_type = _chosen(form, "appointment_type")
    day = _chosen(form, "date") or local_today(location.zone)
    context = {
        "form": form,
        "location": location,
        "patients": [patient] if patient else [],
        "selected_patient": patient,
        **_readiness_context(patient, appointment_type, day),
    }
    return render(request, "clinic/booking/book.html", context)


@requires("clinic.add_appointment", "patients.view_patient")
@require_GET
def patient_search(request: HttpRequest) -> HttpResponse:
    """htmx: the patients whose folded name contains every word typed, as a listbox."""
    query = (request.GET.get("patient_query") or "")[:100]
    patients = selectors.patient_matches(query)
    return render(
        request,
        "clinic/booking/_patient_options.html",
        {"patients": patients, "query": query, "searched": True, "selected_patient": None},
    )


@requires("clinic.add_appointment", "patients.view_patient")
@require_GET
def readiness(request: HttpRequest) -> HttpResponse:
    """htmx: the DN screening and consent panel for the chosen patient, type and date."""
    from patients.models import Patient

    patient_id = _uuid(request.GET.get("patient"))
    patient = (
        Patient.objects.filter(pk=patient_id, archived_at__isnull=True).first()
        if patient_id
        else None
    )
    type_id = _int(request.GET.get("appointment_type"))
    appointment_type = AppointmentType.objects.filter(pk=type_id).first() if type_id else None
    day = parse_day(request.GET.get("date"))
    if day is None or not EARLIEST <= day <= LATEST:
        day = timezone.localdate()
    return render(
        request,
        "clinic/booking/_dn_readiness.html",
        _readiness_context(patient, appointment_type, day),
    )


@requires("clinic.add_appointment")
@require_GET
def free_slots(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the next free slots for the chosen type (and therapist or room, if chosen)."""
    location = _location(request, pk)
    type_id = _int(request.GET.get("appointment_type"))
    appointment_type = selectors.bookable_types().filter(pk=type_id).first() if type_id else None
    context: dict = {"location": location, "appointment_type": appointment_type, "slots": []}
    if appointment_type is not None:
        therapists = list(selectors.therapists_at(location))
        therapist_id = _int(request.GET.get("therapist"))
        if therapist_id:
            therapists = [t for t in therapists if t.pk == therapist_id]
        rooms = list(selectors.bookable_rooms(location))
        room_id = _int(request.GET.get("room"))
        if room_id:
            rooms = [r for r in rooms if r.pk == room_id]
        now = timezone.now()
        after = now
        day = parse_day(request.GET.get("date"))
        if day and EARLIEST <= day <= LATEST:
            after = max(now, day_bounds(day, location.zone)[0])
        context["slots"] = schedule.free_slots(
            location=location,
            duration=appointment_type.duration,
            after=after,
            therapists=therapists,
            rooms=rooms,
        )
    return render(request, "clinic/booking/_free_slots.html", context)


# --- One appointment ------------------------------------------------------------------------


def _actions(request: HttpRequest, appointment: Appointment) -> dict:
    user, now = request.user, timezone.now()
    booked = appointment.status == Status.BOOKED
    started = appointment.starts_at <= now
    on_the_day = appointment.local_starts_at.date() == local_today(appointment.location.zone)
    return {
        "can_move": booked and user.has_perm("clinic.change_appointment"),
        "can_cancel": booked and user.has_perm("clinic.cancel_appointment"),
        "can_check_in": booked and on_the_day and user.has_perm("clinic.check_in_appointment"),
        "can_complete": appointment.status in (Status.BOOKED, Status.CHECKED_IN)
        and started
        and user.has_perm("clinic.complete_appointment"),
        "can_no_show": booked and started and user.has_perm("clinic.mark_no_show"),
    }


@requires("clinic.view_appointment")
@require_GET
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_for(request.user, pk)
    context = {
        "appointment": appointment,
        "events": appointment.events.select_related("by"),
        "series": selectors.series_of(appointment),
        "calendar_url": day_url(appointment.location, appointment.local_starts_at.date()),
        **_actions(request, appointment),
    }
    if appointment.appointment_type.is_dn and appointment.status == Status.BOOKED:
        context.update(
            _readiness_context(
                appointment.patient,
                appointment.appointment_type,
                appointment.local_starts_at.date(),
            )
        )
    return render(request, "clinic/booking/appointment_detail.html", context)


@requires("clinic.change_appointment")
@require_http_methods(["GET", "POST"])
def appointment_move(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_for(request.user, pk)
    if appointment.status != Status.BOOKED:
        messages.error(
            request,
            f"Only a booked appointment can be rescheduled; this one is "
            f"{appointment.get_status_display().lower()}.",
        )
        return redirect(appointment)
    local = appointment.local_starts_at
    form = MoveForm(
        request.POST or None,
        appointment=appointment,
        user=request.user,
        initial={
            "date": local.date(),
            "time": local.time().replace(second=0, microsecond=0),
            "therapist": appointment.therapist_id,
            "room": appointment.room_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.appointment_move(
                appointment=appointment,
                starts_at=data["starts_at"],
                therapist=data["therapist"],
                room=data["room"],
                moved_by=request.user,
                scope=services.Scope(data.get("scope") or services.Scope.THIS),
                override_reason=data.get("override_reason", ""),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            first = next(m for m in moved if m.pk == appointment.pk)
            new_local = first.local_starts_at
            text = (
                f"Moved {first.patient}'s appointment to {new_local:%a %-d %b %Y at %H:%M} "
                f"with {first.therapist} in {first.room.name}."
            )
            if len(moved) > 1:
                text += f" {len(moved) - 1} following appointments moved with it."
            messages.success(request, text)
            return redirect(day_url(first.location, new_local.date()))
    return render(
        request, "clinic/booking/appointment_move.html", {"appointment": appointment, "form": form}
    )


@requires("clinic.cancel_appointment")
@require_http_methods(["GET", "POST"])
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page asking for the reason; POST cancels."""
    appointment = selectors.appointment_for(request.user, pk)
    if appointment.status != Status.BOOKED:
        messages.error(
            request,
            f"Only a booked appointment can be cancelled; this one is "
            f"{appointment.get_status_display().lower()}.",
        )
        return redirect(appointment)
    form = CancelForm(request.POST or None, appointment=appointment)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            count = services.appointment_cancel(
                appointment=appointment,
                reason=data["reason"],
                cancelled_by=request.user,
                scope=services.Scope(data.get("scope") or services.Scope.THIS),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            local = appointment.local_starts_at
            text = (
                f"Cancelled {appointment.patient}'s appointment on {local:%a %-d %b %Y at %H:%M}."
                " The slot is free again."
            )
            if count > 1:
                text += f" {count - 1} following appointments were cancelled too."
            messages.success(request, text)
            return redirect(day_url(appointment.location, local.date()))
    return render(
        request,
        "clinic/booking/appointment_cancel.html",
        {"appointment": appointment, "form": form},
    )


def _status_action(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    appointment = selectors.appointment_for(request.user, pk)
    try:
        action(appointment=appointment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{appointment.patient}: {done}.")
    return redirect(_next_url(request) or appointment.get_absolute_url())


@requires("clinic.check_in_appointment")
@require_POST
def appointment_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_action(request, pk, services.appointment_check_in, "checked in")


@requires("clinic.complete_appointment")
@require_POST
def appointment_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_action(request, pk, services.appointment_complete, "appointment completed")


@requires("clinic.mark_no_show")
@require_POST
def appointment_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_action(request, pk, services.appointment_mark_no_show, "marked as no-show")
