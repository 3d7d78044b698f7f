"""Times are stored in UTC and shown in the location's zone; a weekly 09:00 stays 09:00 local
across the daylight-saving changes (US: 8 March and 1 November 2026; EU: 29 March and
25 October 2026)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.booking import services
from clinic.booking.models import Appointment
from clinic.booking.services import Scope
from clinic.booking.times import day_bounds, local_to_utc
from tests.booking.factories import AppointmentTypeFactory, open_all_week
from tests.factories import LocationFactory, PatientFactory, RoomFactory

pytestmark = pytest.mark.django_db
LA = zoneinfo.ZoneInfo("America/Los_Angeles")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _weekly_series(location, therapist, first_day: dt.date, occurrences: int, *, by):
    room = RoomFactory(location=location, name="Room DST")
    appointment_type = AppointmentTypeFactory(name="DN follow-up", duration_minutes=30)
    return services.appointment_book_series(
        location=location,
        patient=PatientFactory(),
        appointment_type=appointment_type,
        therapist=therapist,
        room=room,
        starts_at=dt.datetime.combine(first_day, dt.time(9), tzinfo=location.zone),
        booked_by=by,
        occurrences=occurrences,
        now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


def test_a_weekly_0900_series_across_the_march_change_stays_at_0900(
    location, therapist, front_desk
):
    open_all_week(location, therapist)
    booked = _weekly_series(location, therapist, dt.date(2026, 2, 24), 4, by=front_desk)
    utc_hours = [a.starts_at.astimezone(dt.UTC).hour for a in booked]
    local_times = [a.local_starts_at.strftime("%Y-%m-%d %H:%M %Z") for a in booked]
    assert utc_hours == [17, 17, 16, 16]  # PST (UTC-8), then PDT (UTC-7) from 8 March
    assert local_times == [
        "2026-02-24 09:00 PST",
        "2026-03-03 09:00 PST",
        "2026-03-10 09:00 PDT",
        "2026-03-17 09:00 PDT",
    ]
    stored = Appointment.objects.order_by("starts_at").values_list("starts_at", flat=True)
    assert [s.utcoffset() for s in stored] == [dt.timedelta(0)] * 4


def test_a_weekly_0900_series_across_the_november_change_stays_at_0900(
    location, therapist, front_desk
):
    open_all_week(location, therapist)
    booked = _weekly_series(location, therapist, dt.date(2026, 10, 20), 4, by=front_desk)
    assert [a.starts_at.astimezone(dt.UTC).hour for a in booked] == [16, 16, 17, 17]
    assert [a.local_starts_at.strftime("%H:%M") for a in booked] == ["09:00"] * 4


def test_the_zone_is_the_locations_not_the_clinics(therapist, front_desk):
    berlin = LocationFactory(name="Berlin Mitte", time_zone="Europe/Berlin")
    therapist.locations.add(berlin)
    open_all_week(berlin, therapist)
    booked = _weekly_series(berlin, therapist, dt.date(2026, 3, 24), 2, by=front_desk)
    # CET (UTC+1) on 24 March, CEST (UTC+2) from 29 March.
    assert [a.starts_at.astimezone(dt.UTC).hour for a in booked] == [8, 7]
    assert [a.starts_at.astimezone(BERLIN).hour for a in booked] == [9, 9]


def test_moving_the_rest_of_a_series_across_the_change_keeps_the_wall_clock(
    location, therapist, front_desk
):
    open_all_week(location, therapist)
    booked = _weekly_series(location, therapist, dt.date(2026, 2, 24), 4, by=front_desk)
    services.appointment_move(
        appointment=booked[0],
        starts_at=dt.datetime(2026, 2, 24, 14, 0, tzinfo=LA),
        moved_by=front_desk,
        scope=Scope.FOLLOWING,
        now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    moved = Appointment.objects.order_by("starts_at")
    assert [a.local_starts_at.strftime("%m-%d %H:%M") for a in moved] == [
        "02-24 14:00",
        "03-03 14:00",
        "03-10 14:00",
        "03-17 14:00",
    ]


def test_a_wall_time_skipped_by_the_spring_change_does_not_exist():
    with pytest.raises(ValidationError) as caught:
        local_to_utc(dt.date(2026, 3, 8), dt.time(2, 30), LA)
    assert caught.value.messages == [
        "02:30 does not exist on Sun 8 Mar 2026 in America/Los_Angeles: the clocks go forward then."
    ]
    # The repeated autumn hour is taken the first time round (still PDT).
    assert local_to_utc(dt.date(2026, 11, 1), dt.time(1, 30), LA) == dt.datetime(
        2026, 11, 1, 8, 30, tzinfo=dt.UTC
    )


def test_a_day_at_the_end_of_the_calendar_is_a_validation_error_not_an_overflow():
    # Found by the form fuzz: 9999-12-31 23:00 in Los Angeles is past year 9999 in UTC.
    with pytest.raises(ValidationError) as caught:
        local_to_utc(dt.date(9999, 12, 31), dt.time(23, 0), LA)
    assert caught.value.code == "date_out_of_range"
    with pytest.raises(ValidationError):
        local_to_utc(dt.date(1, 1, 1), dt.time(0, 30), BERLIN)


def test_the_days_of_the_changes_are_23_and_25_hours_long():
    spring = day_bounds(dt.date(2026, 3, 8), LA)
    autumn = day_bounds(dt.date(2026, 11, 1), LA)
    assert spring[1] - spring[0] == dt.timedelta(hours=23)
    assert autumn[1] - autumn[0] == dt.timedelta(hours=25)


def test_the_calendar_shows_local_times_after_the_change(
    location, therapist, front_desk, front_desk_client
):
    open_all_week(location, therapist)
    _weekly_series(location, therapist, dt.date(2026, 3, 3), 2, by=front_desk)
    response = front_desk_client.get(
        reverse("booking:day", args=[location.pk]), {"date": "2026-03-10"}
    )
    assert response.status_code == 200
    assert "09:00–09:30" in response.content.decode()
