"""The demo seed: types, hours for every demo therapist, two weeks of appointments; twice is
the same as once."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict

import pytest
import time_machine

from clinic.booking.models import Appointment, AppointmentType, OpeningHours, WorkingHours
from clinic.demo import seed
from clinic.staff.demo import STAFF
from clinic.staff.models import User
from clinic.staff.roles import Role

pytestmark = pytest.mark.django_db
TUESDAY_NOON = dt.datetime(2026, 3, 3, 20, 0, tzinfo=dt.UTC)  # 12:00 in San Francisco


def test_the_demo_seed_books_a_realistic_fortnight_and_is_idempotent():
    with time_machine.travel(TUESDAY_NOON, tick=False):
        seed(today=dt.date(2026, 3, 3))
        counts = (
            AppointmentType.objects.count(),
            OpeningHours.objects.count(),
            WorkingHours.objects.count(),
            Appointment.objects.count(),
        )
        seed(today=dt.date(2026, 3, 3))
    assert (
        AppointmentType.objects.count(),
        OpeningHours.objects.count(),
        WorkingHours.objects.count(),
        Appointment.objects.count(),
    ) == counts

    types = {t.name: (t.duration_minutes, t.is_dn) for t in AppointmentType.objects.all()}
    assert types == {
        "DN initial evaluation": (60, True),
        "DN follow-up": (30, True),
        "Physical therapy": (45, False),
    }
    for spec in STAFF:
        if spec.role is Role.THERAPIST:
            user = User.objects.get(username=spec.username)
            worked = set(user.working_hours.values_list("location_id", flat=True))
            assert worked == set(user.locations.values_list("pk", flat=True)), spec.username

    # The past visits behind the demo session notes (needling/sessions/demo.py) are not bookings.
    appointments = list(
        Appointment.objects.filter(dn_session__isnull=True).select_related("location")
    )
    days = {a.local_starts_at.date() for a in appointments}
    assert min(days) == dt.date(2026, 3, 3) and max(days) <= dt.date(2026, 3, 17)
    assert len(days) >= 10 and len(appointments) >= 150
    today = Counter(a.status for a in appointments if a.local_starts_at.date() == min(days))
    assert today["completed"] >= 3 and today["booked"] >= 3 and today["no_show"] == 1

    # No therapist and no room is ever double-booked.
    for key in ("therapist_id", "room_id"):
        spans = defaultdict(list)
        for a in appointments:
            if a.status in Appointment.ACTIVE_STATUSES:
                spans[getattr(a, key)].append((a.starts_at, a.ends_at))
        for intervals in spans.values():
            intervals.sort()
            assert all(end <= nxt for (_, end), (nxt, _) in itertools.pairwise(intervals))
