"""Many front-desk clerks book the same slot at the same instant: exactly one wins.

PostgreSQL here; the SQLite variant is test_concurrency_sqlite.py.

Each attempt runs in its own thread with its own database connection, goes through the
booking service, and must end either with the one appointment or with a SlotTaken naming
the therapist or the room. Nothing else may escape (no IntegrityError, no deadlock error).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection, connections

from clinic.booking import services
from clinic.booking.models import Appointment
from clinic.booking.services import SlotTaken
from tests.booking.conftest import NOW, TUESDAY
from tests.booking.factories import AppointmentTypeFactory, local, open_all_week
from tests.factories import LocationFactory, PatientFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
ATTEMPTS = 20


def _setup(attempts: int):
    from clinic.staff.roles import Role

    location = LocationFactory(name="Race Street")
    therapist = UserFactory(
        username="racer", first_name="Rita", last_name="Race", role=Role.THERAPIST
    )
    therapist.locations.add(location)
    room = RoomFactory(location=location, name="Room 1")
    open_all_week(location, therapist)
    clerk = UserFactory(username="clerk", role=Role.FRONT_DESK)
    clerk.locations.add(location)
    appointment_type = AppointmentTypeFactory(name="DN follow-up", duration_minutes=30)
    patients = [PatientFactory() for _ in range(attempts)]
    return location, therapist, room, clerk, appointment_type, patients


def _race(attempts: int) -> tuple[Counter, list]:
    location, therapist, room, clerk, appointment_type, patients = _setup(attempts)
    starts_at = local(location, TUESDAY, 10)
    barrier = threading.Barrier(attempts)
    outcomes: list[tuple[str, str]] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            services.appointment_book(
                location=location,
                patient=patients[index],
                appointment_type=appointment_type,
                therapist=therapist,
                room=room,
                starts_at=starts_at,
                booked_by=clerk,
                now=NOW,
            )
            result = ("booked", "")
        except SlotTaken as taken:
            result = ("slot taken", " ".join(taken.messages))
        except Exception as error:  # anything else is a failure of the guarantee
            result = (f"error: {type(error).__name__}", str(error))
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return Counter(kind for kind, _ in outcomes), outcomes


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: concurrent connections with row locks and the exclusion constraint",
)
@pytest.mark.parametrize("defence", ["service and database", "database constraint alone"])
def test_twenty_concurrent_bookings_of_one_slot_have_one_winner(monkeypatch, defence):
    if defence == "database constraint alone":
        # Switch off the service's lock and overlap check: every attempt reaches the INSERT
        # and only the exclusion constraint stands between them.
        monkeypatch.setattr(services, "_lock_resources", lambda **kwargs: None)
        monkeypatch.setattr(services, "_find_clashes", lambda *args, **kwargs: {})
    counts, outcomes = _race(ATTEMPTS)
    assert counts == Counter({"booked": 1, "slot taken": ATTEMPTS - 1}), outcomes
    assert Appointment.objects.count() == 1
    # Who refused the losers: the service's check (after waiting for the winner's row lock),
    # or, with the service's defences off, the exclusion constraint.
    expected = (
        "That slot was just taken: "
        if defence == "database constraint alone"
        else "That slot is taken: Rita Race is already booked on Tue 3 Mar 2026 10:00-10:30."
    )
    for kind, message in outcomes:
        if kind == "slot taken":
            assert message.startswith(expected), message
            assert "Rita Race" in message or "Room 1" in message


def test_the_race_fixture_really_books_when_alone():
    """The race helper is not rigged: with one attempt, it books."""
    counts, outcomes = _race(1)
    assert counts == Counter({"booked": 1}), outcomes
    appointment = Appointment.objects.get()
    assert appointment.starts_at.astimezone(dt.UTC).hour == 18  # 10:00 PST
