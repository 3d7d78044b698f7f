"""The demo's staff and locations (names, roles, the published demo password)."""

from __future__ import annotations

from dataclasses import dataclass

from clinic.staff.roles import Role

DEMO_PASSWORD = "demo-clinic-2026"  # noqa: S105 - published demo credential, demo data only

LOCATIONS = [
    ("Mission District", "2300 Mission St, San Francisco, CA 94110", "(415) 555-0101"),
    ("Oakland Lakeshore", "3300 Lakeshore Ave, Oakland, CA 94610", "(510) 555-0102"),
    ("Berkeley Shattuck", "2100 Shattuck Ave, Berkeley, CA 94704", "(510) 555-0103"),
    ("Palo Alto University", "400 University Ave, Palo Alto, CA 94301", "(650) 555-0104"),
    ("San Jose Willow Glen", "1100 Lincoln Ave, San Jose, CA 95125", "(408) 555-0105"),
]
ROOMS = ["Room 1", "Room 2", "Room 3"]


@dataclass(frozen=True)
class DemoStaff:
    username: str
    first_name: str
    last_name: str
    role: Role
    locations: tuple[int, ...]  # indexes into LOCATIONS
    certified: bool | None = None  # therapists: True valid, False expired


STAFF = [
    DemoStaff("manager", "Morgan", "Reyes", Role.MANAGER, (0, 1, 2, 3, 4)),
    DemoStaff("frontdesk", "Fatima", "Diallo", Role.FRONT_DESK, (0, 1)),
    DemoStaff("frontdesk2", "Felix", "Nakamura", Role.FRONT_DESK, (2, 3, 4)),
    DemoStaff("therapist", "Theresa", "Okafor", Role.THERAPIST, (0, 1), certified=True),
    DemoStaff("therapist2", "Tomás", "García", Role.THERAPIST, (1, 2), certified=True),
    DemoStaff("therapist3", "Priya", "Raman", Role.THERAPIST, (3,), certified=True),
    DemoStaff("therapist4", "Daniel", "Kowalski", Role.THERAPIST, (4, 0), certified=True),
    DemoStaff("uncertified", "Ursula", "Lindqvist", Role.THERAPIST, (2,), certified=False),
]
