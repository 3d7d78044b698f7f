"""Run by test_concurrency_sqlite.py in a fresh process: migrate a SQLite *file* database
(configured exactly as clinic/settings.py configures SQLite: WAL, a 20 s busy timeout and
BEGIN IMMEDIATE transactions), then let N threads, each with its own connection, book the
same slot through the service. Prints the outcomes as JSON.

    DATABASE_URL=sqlite:////tmp/race.sqlite3 python tests/booking/sqlite_race.py 20
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def main(attempts: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    assert connection.vendor == "sqlite" and "memory" not in str(connection.settings_dict["NAME"])
    from tests import migrated_db

    # A copy of the migrated database an earlier run kept, if any (tests/migrated_db.py);
    # migrate then finds nothing left to apply.
    migrated_db.copy_to(Path(connection.settings_dict["NAME"]))
    call_command("migrate", verbosity=0)

    from clinic.booking import services
    from clinic.booking.models import Appointment
    from clinic.booking.services import SlotTaken
    from clinic.staff.roles import Role
    from tests.booking.conftest import NOW, TUESDAY
    from tests.booking.factories import AppointmentTypeFactory, local, open_all_week
    from tests.factories import LocationFactory, PatientFactory, RoomFactory, UserFactory

    location = LocationFactory(name="Race Street")
    therapist = UserFactory(
        username="racer", first_name="Rita", last_name="Race", role=Role.THERAPIST
    )
    therapist.locations.add(location)
    room = RoomFactory(location=location, name="Room 1")
    open_all_week(location, therapist)
    clerk = UserFactory(username="clerk", role=Role.FRONT_DESK)
    appointment_type = AppointmentTypeFactory(name="DN follow-up", duration_minutes=30)
    patients = [PatientFactory() for _ in range(attempts)]
    connections.close_all()

    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []
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
                starts_at=local(location, TUESDAY, 10),
                booked_by=clerk,
                now=NOW,
            )
            result = "booked"
        except SlotTaken:
            result = "slot taken"
        except Exception as error:  # noqa: BLE001 - reported to the test
            result = f"error: {type(error).__name__}: {error}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return {"outcomes": Counter(outcomes), "rows": Appointment.objects.count()}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
