"""Demo data for `manage.py seed_demo`: idempotent, deterministic, relative to today.

The project-level seed: staff and locations, then each capability's own demo (booking,
patients, plans, sessions) in the order the data flows."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from clinic.booking.demo import seed_booking
from clinic.staff.demo import DEMO_PASSWORD, LOCATIONS, ROOMS, STAFF
from clinic.staff.models import DNCertification, Licence, Location, Room, User
from clinic.staff.roles import Role, sync_roles
from clinic.staff.services import staff_set_role

PATIENTS = [
    ("Zoë", "Whitaker", "1984-02-29", "F"),
    ("José", "Martínez", "1971-07-14", "M"),
    ("Amelia", "Chen", "1990-11-03", "F"),
    ("Marcus", "Johnson", "1966-04-22", "M"),
    ("Siobhán", "O'Neill", "1979-09-09", "F"),
    ("Kenji", "Watanabe", "1958-01-30", "M"),
    ("Lucía", "Fernández", "1995-06-18", "F"),
    ("Noah", "Goldberg", "2009-03-12", "M"),
    ("Aaliyah", "Brooks", "1988-12-01", "F"),
    ("Björn", "Halvorsen", "1973-05-27", "M"),
    ("Grace", "Kim", "1992-08-08", "F"),
    ("Rafael", "Souza", "1981-10-10", "M"),
    ("Hannah", "Schmidt", "1969-02-14", "F"),
    ("Omar", "Haddad", "1986-03-03", "M"),
    ("Chloé", "Dubois", "1998-07-21", "F"),
    ("William", "Taylor", "1955-11-11", "M"),
    ("Mei", "Lin", "1977-04-04", "F"),
    ("Diego", "Ramírez", "1993-09-29", "M"),
    ("Olivia", "Nguyen", "2001-01-15", "F"),
    ("Samuel", "Adeyemi", "1962-06-06", "M"),
]


@transaction.atomic
def seed(*, today: dt.date | None = None) -> dict:
    """Create (or bring up to date) the demo clinic. Running it twice changes nothing."""
    from needling.plans.demo import seed_plans
    from needling.sessions.demo import seed_sessions
    from patients.demo import seed_patients

    today = today or timezone.localdate()
    sync_roles()
    locations = _seed_locations()
    users = {
        spec.username: _seed_user(spec, index, locations, today) for index, spec in enumerate(STAFF)
    }
    _seed_patient_rows(locations, registered_by=users["frontdesk"])
    seed_patients(today=today, users=users)
    seed_booking(today=today, locations=locations, users=users)
    seed_plans(today=today, users=users)
    seed_sessions(today=today, users=users)
    return {"locations": locations, "users": users}


def _seed_locations() -> list[Location]:
    locations = []
    for name, address, phone in LOCATIONS:
        location, _ = Location.objects.get_or_create(
            name=name,
            defaults={"address": address, "phone": phone, "time_zone": "America/Los_Angeles"},
        )
        locations.append(location)
        for room in ROOMS:
            Room.objects.get_or_create(location=location, name=room)
    return locations


def _seed_user(spec, index: int, locations: list[Location], today: dt.date) -> User:
    """A demo staff member with their role and locations; a therapist's licence and DN
    certification (expired for the uncertified one)."""
    user, created = User.objects.get_or_create(
        username=spec.username,
        defaults={
            "first_name": spec.first_name,
            "last_name": spec.last_name,
            "email": f"{spec.username}@demo.clinic.test",
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    staff_set_role(user=user, role=spec.role)
    user.locations.set([locations[i] for i in spec.locations])
    if spec.role is not Role.THERAPIST:
        return user
    Licence.objects.get_or_create(
        state="CA",
        number=f"PT{40000 + index:06d}",
        defaults={"user": user, "expires_on": today + dt.timedelta(days=400 + index)},
    )
    if not user.dn_certifications.exists():
        if spec.certified:
            certified_on = today - dt.timedelta(days=300 + 30 * index)
            valid_until = today + dt.timedelta(days=700 - 20 * index)
        else:
            certified_on = today - dt.timedelta(days=3 * 365)
            valid_until = today - dt.timedelta(days=45)
        DNCertification.objects.create(
            user=user,
            course="Certified Dry Needling Level 1 and 2 (Myopain Seminars)",
            hours=54 if spec.certified else 27,
            certified_on=certified_on,
            valid_until=valid_until,
        )
    return user


def _seed_patient_rows(locations: list[Location], *, registered_by: User) -> None:
    """The demo patients' registrations (their records come from patients.demo)."""
    from patients.models import Patient

    for index, (first, last, dob, sex) in enumerate(PATIENTS):
        Patient.objects.get_or_create(
            first_name=first,
            last_name=last,
            date_of_birth=dt.date.fromisoformat(dob),
            defaults={
                "sex": sex,
                "phone": f"(415) 555-{1200 + index:04d}",
                "email": f"{first.lower()}.{last.lower()}@example.test".replace("'", ""),
                "preferred_location": locations[index % len(locations)],
                "created_by": registered_by,
            },
        )


def logins_table() -> str:
    rows = [f"  {'username':<12} {'password':<18} role"]
    for spec in STAFF:
        note = ""
        if spec.certified is False:
            note = " (DN certification expired)"
        rows.append(f"  {spec.username:<12} {DEMO_PASSWORD:<18} {spec.role.label}{note}")
    return "\n".join(rows)
