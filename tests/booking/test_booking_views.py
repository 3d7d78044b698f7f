"""Booking, rescheduling, cancelling and the visit, through the pages."""

from __future__ import annotations

import datetime as dt
import sys
import types
from dataclasses import dataclass

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.booking import services
from clinic.booking.models import Appointment
from tests.booking.conftest import NOW, TUESDAY
from tests.booking.factories import AppointmentFactory, local
from tests.factories import PatientFactory
from tests.hypothesis_profiles import examples

pytestmark = pytest.mark.django_db
Status = Appointment.Status


@pytest.fixture
def form_data(open_location, patient, dn_initial, therapist, room):
    return {
        "patient": str(patient.pk),
        "appointment_type": str(dn_initial.pk),
        "therapist": str(therapist.pk),
        "room": str(room.pk),
        "date": "2026-03-03",
        "time": "09:00",
        "repeat": "0",
        "occurrences": "1",
        "notes": "",
    }


def book_url(location, **params):
    url = reverse("booking:book", args=[location.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


# --- The booking form -----------------------------------------------------------------------


def test_the_form_is_prefilled_from_the_calendar_cell(
    front_desk_client, open_location, therapist, frozen
):
    response = front_desk_client.get(
        book_url(open_location, date="2026-03-03", time="09:30", therapist=therapist.pk)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="2026-03-03"' in html and 'value="09:30"' in html
    assert f'<option value="{therapist.pk}" selected>Theresa Okafor</option>' in html
    assert 'role="status">Type part of the name above to find the patient.' in html
    assert "Override reason" not in html  # managers only


def test_booking_through_the_form_redirects_to_the_day(
    front_desk_client, form_data, open_location, frozen
):
    response = front_desk_client.post(book_url(open_location), form_data)
    assert response.status_code == 302
    assert response["Location"].endswith("?date=2026-03-03")
    appointment = Appointment.objects.get()
    assert appointment.local_starts_at.strftime("%Y-%m-%d %H:%M") == "2026-03-03 09:00"
    page = front_desk_client.get(response["Location"]).content.decode()
    assert "Booked Zoë Whitaker with Theresa Okafor in Room 1 on Tue 3 Mar 2026 at 09:00." in page


def test_a_taken_slot_is_reported_beside_the_therapist(
    front_desk_client, form_data, open_location, therapist, room2, frozen
):
    AppointmentFactory(
        location=open_location,
        therapist=therapist,
        room=room2,
        starts_at=local(open_location, TUESDAY, 8, 30),
        ends_at=local(open_location, TUESDAY, 9, 30),
    )
    response = front_desk_client.post(book_url(open_location), form_data)
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "That slot is taken: Theresa Okafor is already booked on Tue 3 Mar 2026 08:30-09:30."
        in html
    )
    assert Appointment.objects.count() == 1


def test_hours_problems_are_listed_at_the_top(front_desk_client, form_data, open_location, frozen):
    response = front_desk_client.post(book_url(open_location), {**form_data, "time": "07:00"})
    html = response.content.decode()
    assert "The appointment was not booked:" in html
    assert "Mission District is open 08:00-18:00 on Tuesdays" in html
    assert "A manager can book it anyway, with a reason." in html
    assert not Appointment.objects.exists()


def test_a_manager_overrides_through_the_form(client, manager, form_data, open_location, frozen):
    client.force_login(manager)
    response = client.post(
        book_url(open_location),
        {**form_data, "time": "18:30", "override_reason": "Only evening works for the patient"},
    )
    assert response.status_code == 302
    assert Appointment.objects.get().override_reason == "Only evening works for the patient"


def test_a_weekly_series_through_the_form(front_desk_client, form_data, open_location, frozen):
    response = front_desk_client.post(
        book_url(open_location), {**form_data, "repeat": "1", "occurrences": "3"}
    )
    assert response.status_code == 302
    assert Appointment.objects.values("series_id").distinct().count() == 1
    assert Appointment.objects.count() == 3


def test_a_repeat_needs_a_matching_count(front_desk_client, form_data, open_location, frozen):
    html = front_desk_client.post(
        book_url(open_location), {**form_data, "occurrences": "3"}
    ).content.decode()
    assert "Choose how often it repeats, or book 1 appointment." in html
    html = front_desk_client.post(
        book_url(open_location), {**form_data, "repeat": "1"}
    ).content.decode()
    assert "A repeating booking needs at least 2 appointments." in html


def test_a_time_skipped_by_dst_is_refused_on_the_time_field(
    front_desk_client, form_data, open_location, frozen
):
    html = front_desk_client.post(
        book_url(open_location), {**form_data, "date": "2026-03-08", "time": "02:30"}
    ).content.decode()
    assert "02:30 does not exist on Sun 8 Mar 2026 in America/Los_Angeles" in html


def test_a_missing_patient_names_the_field(front_desk_client, form_data, open_location, frozen):
    html = front_desk_client.post(
        book_url(open_location), {**form_data, "patient": ""}
    ).content.decode()
    assert "Choose a patient: type part of their name above and pick them." in html


FIELDS = ["patient", "appointment_type", "therapist", "room", "date", "time", "repeat"]


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.dictionaries(
        st.sampled_from([*FIELDS, "occurrences", "notes", "override_reason"]),
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(["0", "-1", "99999999999999999999", "2026-03-03", "25:99", "1"]),
        ),
    )
)
def test_no_input_to_the_booking_form_produces_a_500(front_desk_client, open_location, data):
    data = {key: value.replace("\x00", "") for key, value in data.items()}
    response = front_desk_client.post(book_url(open_location), data)
    assert response.status_code in (200, 302)


# --- htmx helpers ---------------------------------------------------------------------------


def test_patient_search_folds_accents_and_case(front_desk_client, patient):
    PatientFactory(first_name="José", last_name="Martínez")
    PatientFactory(first_name="Zoe", last_name="Archived", archived_at=NOW)
    url = reverse("booking:patient_search")
    html = front_desk_client.get(url, {"patient_query": "ZOE whit"}).content.decode()
    assert '<select name="patient" id="id_patient"' in html and 'size="5"' in html
    assert "Whitaker, Zoë (born 1980-05-17)" in html
    assert "Archived" not in html and "Martínez" not in html
    html = front_desk_client.get(url, {"patient_query": "martinez"}).content.decode()
    assert "Martínez, José" in html and "1 match: pick the patient from the list." in html
    html = front_desk_client.get(url, {"patient_query": "z"}).content.decode()
    assert "Type at least two letters." in html
    html = front_desk_client.get(url, {"patient_query": "<b>nobody"}).content.decode()
    assert "No patient matches “&lt;b&gt;nobody”." in html


@dataclass(frozen=True)
class FakeReadiness:
    screening_status: str
    screened_on: dt.date | None
    consent_status: str
    consent_valid_until: dt.date | None


def _fake_readiness_module(result):
    module = types.ModuleType("patients.readiness")
    module.dn_readiness = lambda patient, *, on: result
    return module


def test_dn_readiness_is_unavailable_without_the_patients_function(
    front_desk_client, monkeypatch, patient, dn_initial
):
    monkeypatch.setitem(sys.modules, "patients.readiness", None)  # import fails
    html = front_desk_client.get(
        reverse("booking:readiness"),
        {"patient": patient.pk, "appointment_type": dn_initial.pk, "date": "2026-03-03"},
    ).content.decode()
    assert "Screening and consent status unavailable." in html


def test_dn_readiness_asks_for_what_is_missing(front_desk_client, monkeypatch, patient, dn_initial):
    monkeypatch.setitem(
        sys.modules,
        "patients.readiness",
        _fake_readiness_module(FakeReadiness("stale", dt.date(2025, 1, 10), "missing", None)),
    )
    html = front_desk_client.get(
        reverse("booking:readiness"),
        {"patient": patient.pk, "appointment_type": dn_initial.pk, "date": "2026-03-03"},
    ).content.decode()
    assert "DN screening and consent of Zoë Whitaker on 3 Mar 2026" in html
    assert "out of date (last completed 10 Jan 2025): ask the patient to complete it again" in html
    assert "missing: ask the patient to sign the DN consent before the visit." in html
    assert "alert-warning" in html


def test_dn_readiness_all_clear(front_desk_client, monkeypatch, patient, dn_initial):
    monkeypatch.setitem(
        sys.modules,
        "patients.readiness",
        _fake_readiness_module(
            FakeReadiness("current", dt.date(2026, 2, 1), "valid", dt.date(2027, 2, 1))
        ),
    )
    html = front_desk_client.get(
        reverse("booking:readiness"), {"patient": patient.pk, "appointment_type": dn_initial.pk}
    ).content.decode()
    assert "current (completed 1 Feb 2026)" in html and "valid until 1 Feb 2027" in html
    assert "alert-success" in html


def test_no_readiness_panel_for_other_types(front_desk_client, patient, physio):
    html = front_desk_client.get(
        reverse("booking:readiness"), {"patient": patient.pk, "appointment_type": physio.pk}
    ).content.decode()
    assert html.strip() == ""


def test_the_booking_form_shows_readiness_for_a_preselected_dn_booking(
    front_desk_client, monkeypatch, open_location, patient, dn_initial, frozen
):
    monkeypatch.setitem(sys.modules, "patients.readiness", None)
    html = front_desk_client.get(
        book_url(open_location, patient=patient.pk, appointment_type=dn_initial.pk)
    ).content.decode()
    assert "Whitaker, Zoë (born 1980-05-17)" in html
    assert "Screening and consent status unavailable." in html


def test_free_slots_fit_hours_rooms_and_duration(
    front_desk_client, open_location, therapist, second_therapist, room, room2, dn_initial, frozen
):
    # Both rooms are busy 08:00-09:00 and Theresa is booked 09:00-11:00 on Monday 2 March.
    for booked_room, who in ((room, second_therapist), (room2, therapist)):
        AppointmentFactory(
            location=open_location,
            therapist=who,
            room=booked_room,
            starts_at=local(open_location, NOW.date(), 8),
            ends_at=local(open_location, NOW.date(), 9),
        )
    AppointmentFactory(
        location=open_location,
        therapist=therapist,
        room=room2,
        starts_at=local(open_location, NOW.date(), 9),
        ends_at=local(open_location, NOW.date(), 11),
    )
    url = reverse("booking:free_slots", args=[open_location.pk])
    html = front_desk_client.get(
        url, {"appointment_type": dn_initial.pk, "therapist": therapist.pk}
    ).content.decode()
    assert "Mon 2 Mar 11:00–12:00 · Theresa Okafor · Room 1" in html
    assert "09:00–10:00 · Theresa Okafor" not in html
    html = front_desk_client.get(url, {"appointment_type": dn_initial.pk}).content.decode()
    assert "Mon 2 Mar 09:00–10:00 · Tomás García · Room 1" in html
    assert "08:00" not in html.split("Free slots")[1]
    html = front_desk_client.get(url, {}).content.decode()
    assert "Choose a type first" in html


# --- One appointment ------------------------------------------------------------------------


@pytest.fixture
def appointment(open_location, therapist, room, patient, dn_initial, front_desk):
    return services.appointment_book(
        location=open_location,
        patient=patient,
        appointment_type=dn_initial,
        therapist=therapist,
        room=room,
        starts_at=local(open_location, TUESDAY, 9),
        booked_by=front_desk,
        now=NOW,
    )


def test_the_detail_page_shows_the_appointment_its_history_and_actions(
    front_desk_client, appointment, frozen
):
    html = front_desk_client.get(appointment.get_absolute_url()).content.decode()
    assert "DN initial evaluation for Zoë Whitaker" in html
    assert "Tuesday 3 March 2026, 09:00–10:00" in html
    assert "Booked</strong> 2 Mar 2026 08:00 by Fatima Diallo" in html
    assert "Reschedule" in html and "Cancel appointment" in html
    assert "Check in" not in html  # not on the day
    assert "Complete" not in html  # the front desk does not complete


def test_rescheduling_through_the_form(front_desk_client, appointment, room2, frozen):
    url = reverse("booking:appointment_move", args=[appointment.pk])
    html = front_desk_client.get(url).content.decode()
    assert 'value="2026-03-03"' in html and 'value="09:00"' in html
    assert "Which appointments" not in html  # not a series
    response = front_desk_client.post(
        url,
        {
            "date": "2026-03-04",
            "time": "14:15",
            "therapist": appointment.therapist_id,
            "room": room2.pk,
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("date=2026-03-04")
    appointment.refresh_from_db()
    assert appointment.local_starts_at.strftime("%a %H:%M") == "Wed 14:15"


def test_cancelling_asks_for_confirmation_and_a_reason(front_desk_client, appointment, frozen):
    url = reverse("booking:appointment_cancel", args=[appointment.pk])
    html = front_desk_client.get(url).content.decode()
    assert "Cancel this appointment?" in html and "Keep the appointment" in html
    html = front_desk_client.post(url, {"reason": "   "}).content.decode()
    assert "Give a reason for the cancellation." in html
    assert Appointment.objects.get().status == Status.BOOKED
    response = front_desk_client.post(url, {"reason": "Patient has flu"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == (Status.CANCELLED, "Patient has flu")
    # A cancelled appointment cannot be cancelled or moved again.
    response = front_desk_client.get(url)
    assert response.status_code == 302
    move = front_desk_client.get(reverse("booking:appointment_move", args=[appointment.pk]))
    assert move.status_code == 302


def test_a_series_is_moved_and_cancelled_from_one_appointment_onwards(
    front_desk_client, form_data, open_location, frozen
):
    front_desk_client.post(
        book_url(open_location), {**form_data, "repeat": "1", "occurrences": "4"}
    )
    series = list(Appointment.objects.order_by("starts_at"))
    move_url = reverse("booking:appointment_move", args=[series[1].pk])
    assert "This and the following appointments in the series" in (
        front_desk_client.get(move_url).content.decode()
    )
    front_desk_client.post(
        move_url,
        {
            "date": "2026-03-10",
            "time": "11:00",
            "therapist": series[1].therapist_id,
            "room": series[1].room_id,
            "scope": "following",
        },
    )
    hours = [a.local_starts_at.hour for a in Appointment.objects.order_by("starts_at")]
    assert hours == [9, 11, 11, 11]
    cancel_url = reverse("booking:appointment_cancel", args=[series[2].pk])
    front_desk_client.post(cancel_url, {"reason": "Course finished early", "scope": "following"})
    statuses = list(Appointment.objects.order_by("starts_at").values_list("status", flat=True))
    assert statuses == [Status.BOOKED, Status.BOOKED, Status.CANCELLED, Status.CANCELLED]
    detail = front_desk_client.get(series[0].get_absolute_url()).content.decode()
    assert "Series (4 appointments)" in detail


def test_a_therapist_checks_in_and_completes_their_own_appointment(therapist_client, appointment):
    import time_machine

    with time_machine.travel(local(appointment.location, TUESDAY, 8, 55), tick=False):
        html = therapist_client.get(appointment.get_absolute_url()).content.decode()
        assert "Check in" in html and "Reschedule" not in html
        response = therapist_client.post(
            reverse("booking:appointment_check_in", args=[appointment.pk])
        )
        assert response.status_code == 302
    with time_machine.travel(local(appointment.location, TUESDAY, 10), tick=False):
        therapist_client.force_login(appointment.therapist)  # the idle session expired
        therapist_client.post(reverse("booking:appointment_complete", args=[appointment.pk]))
    appointment.refresh_from_db()
    assert appointment.status == Status.COMPLETED
    kinds = list(appointment.events.values_list("kind", flat=True))
    assert kinds == ["booked", "checked_in", "completed"]


def test_a_refused_status_change_says_why(front_desk_client, appointment, frozen):
    response = front_desk_client.post(
        reverse("booking:appointment_no_show", args=[appointment.pk]), follow=True
    )
    assert "Only a booked appointment whose start time has passed can be marked no-show" in (
        response.content.decode()
    )
    assert Appointment.objects.get().status == Status.BOOKED


def test_the_front_desk_marks_a_no_show(front_desk_client, appointment):
    import time_machine

    with time_machine.travel(local(appointment.location, TUESDAY, 9, 20), tick=False):
        front_desk_client.post(
            reverse("booking:appointment_no_show", args=[appointment.pk]),
            {"next": "/calendar/"},
        )
    appointment.refresh_from_db()
    assert appointment.status == Status.NO_SHOW


def test_next_may_not_leave_the_site(front_desk_client, appointment, frozen):
    response = front_desk_client.post(
        reverse("booking:appointment_check_in", args=[appointment.pk]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == appointment.get_absolute_url()


# --- Home pages -----------------------------------------------------------------------------


def test_home_pages_show_todays_appointments(
    client, therapist, second_therapist, front_desk, open_location, room, room2, frozen
):
    today = NOW.date()
    AppointmentFactory(
        location=open_location,
        therapist=therapist,
        room=room,
        patient=PatientFactory(first_name="Mine", last_name="Today"),
        starts_at=local(open_location, today, 10),
    )
    AppointmentFactory(
        location=open_location,
        therapist=second_therapist,
        room=room2,
        patient=PatientFactory(first_name="Theirs", last_name="Today"),
        starts_at=local(open_location, today, 11),
    )
    AppointmentFactory(
        location=open_location,
        therapist=therapist,
        room=room,
        patient=PatientFactory(first_name="Mine", last_name="Tomorrow"),
        starts_at=local(open_location, TUESDAY, 10),
    )
    client.force_login(therapist)
    html = client.get(reverse("home")).content.decode()
    assert "Mine Today" in html and "Theirs Today" not in html and "Tomorrow" not in html
    client.force_login(front_desk)
    html = client.get(reverse("home")).content.decode()
    assert "Mine Today" in html and "Theirs Today" in html and "Tomás García" in html
    assert f"{reverse('booking:day', args=[open_location.pk])}?date=2026-03-02" in html
    assert "Open the Mission District calendar" in html


def test_home_page_without_appointments_keeps_the_empty_state(therapist_client, frozen):
    assert "No appointments today." in therapist_client.get(reverse("home")).content.decode()


def test_the_home_schedule_runs_a_fixed_number_of_queries(
    front_desk_client, open_location, therapist, room, django_assert_num_queries, frozen
):
    def add(count, first_hour):
        for index in range(count):
            start = local(open_location, NOW.date(), first_hour) + dt.timedelta(minutes=20 * index)
            AppointmentFactory(
                location=open_location,
                therapist=therapist,
                room=room,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=20),
            )

    add(2, 8)
    front_desk_client.get(reverse("home"))  # renews the session: none within the minute
    # 1 session, 2 user, 3 groups (role), 4 the user's locations, 5-6 permissions, 7 today's
    # appointments with patient, type, therapist, room and location joined.
    with django_assert_num_queries(7):
        front_desk_client.get(reverse("home"))
    add(15, 11)
    with django_assert_num_queries(7):
        response = front_desk_client.get(reverse("home"))
    assert response.content.decode().count("Factory visit") == 17
