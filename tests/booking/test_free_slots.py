"""The next-free-slot search: working hours inside opening hours, a free room, the duration."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.booking.models import WorkingHours
from clinic.booking.schedule import free_slots
from tests.booking.conftest import NOW, TUESDAY
from tests.booking.factories import AppointmentFactory, absence, local

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


def shown(slots):
    return [
        f"{s.local_starts_at:%a %H:%M}-{s.local_ends_at:%H:%M} {s.therapist.first_name} "
        f"{s.room.name}"
        for s in slots
    ]


def test_suggestions_start_on_the_grid_after_now(open_location, therapist, room):
    slots = free_slots(
        location=open_location,
        duration=HOUR,
        after=NOW + dt.timedelta(minutes=7),
        therapists=[therapist],
        rooms=[room],
        count=3,
    )
    assert shown(slots) == [
        "Mon 08:15-09:15 Theresa Room 1",
        "Mon 09:15-10:15 Theresa Room 1",
        "Mon 10:15-11:15 Theresa Room 1",
    ]


def test_busy_therapists_and_rooms_are_skipped(
    open_location, therapist, room, room2, second_therapist
):
    AppointmentFactory(
        location=open_location,
        therapist=therapist,
        room=room2,
        starts_at=local(open_location, NOW.date(), 8),
        ends_at=local(open_location, NOW.date(), 10),
    )
    AppointmentFactory(
        location=open_location,
        therapist=second_therapist,
        room=room,
        starts_at=local(open_location, NOW.date(), 10),
        ends_at=local(open_location, NOW.date(), 11),
    )
    slots = free_slots(
        location=open_location,
        duration=HOUR,
        after=NOW,
        therapists=[therapist],
        rooms=[room, room2],
        count=2,
    )
    # Theresa is busy until 10:00; at 10:00 Room 1 is taken, so Room 2.
    assert shown(slots) == ["Mon 10:00-11:00 Theresa Room 2", "Mon 11:00-12:00 Theresa Room 1"]


def test_split_shifts_absences_and_closed_days(open_location, therapist, room):
    WorkingHours.objects.filter(therapist=therapist).delete()
    for weekday in (0, 1):
        WorkingHours.objects.create(
            therapist=therapist,
            location=open_location,
            weekday=weekday,
            starts=dt.time(8),
            ends=dt.time(9, 30),
        )
        WorkingHours.objects.create(
            therapist=therapist,
            location=open_location,
            weekday=weekday,
            starts=dt.time(16),
            ends=dt.time(17),
        )
    absence(therapist, NOW.date())  # away Monday
    open_location.opening_hours.filter(weekday=1).update(closes=dt.time(16, 30))
    slots = free_slots(
        location=open_location,
        duration=dt.timedelta(minutes=45),
        after=NOW,
        therapists=[therapist],
        rooms=[room],
        count=4,
    )
    # Monday 2nd away; Tuesday 08:00 and 08:45 fill the morning stretch, and 16:00-16:45
    # would pass Tuesday's 16:30 closing; no hours Wednesday to Sunday; then Monday 9th.
    assert [f"{s.local_starts_at:%d %H:%M}" for s in slots] == [
        "03 08:00",
        "03 08:45",
        "09 08:00",
        "09 08:45",
    ]


def test_nothing_fits_means_no_suggestions(open_location, therapist, room):
    slots = free_slots(
        location=open_location,
        duration=dt.timedelta(hours=11),
        after=NOW,
        therapists=[therapist],
        rooms=[room],
    )
    assert slots == []
    assert (
        free_slots(location=open_location, duration=HOUR, after=NOW, therapists=[], rooms=[room])
        == []
    )


def test_suggestions_are_the_same_whatever_the_day_of_the_dst_change(location, therapist, room):
    from tests.booking.factories import open_all_week

    open_all_week(location, therapist)
    after = local(location, dt.date(2026, 3, 8), 0)  # Sunday of the spring change
    slots = free_slots(
        location=location,
        duration=HOUR,
        after=after,
        therapists=[therapist],
        rooms=[room],
        count=2,
    )
    assert shown(slots) == ["Sun 08:00-09:00 Theresa Room 1", "Sun 09:00-10:00 Theresa Room 1"]
    assert slots[0].starts_at == dt.datetime(2026, 3, 8, 15, 0, tzinfo=dt.UTC)  # PDT already


def test_the_search_costs_a_fixed_number_of_queries(
    open_location, therapist, second_therapist, room, room2, django_assert_num_queries
):
    for day in range(5):
        AppointmentFactory(
            location=open_location,
            therapist=therapist,
            room=room,
            starts_at=local(open_location, TUESDAY + dt.timedelta(days=day), 9),
        )
    # opening hours, working hours, absences, busy appointments
    with django_assert_num_queries(4):
        slots = free_slots(
            location=open_location,
            duration=HOUR,
            after=NOW,
            therapists=[therapist, second_therapist],
            rooms=[room, room2],
            count=50,
        )
    assert len(slots) == 50
