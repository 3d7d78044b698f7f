"""Managers set up booking in the browser: types, opening hours, working hours, absences."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from clinic.booking.models import AppointmentType, OpeningHours, ScheduleException, WorkingHours
from tests.booking.conftest import TUESDAY
from tests.booking.factories import AppointmentFactory, AppointmentTypeFactory, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(manager):
    client = Client()
    client.force_login(manager)
    return client


def test_a_manager_adds_and_edits_an_appointment_type(boss):
    response = boss.post(
        reverse("booking:type_create"),
        {
            "name": " DN follow-up ",
            "duration_minutes": 30,
            "colour": "#7048E8",
            "is_dn": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    saved = AppointmentType.objects.get()
    assert (saved.name, saved.duration_minutes, saved.colour, saved.is_dn) == (
        "DN follow-up",
        30,
        "#7048e8",
        True,
    )
    response = boss.post(
        reverse("booking:type_edit", args=[saved.pk]),
        {"name": "DN follow-up", "duration_minutes": 45, "colour": "#7048e8"},
    )
    saved.refresh_from_db()
    assert (saved.duration_minutes, saved.is_dn, saved.is_active) == (45, False, False)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"duration_minutes": 0}, "Ensure this value is greater than or equal to 5."),
        ({"duration_minutes": 600}, "Ensure this value is less than or equal to 480."),
        ({"colour": "red"}, "Use a colour like #1f77b4"),
        ({"name": ""}, "This field is required."),
    ],
)
def test_bad_type_input_names_the_field(boss, data, message):
    payload = {"name": "X", "duration_minutes": 30, "colour": "#000000", **data}
    response = boss.post(reverse("booking:type_create"), payload)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AppointmentType.objects.exists()


def test_the_type_list_runs_a_fixed_number_of_queries(boss, django_assert_num_queries):
    AppointmentTypeFactory.create_batch(3)
    boss.get(reverse("booking:type_list"))  # renews the session: none within the minute
    # 1 session, 2 user, 3-4 permissions, 5 count for the paginator, 6 the page of types,
    # 7 groups (nav); no session save within the minute.
    with django_assert_num_queries(7):
        response = boss.get(reverse("booking:type_list"))
    AppointmentTypeFactory.create_batch(10)
    with django_assert_num_queries(7):
        response = boss.get(reverse("booking:type_list"))
    assert response.content.decode().count("Edit</a>") == 13


def test_a_manager_sets_opening_hours(boss, location):
    data = {}
    for weekday in range(7):
        data[f"opens_{weekday}"] = "08:00"
        data[f"closes_{weekday}"] = "18:00"
        if weekday < 5:
            data[f"open_{weekday}"] = "on"
    data["closes_1"] = "19:30"
    response = boss.post(reverse("booking:opening_hours_edit", args=[location.pk]), data)
    assert response.status_code == 302
    rows = {row.weekday: (row.opens, row.closes) for row in OpeningHours.objects.all()}
    assert sorted(rows) == [0, 1, 2, 3, 4]
    assert rows[1] == (dt.time(8), dt.time(19, 30))
    page = boss.get(reverse("booking:hours", args=[location.pk])).content.decode()
    assert "08:00–19:30" in page and "Closed" in page


def test_opening_hours_must_close_after_they_open(boss, location):
    data = {"open_0": "on", "opens_0": "18:00", "closes_0": "08:00"}
    response = boss.post(reverse("booking:opening_hours_edit", args=[location.pk]), data)
    assert response.status_code == 200
    assert "Monday: closing time must be after opening time." in response.content.decode()
    assert not OpeningHours.objects.exists()


def test_a_manager_adds_working_hours_and_overlaps_are_refused(boss, location, therapist):
    url = reverse("booking:working_hours_add", args=[location.pk])
    response = boss.post(
        url, {"therapist": therapist.pk, "weekday": 1, "starts": "08:00", "ends": "12:00"}
    )
    assert response.status_code == 302
    response = boss.post(
        url, {"therapist": therapist.pk, "weekday": 1, "starts": "11:00", "ends": "15:00"}
    )
    assert response.status_code == 200
    assert (
        "Theresa Okafor already works 08:00-12:00 on Tuesdays at Mission District."
        in response.content.decode()
    )
    response = boss.post(
        url, {"therapist": therapist.pk, "weekday": 1, "starts": "13:00", "ends": "12:00"}
    )
    assert "The end must be after the start." in response.content.decode()
    assert WorkingHours.objects.count() == 1


def test_removing_working_hours_asks_first(boss, location, therapist):
    row = WorkingHours.objects.create(
        therapist=therapist, location=location, weekday=0, starts=dt.time(8), ends=dt.time(12)
    )
    url = reverse("booking:working_hours_delete", args=[row.pk])
    assert "Remove these working hours?" in boss.get(url).content.decode()
    assert WorkingHours.objects.exists()
    assert boss.post(url).status_code == 302
    assert not WorkingHours.objects.exists()


def test_recording_an_absence_warns_about_booked_appointments(
    boss, location, therapist, room, frozen
):
    AppointmentFactory(
        location=location, therapist=therapist, room=room, starts_at=local(location, TUESDAY, 9)
    )
    response = boss.post(
        reverse("booking:exception_add"),
        {
            "therapist": therapist.pk,
            "starts_on": "2026-03-03",
            "ends_on": "2026-03-04",
            "kind": "sick",
            "note": "Flu",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Theresa Okafor has 1 booked appointment then: reschedule it." in html
    assert "Sick day 3 Mar - 4 Mar 2026" in html
    exception = ScheduleException.objects.get()
    url = reverse("booking:exception_delete", args=[exception.pk])
    assert "Remove this absence?" in boss.get(url).content.decode()
    boss.post(url)
    assert not ScheduleException.objects.exists()


def test_an_absence_must_end_on_or_after_its_start(boss, therapist):
    response = boss.post(
        reverse("booking:exception_add"),
        {
            "therapist": therapist.pk,
            "starts_on": "2026-03-04",
            "ends_on": "2026-03-03",
            "kind": "holiday",
        },
    )
    assert "The last day must be on or after the first day." in response.content.decode()


def test_setup_lists_every_location(boss, location):
    html = boss.get(reverse("booking:setup")).content.decode()
    assert "Mission District" in html and "Not set: nothing can be booked here" in html


def test_the_absence_list_runs_a_fixed_number_of_queries(
    boss, therapist, second_therapist, django_assert_num_queries, frozen
):
    from tests.booking.factories import absence

    absence(therapist, dt.date(2026, 3, 10))
    boss.get(reverse("booking:exception_list"))  # renews the session: none within the minute
    # 1 session, 2 user, 3-4 permissions, 5 count for the paginator, 6 the page of absences
    # with their therapists, 7 groups (nav).
    with django_assert_num_queries(7):
        boss.get(reverse("booking:exception_list"))
    for offset in range(8):
        absence(second_therapist, dt.date(2026, 4, 1) + dt.timedelta(days=offset))
    with django_assert_num_queries(7):
        response = boss.get(reverse("booking:exception_list"))
    assert response.content.decode().count("Remove</a>") == 9


def test_the_setup_page_runs_a_fixed_number_of_queries(boss, django_assert_num_queries):
    from tests.factories import LocationFactory

    LocationFactory(name="One")
    boss.get(reverse("booking:setup"))  # renews the session: none within the minute
    # 1 session, 2 user, 3-4 permissions, 5 locations, 6 their opening hours (prefetched),
    # 7 count of types, 8 groups (nav).
    with django_assert_num_queries(8):
        boss.get(reverse("booking:setup"))
    LocationFactory.create_batch(5)
    with django_assert_num_queries(8):
        response = boss.get(reverse("booking:setup"))
    assert response.content.decode().count("Not set: nothing can be booked here") == 7
