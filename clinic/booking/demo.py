"""Demo booking data: appointment types, opening and working hours, and two weeks of
appointments from today. Idempotent: a therapist's day at a location that already has any
appointment is left alone, so running it twice (or after cancelling one) changes nothing."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.booking import services
from clinic.booking.models import Appointment, AppointmentType, OpeningHours, WorkingHours
from clinic.booking.times import day_bounds, local_to_utc
from clinic.staff.roles import Role

TYPES = [
    # name, minutes, colour, is DN
    ("DN initial evaluation", 60, "#c2255c", True),
    ("DN follow-up", 30, "#7048e8", True),
    ("Physical therapy", 45, "#0ca678", False),
]
WEEKDAY_OPENING = (dt.time(8, 0), dt.time(18, 0))
SATURDAY_OPENING = (dt.time(9, 0), dt.time(13, 0))
SHIFTS = [(dt.time(8, 0), dt.time(12, 0)), (dt.time(13, 0), dt.time(17, 0))]
# Candidate starts in a therapist's day; a deterministic pattern picks about half of them.
STARTS = [(8, 0), (9, 0), (10, 15), (11, 15), (13, 0), (14, 0), (15, 0), (16, 0)]
HORIZON_DAYS = 14


def _weekdays_for(index: int, count: int) -> list[int]:
    """Split Monday-Friday between a therapist's locations: one location works all week;
    with two, Mon/Wed/Fri at the first and Tue/Thu at the second."""
    if count == 1:
        return [0, 1, 2, 3, 4]
    return [0, 2, 4] if index == 0 else [1, 3]


def seed_booking(*, today: dt.date, locations: list, users: dict) -> dict:
    types = _seed_types()
    _seed_opening_hours(locations)
    therapists = [user for user in users.values() if user.role is Role.THERAPIST]
    schedule = _seed_working_hours(therapists, locations)

    from patients.models import Patient

    patients = list(Patient.objects.filter(archived_at__isnull=True).order_by("last_name"))
    if not patients:
        return {"types": types, "appointments": 0}
    desk_for = {}
    for user in users.values():
        if user.role is Role.FRONT_DESK:
            for location in user.locations.all():
                desk_for.setdefault(location.pk, user)
    created = 0
    for offset in range(HORIZON_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        for t_index, therapist in enumerate(therapists):
            location = schedule.get((therapist.pk, day.weekday()))
            if location is None or _has_appointments(therapist, location, day):
                continue
            booked_by = desk_for.get(location.pk) or therapist
            created += _seed_day(
                day, therapist, t_index, location, booked_by, types=types, patients=patients
            )
    _age_todays_appointments(today)
    return {"types": types, "appointments": created}


def _seed_types() -> dict[str, AppointmentType]:
    types = {}
    for name, minutes, colour, is_dn in TYPES:
        types[name], _ = AppointmentType.objects.get_or_create(
            name=name, defaults={"duration_minutes": minutes, "colour": colour, "is_dn": is_dn}
        )
    return types


def _seed_opening_hours(locations: list) -> None:
    for location in locations:
        for weekday in range(5):
            OpeningHours.objects.get_or_create(
                location=location,
                weekday=weekday,
                defaults={"opens": WEEKDAY_OPENING[0], "closes": WEEKDAY_OPENING[1]},
            )
        OpeningHours.objects.get_or_create(
            location=location,
            weekday=5,
            defaults={"opens": SATURDAY_OPENING[0], "closes": SATURDAY_OPENING[1]},
        )


def _seed_working_hours(therapists: list, locations: list) -> dict[tuple[int, int], object]:
    """Each therapist's shifts; returns (therapist pk, weekday) -> the location they work at.

    Their locations come in the order the demo staff list gives them, so that every location
    has someone working every weekday."""
    from clinic.staff.demo import STAFF

    listed = {spec.username: [locations[i] for i in spec.locations] for spec in STAFF}
    schedule: dict[tuple[int, int], object] = {}
    for therapist in therapists:
        theirs = listed.get(therapist.username) or list(therapist.locations.all())
        for index, location in enumerate(theirs[:2]):
            for weekday in _weekdays_for(index, len(theirs[:2])):
                schedule[(therapist.pk, weekday)] = location
                for starts, ends in SHIFTS:
                    WorkingHours.objects.get_or_create(
                        therapist=therapist,
                        weekday=weekday,
                        starts=starts,
                        defaults={"location": location, "ends": ends},
                    )
    return schedule


def _has_appointments(therapist, location, day: dt.date) -> bool:
    start_of_day, end_of_day = day_bounds(day, location.zone)
    return Appointment.objects.filter(
        therapist=therapist,
        location=location,
        starts_at__gte=start_of_day,
        starts_at__lt=end_of_day,
    ).exists()


def _seed_day(
    day: dt.date, therapist, t_index: int, location, booked_by, *, types: dict, patients: list
) -> int:
    """About half of the therapist's candidate starts that day, each in the first free room
    (a deterministic pattern picks the starts, types and patients). Returns how many."""
    start_of_day = day_bounds(day, location.zone)[0]
    rooms = list(location.rooms.filter(is_active=True).order_by("name"))
    type_cycle = list(types.values())
    created = 0
    for s_index, (hour, minute) in enumerate(STARTS):
        if (day.toordinal() + 3 * s_index + 5 * t_index) % 7 in (1, 4, 6):
            continue
        appointment_type = type_cycle[(day.toordinal() + s_index + t_index) % 3]
        if (hour, minute) == (11, 15) and appointment_type.duration_minutes > 45:
            appointment_type = types["DN follow-up"]  # the morning shift ends at 12
        patient = patients[(day.toordinal() * 3 + s_index * 7 + t_index) % len(patients)]
        starts_at = local_to_utc(day, dt.time(hour, minute), location.zone)
        for r_offset in range(len(rooms)):
            room = rooms[(s_index + t_index + r_offset) % len(rooms)]
            try:
                services.appointment_book(
                    location=location,
                    patient=patient,
                    appointment_type=appointment_type,
                    therapist=therapist,
                    room=room,
                    starts_at=starts_at,
                    booked_by=booked_by,
                    now=start_of_day,
                )
            except ValidationError:
                continue
            created += 1
            break
    return created


def _age_todays_appointments(today: dt.date) -> None:
    """Make today look lived-in: finished appointments completed, the current one checked
    in, one early patient a no-show."""
    now = timezone.now()
    todays = Appointment.objects.filter(
        status=Appointment.Status.BOOKED,
        starts_at__lte=now,
        starts_at__gte=now - dt.timedelta(days=1),
    ).select_related("location")
    no_show_done = Appointment.objects.filter(
        status=Appointment.Status.NO_SHOW, starts_at__gte=now - dt.timedelta(days=1)
    ).exists()
    for appointment in todays:
        if appointment.local_starts_at.date() != today:
            continue
        if appointment.ends_at <= now:
            if not no_show_done:
                Appointment.objects.filter(
                    pk=appointment.pk, status=Appointment.Status.BOOKED
                ).update(status=Appointment.Status.NO_SHOW, updated_at=now)
                no_show_done = True
                continue
            Appointment.objects.filter(pk=appointment.pk, status=Appointment.Status.BOOKED).update(
                status=Appointment.Status.COMPLETED,
                checked_in_at=appointment.starts_at,
                completed_at=appointment.ends_at,
                updated_at=now,
            )
        else:
            Appointment.objects.filter(pk=appointment.pk, status=Appointment.Status.BOOKED).update(
                status=Appointment.Status.CHECKED_IN, checked_in_at=appointment.starts_at
            )
