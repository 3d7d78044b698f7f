"""Factories and helpers for booking tests (also used by the URL matrix and browser tests)."""

from __future__ import annotations

import datetime as dt

import factory

from clinic.booking.models import (
    Appointment,
    AppointmentType,
    OpeningHours,
    ScheduleException,
    WorkingHours,
)
from tests.factories import LocationFactory, PatientFactory, RoomFactory, UserFactory

UTC = dt.UTC


class AppointmentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppointmentType
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Type {n}")
    duration_minutes = 60
    colour = "#3366cc"
    is_dn = False


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A booked appointment written straight to the table (no service checks)."""

    class Meta:
        model = Appointment

    location = factory.SubFactory(LocationFactory)
    patient = factory.SubFactory(PatientFactory)
    appointment_type = factory.SubFactory(AppointmentTypeFactory, name="Factory visit")
    therapist = factory.SubFactory(UserFactory)
    room = factory.SubFactory(RoomFactory, location=factory.SelfAttribute("..location"))
    starts_at = factory.LazyFunction(
        lambda: (dt.datetime.now(UTC) + dt.timedelta(days=2)).replace(
            minute=0, second=0, microsecond=0
        )
    )
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + a.appointment_type.duration)


def open_all_week(location, *therapists, opens=dt.time(8), closes=dt.time(18)) -> None:
    """Open `location` every day opens-closes and have each therapist work all of it."""
    for weekday in range(7):
        OpeningHours.objects.update_or_create(
            location=location, weekday=weekday, defaults={"opens": opens, "closes": closes}
        )
        for therapist in therapists:
            WorkingHours.objects.get_or_create(
                therapist=therapist,
                location=location,
                weekday=weekday,
                starts=opens,
                defaults={"ends": closes},
            )


def absence(therapist, day: dt.date, kind="sick") -> ScheduleException:
    return ScheduleException.objects.create(
        therapist=therapist, starts_on=day, ends_on=day, kind=kind
    )


def local(location, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An aware datetime at hour:minute on `day` in the location's zone."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=location.zone)
