"""Booking fixtures: the role fixtures' location opened 08:00-18:00 every day, the therapist
working all of it, two rooms, a patient and the demo appointment types. Time stands still at
NOW (Monday 2 March 2026, 08:00 in San Francisco) unless a test says otherwise."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.staff.roles import Role
from tests.booking.factories import AppointmentTypeFactory, open_all_week
from tests.factories import PatientFactory, RoomFactory, UserFactory

NOW = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)  # Mon 2 Mar 2026 08:00 America/Los_Angeles
TUESDAY = dt.date(2026, 3, 3)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def room(location):
    return RoomFactory(location=location, name="Room 1")


@pytest.fixture
def room2(location):
    return RoomFactory(location=location, name="Room 2")


@pytest.fixture
def second_therapist(location):
    user = UserFactory(
        username="thera2", first_name="Tomás", last_name="García", role=Role.THERAPIST
    )
    user.locations.add(location)
    return user


@pytest.fixture
def open_location(location, therapist, second_therapist, room, room2):
    open_all_week(location, therapist, second_therapist)
    return location


@pytest.fixture
def dn_initial(db):
    return AppointmentTypeFactory(
        name="DN initial evaluation", duration_minutes=60, colour="#c2255c", is_dn=True
    )


@pytest.fixture
def dn_follow_up(db):
    return AppointmentTypeFactory(
        name="DN follow-up", duration_minutes=30, colour="#7048e8", is_dn=True
    )


@pytest.fixture
def physio(db):
    return AppointmentTypeFactory(
        name="Physical therapy", duration_minutes=45, colour="#0ca678", is_dn=False
    )


@pytest.fixture
def patient(db):
    return PatientFactory(
        first_name="Zoë", last_name="Whitaker", email="zoe@example.test", phone="(415) 555-0199"
    )
