"""The day and week calendars: what each role sees, htmx partials, and fixed query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from clinic.booking.models import Appointment
from tests.booking.conftest import TUESDAY
from tests.booking.factories import AppointmentFactory, absence, local
from tests.factories import LocationFactory, PatientFactory, RoomFactory

pytestmark = pytest.mark.django_db
Status = Appointment.Status


def day_url(location, day=TUESDAY, **params):
    query = "&".join(f"{key}={value}" for key, value in {"date": day, **params}.items())
    return f"{reverse('booking:day', args=[location.pk])}?{query}"


def fill_day(location, therapists, rooms, per_therapist: int, appointment_type) -> list:
    """per_therapist back-to-back 30-minute appointments from 08:00 for each therapist, each
    in its own room."""
    made = []
    for therapist, room in zip(therapists, rooms, strict=False):
        for index in range(per_therapist):
            starts = local(location, TUESDAY, 8) + dt.timedelta(minutes=30 * index)
            made.append(
                AppointmentFactory(
                    location=location,
                    therapist=therapist,
                    room=room,
                    appointment_type=appointment_type,
                    patient=PatientFactory(),
                    starts_at=starts,
                    ends_at=starts + dt.timedelta(minutes=30),
                )
            )
    return made


def test_the_day_view_has_a_column_per_therapist_with_patient_type_and_status(
    front_desk_client, open_location, therapist, second_therapist, room, room2, dn_follow_up
):
    appointment = AppointmentFactory(
        location=open_location,
        therapist=therapist,
        room=room,
        appointment_type=dn_follow_up,
        patient=PatientFactory(first_name="Kenji", last_name="Watanabe"),
        starts_at=local(open_location, TUESDAY, 9),
        ends_at=local(open_location, TUESDAY, 9, 30),
    )
    response = front_desk_client.get(day_url(open_location))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mission District: Tuesday 3 March 2026" in html
    assert html.index("Tomás García") < html.index("Theresa Okafor")  # by last name
    assert "09:00–09:30" in html and "Kenji Watanabe" in html
    assert "DN follow-up · Room 1 · Booked" in html
    assert appointment.get_absolute_url() in html
    assert "Previous day" in html and "Next day" in html
    assert 'accesskey="n"' in html and 'accesskey="p"' in html
    assert response["Vary"].count("HX-Request") == 1


def test_the_room_view_has_a_column_per_room(front_desk_client, open_location, therapist, room):
    AppointmentFactory(
        location=open_location,
        therapist=therapist,
        room=room,
        starts_at=local(open_location, TUESDAY, 10),
    )
    html = front_desk_client.get(day_url(open_location, by="room")).content.decode()
    assert 'id="cal-col-1">Room 1' in html and 'id="cal-col-2">Room 2' in html
    assert "Factory visit · Theresa Okafor · Booked" in html


def test_htmx_navigation_gets_only_the_calendar(front_desk_client, open_location):
    response = front_desk_client.get(
        day_url(open_location, dt.date(2026, 3, 4)), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html and "<nav" in html
    assert "<title>Mission District, Wed 4 Mar 2026" in html
    assert "date=2026-03-03" in html and "date=2026-03-05" in html  # previous and next day


def test_a_history_restore_gets_the_whole_page(front_desk_client, open_location):
    response = front_desk_client.get(
        day_url(open_location),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.content.decode()


def test_the_day_view_runs_a_fixed_number_of_queries(
    front_desk_client,
    open_location,
    therapist,
    second_therapist,
    room,
    room2,
    dn_follow_up,
    django_assert_num_queries,
):
    # 1 session, 2 user, 3-4 the user's permissions (own and via groups), 5 the user's
    # locations (the one shown and the switcher's), 6 appointments of the day with type,
    # therapist and room joined, 7 their patients (by primary key), 8 the therapist columns,
    # 9-11 opening hours, working hours and absences, 12 the user's groups (nav role badge),
    # 13-15 the session save (savepoint, update, release).
    fill_day(open_location, [therapist], [room], 2, dn_follow_up)
    with django_assert_num_queries(15):
        response = front_desk_client.get(day_url(open_location))
    assert response.content.decode().count('class="cal-appt ') == 2

    more = fill_day(open_location, [second_therapist], [room2], 18, dn_follow_up)
    # Cancelled and no-show ones go to the list under the grid (no query per row either).
    Appointment.objects.filter(pk=more[0].pk).update(status="cancelled", cancel_reason="Ill")
    Appointment.objects.filter(pk=more[1].pk).update(status="no_show")
    with django_assert_num_queries(15):
        response = front_desk_client.get(day_url(open_location))
    assert response.content.decode().count('class="cal-appt ') == 18
    assert "<strong>Cancelled</strong> (Ill)" in response.content.decode()


def test_the_room_view_runs_the_same_number_of_queries(
    front_desk_client,
    open_location,
    therapist,
    second_therapist,
    room,
    room2,
    dn_follow_up,
    django_assert_num_queries,
):
    # As the therapist view, with the room columns instead of the therapists.
    fill_day(open_location, [therapist, second_therapist], [room, room2], 10, dn_follow_up)
    with django_assert_num_queries(15):
        response = front_desk_client.get(day_url(open_location, by="room"))
    assert response.content.decode().count('class="cal-appt ') == 20


def test_the_week_view_runs_a_fixed_number_of_queries(
    front_desk_client,
    open_location,
    therapist,
    second_therapist,
    room,
    room2,
    dn_follow_up,
    django_assert_num_queries,
):
    # 1 session, 2 user, 3-4 permissions, 5 the user's locations (shown and switcher), 6 the
    # week's appointments (joined), 7 therapist rows, 8 groups (nav), 9-11 session save.
    fill_day(open_location, [therapist], [room], 3, dn_follow_up)
    with django_assert_num_queries(11):
        front_desk_client.get(reverse("booking:week", args=[open_location.pk]) + "?date=2026-03-03")
    fill_day(open_location, [second_therapist], [room2], 12, dn_follow_up)
    with django_assert_num_queries(11):
        response = front_desk_client.get(
            reverse("booking:week", args=[open_location.pk]) + "?date=2026-03-04"
        )
    html = response.content.decode()
    assert "week of Monday 2 March 2026" in html
    assert html.count('class="cal-chip ') == 15


def test_a_therapist_sees_only_their_own_column_and_appointments(
    therapist_client, open_location, therapist, second_therapist, room, room2
):
    AppointmentFactory(
        location=open_location,
        therapist=therapist,
        room=room,
        patient=PatientFactory(first_name="Mine", last_name="Patient"),
        starts_at=local(open_location, TUESDAY, 9),
    )
    theirs = AppointmentFactory(
        location=open_location,
        therapist=second_therapist,
        room=room2,
        patient=PatientFactory(first_name="Other", last_name="Person"),
        starts_at=local(open_location, TUESDAY, 9),
    )
    html = therapist_client.get(day_url(open_location)).content.decode()
    assert "Mine Patient" in html and "Other Person" not in html
    assert "Tomás García" not in html
    assert "Book appointment" not in html  # therapists do not book
    response = therapist_client.get(reverse("booking:appointment_detail", args=[theirs.pk]))
    assert response.status_code == 404


def test_the_front_desk_cannot_open_another_locations_calendar(front_desk_client, manager):
    from django.test import Client

    manager_client = Client()  # the role client fixtures share one client
    manager_client.force_login(manager)
    elsewhere = LocationFactory(name="Palo Alto University")
    assert front_desk_client.get(day_url(elsewhere)).status_code == 404
    assert manager_client.get(day_url(elsewhere)).status_code == 200  # managers see all
    appointment = AppointmentFactory(location=elsewhere)
    detail = reverse("booking:appointment_detail", args=[appointment.pk])
    assert front_desk_client.get(detail).status_code == 404
    assert manager_client.get(detail).status_code == 200


def test_unknown_objects_give_404(manager_client):
    for name in ("day", "week", "book", "free_slots", "hours", "opening_hours_edit"):
        assert manager_client.get(reverse(f"booking:{name}", args=[999999])).status_code == 404
    for name in (
        "appointment_detail",
        "appointment_move",
        "appointment_cancel",
        "type_edit",
        "working_hours_delete",
        "exception_delete",
    ):
        assert manager_client.get(reverse(f"booking:{name}", args=[999999])).status_code == 404
    for name in ("appointment_check_in", "appointment_complete", "appointment_no_show"):
        assert manager_client.post(reverse(f"booking:{name}", args=[999999])).status_code == 404


@pytest.mark.parametrize("value", ["", "yesterday", "2026-02-30", "0001-01-01", "9999-12-31"])
def test_a_bad_date_shows_today_instead_of_failing(front_desk_client, open_location, value, frozen):
    response = front_desk_client.get(
        reverse("booking:day", args=[open_location.pk]), {"date": value}
    )
    assert response.status_code == 200
    assert "Monday 2 March 2026" in response.content.decode()


def test_cancelled_and_no_show_appointments_are_listed_below_the_grid(
    front_desk_client, open_location, therapist, room
):
    AppointmentFactory(
        location=open_location,
        therapist=therapist,
        room=room,
        patient=PatientFactory(first_name="Gone", last_name="Away"),
        starts_at=local(open_location, TUESDAY, 9),
        status=Status.CANCELLED,
        cancel_reason="Flu",
    )
    html = front_desk_client.get(day_url(open_location)).content.decode()
    grid, history = html.split('id="history-heading"')
    assert "Gone Away" not in grid
    assert "Gone Away</a>, Factory visit with Theresa Okafor: <strong>Cancelled</strong> (Flu)" in (
        history
    )


def test_free_slots_link_to_a_prefilled_booking_form(
    front_desk_client, open_location, therapist, room
):
    html = front_desk_client.get(day_url(open_location)).content.decode()
    assert f"date=2026-03-03&amp;time=09:30&amp;therapist={therapist.pk}" in html
    assert 'aria-label="Book Theresa Okafor at 09:30"' in html


def test_an_absent_therapists_column_says_so(front_desk_client, open_location, therapist):
    absence(therapist, TUESDAY, kind="holiday")
    html = front_desk_client.get(day_url(open_location)).content.decode()
    assert "Away: holiday" in html
    assert 'aria-label="Book Theresa Okafor at' not in html


def test_the_calendar_entry_remembers_the_last_location(front_desk_client, front_desk):
    other = LocationFactory(name="Oakland Lakeshore")
    front_desk.locations.add(other)
    front_desk_client.get(day_url(other))
    response = front_desk_client.get(reverse("booking:calendar"))
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:day", args=[other.pk])


def test_the_calendar_entry_without_a_location_explains(client, db):
    from clinic.staff.roles import Role
    from tests.factories import UserFactory

    lonely = UserFactory(username="lonely", role=Role.FRONT_DESK)
    client.force_login(lonely)
    response = client.get(reverse("booking:calendar"))
    assert response.status_code == 200
    assert "You are not assigned to a location yet" in response.content.decode()


def test_an_empty_location_has_an_empty_state(manager_client):
    empty = LocationFactory(name="Brand New")
    html = manager_client.get(day_url(empty)).content.decode()
    assert "No therapist works at Brand New yet." in html
    RoomFactory(location=empty, name="Room A")
    html = manager_client.get(day_url(empty, by="room")).content.decode()
    assert "Room A" in html
