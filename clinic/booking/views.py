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

from clinic.booking import selectors, services
from clinic.booking.forms import BookingForm, CancelForm, MoveForm
from clinic.booking.models import Appointment, AppointmentType
from clinic.booking.readiness import readiness_for
from clinic.booking.times import local_today, parse_day, week_start
from clinic.common.access import requires
from clinic.common.forms import form_submit, is_htmx, saved
from clinic.staff.models import Location

EARLIEST = dt.date(1990, 1, 1)
LATEST = dt.date(2999, 12, 31)
Status = Appointment.Status


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
    location = selectors.start_location(request.user, request.session.get("calendar_location"))
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
    can_book = services.may_book(request.user, location)
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
    template = "clinic/booking/_day.html" if is_htmx(request) else "clinic/booking/day.html"
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
        "can_book": services.may_book(request.user, location),
    }
    template = "clinic/booking/_week.html" if is_htmx(request) else "clinic/booking/week.html"
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
    patient = selectors.bookable_patient(_uuid(request.GET.get("patient")))
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
    if not services.may_book(request.user, location):
        messages.error(request, f"{location.name} is closed for bookings.")
        return redirect("booking:day", pk=location.pk)
    form = BookingForm(
        request.POST or None,
        location=location,
        user=request.user,
        initial=_booking_initial(request, location),
    )
    return form_submit(
        request,
        form,
        lambda data: services.appointment_book_series(
            location=location, booked_by=request.user, **_booking(data)
        ),
        on_success=lambda booked: saved(
            request,
            day_url(location, booked[0].local_starts_at.date()),
            message=_booked_text(booked),
        ),
        on_invalid=lambda: _book_page(request, form, location),
    )


def _booking(data: dict) -> dict:
    """The booking form's answers as appointment_book_series takes them."""
    occurrences = data["occurrences"]
    return {
        "patient": data["patient"],
        "appointment_type": data["appointment_type"],
        "therapist": data["therapist"],
        "room": data["room"],
        "starts_at": data["starts_at"],
        "notes": data.get("notes", ""),
        "override_reason": data.get("override_reason", ""),
        "occurrences": occurrences,
        # One appointment does not repeat (appointment_book's own interval).
        "interval_weeks": int(data["repeat"]) if occurrences > 1 else 1,
    }


def _booked_text(booked: list[Appointment]) -> str:
    first = booked[0]
    text = (
        f"Booked {first.patient} with {first.therapist} in {first.room.name} on "
        f"{first.local_starts_at:%a %-d %b %Y at %H:%M}."
    )
    if len(booked) > 1:
        text += f" The series has {len(booked)} appointments."
    return text


def _book_page(request: HttpRequest, form: BookingForm, location: Location) -> HttpResponse:
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
    patient = selectors.bookable_patient(_uuid(request.GET.get("patient")))
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
    appointment_type = selectors.bookable_type(_int(request.GET.get("appointment_type")))
    context: dict = {"location": location, "appointment_type": appointment_type, "slots": []}
    if appointment_type is not None:
        day = parse_day(request.GET.get("date"))
        context["slots"] = selectors.slot_search(
            location=location,
            appointment_type=appointment_type,
            therapist_id=_int(request.GET.get("therapist")),
            room_id=_int(request.GET.get("room")),
            day=day if day and EARLIEST <= day <= LATEST else None,
            now=timezone.now(),
        )
    return render(request, "clinic/booking/_free_slots.html", context)


# --- One appointment ------------------------------------------------------------------------


@requires("clinic.view_appointment")
@require_GET
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_for(request.user, pk)
    context = {
        "appointment": appointment,
        "events": appointment.events.select_related("by"),
        "series": selectors.series_of(appointment),
        "calendar_url": day_url(appointment.location, appointment.local_starts_at.date()),
        **services.appointment_actions(appointment=appointment, user=request.user),
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
    if not services.is_changeable(appointment):
        messages.error(request, services.only_booked_message(appointment, action="rescheduled"))
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
    return form_submit(
        request,
        form,
        lambda data: services.appointment_move(
            appointment=appointment,
            starts_at=data["starts_at"],
            therapist=data["therapist"],
            room=data["room"],
            moved_by=request.user,
            scope=services.Scope(data.get("scope") or services.Scope.THIS),
            override_reason=data.get("override_reason", ""),
        ),
        on_success=lambda moved: _moved(request, appointment, moved),
        on_invalid=lambda: render(
            request,
            "clinic/booking/appointment_move.html",
            {"appointment": appointment, "form": form},
        ),
    )


def _moved(request: HttpRequest, appointment: Appointment, moved: list[Appointment]):
    first = next(m for m in moved if m.pk == appointment.pk)
    new_local = first.local_starts_at
    text = (
        f"Moved {first.patient}'s appointment to {new_local:%a %-d %b %Y at %H:%M} "
        f"with {first.therapist} in {first.room.name}."
    )
    if len(moved) > 1:
        text += f" {len(moved) - 1} following appointments moved with it."
    return saved(request, day_url(first.location, new_local.date()), message=text)


@requires("clinic.cancel_appointment")
@require_http_methods(["GET", "POST"])
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page asking for the reason; POST cancels."""
    appointment = selectors.appointment_for(request.user, pk)
    if not services.is_changeable(appointment):
        messages.error(request, services.only_booked_message(appointment, action="cancelled"))
        return redirect(appointment)
    form = CancelForm(request.POST or None, appointment=appointment)
    return form_submit(
        request,
        form,
        lambda data: services.appointment_cancel(
            appointment=appointment,
            reason=data["reason"],
            cancelled_by=request.user,
            scope=services.Scope(data.get("scope") or services.Scope.THIS),
        ),
        on_success=lambda count: _cancelled(request, appointment, count),
        on_invalid=lambda: render(
            request,
            "clinic/booking/appointment_cancel.html",
            {"appointment": appointment, "form": form},
        ),
    )


def _cancelled(request: HttpRequest, appointment: Appointment, count: int) -> HttpResponse:
    local = appointment.local_starts_at
    text = (
        f"Cancelled {appointment.patient}'s appointment on {local:%a %-d %b %Y at %H:%M}."
        " The slot is free again."
    )
    if count > 1:
        text += f" {count - 1} following appointments were cancelled too."
    return saved(request, day_url(appointment.location, local.date()), message=text)


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
