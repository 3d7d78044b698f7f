"""The booking services: what may be booked, moved, cancelled and when."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from clinic.booking import services
from clinic.booking.models import Appointment, AppointmentEvent
from clinic.booking.services import Scope, SlotTaken
from tests.booking.conftest import NOW, TUESDAY
from tests.booking.factories import absence, local
from tests.factories import LocationFactory, PatientFactory, RoomFactory

pytestmark = pytest.mark.django_db
Status = Appointment.Status


def LOCATION():  # noqa: N802 - reads like the constant it stands for
    """The role fixtures' location (opened by the open_location fixture)."""
    from clinic.staff.models import Location

    return Location.objects.get(name="Mission District")


@pytest.fixture
def book(open_location, therapist, room, patient, dn_initial, front_desk):
    def _book(**overrides):
        kwargs = {
            "location": open_location,
            "patient": patient,
            "appointment_type": dn_initial,
            "therapist": therapist,
            "room": room,
            "starts_at": local(open_location, TUESDAY, 9),
            "booked_by": front_desk,
            "now": NOW,
        }
        kwargs.update(overrides)
        return services.appointment_book(**kwargs)

    return _book


def messages_of(error: ValidationError) -> list[str]:
    return error.messages


# --- Booking --------------------------------------------------------------------------------


def test_it_books_inside_the_hours_and_stores_utc(book, therapist, front_desk):
    appointment = book()
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED
    assert appointment.starts_at == dt.datetime(2026, 3, 3, 17, 0, tzinfo=dt.UTC)  # 09:00 PST
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=60)
    assert appointment.local_starts_at.strftime("%H:%M") == "09:00"
    assert appointment.series_id is None
    event = appointment.events.get()
    assert (event.kind, event.by) == (AppointmentEvent.Kind.BOOKED, front_desk)


def test_the_same_therapist_cannot_be_booked_twice_at_once(book, room2, therapist):
    book()
    with pytest.raises(SlotTaken) as caught:
        book(room=room2, starts_at=local(room2.location, TUESDAY, 9, 30), patient=PatientFactory())
    assert caught.value.fields == ("therapist",)
    assert "That slot is taken: Theresa Okafor is already booked" in messages_of(caught.value)[0]
    assert "09:00-10:00" in messages_of(caught.value)[0]
    assert Appointment.objects.count() == 1


def test_back_to_back_is_not_a_clash_and_the_check_uses_the_range_indexes(book, room2, therapist):
    """Half-open ranges: 10:00 starts as 09:00-10:00 ends. On PostgreSQL the clash query is
    a range overlap (the exclusion constraints' GiST indexes), not a walk of the history."""
    from django.test.utils import CaptureQueriesContext

    book()
    with CaptureQueriesContext(connection) as captured:
        book(room=room2, starts_at=local(room2.location, TUESDAY, 10), patient=PatientFactory())
    assert Appointment.objects.count() == 2
    if connection.vendor == "postgresql":
        clash_queries = [q["sql"] for q in captured.captured_queries if "TSTZRANGE" in q["sql"]]
        assert clash_queries and all("&&" in sql for sql in clash_queries)


def test_the_same_room_cannot_be_booked_twice_at_once(book, second_therapist, room):
    book()
    with pytest.raises(SlotTaken) as caught:
        book(
            therapist=second_therapist,
            starts_at=local(room.location, TUESDAY, 9, 45),
            patient=PatientFactory(),
        )
    assert caught.value.fields == ("room",)
    assert "Room 1 is already booked" in messages_of(caught.value)[0]


def test_a_patient_cannot_be_in_two_appointments_at_once(book, second_therapist, room2, patient):
    book()
    with pytest.raises(SlotTaken) as caught:
        book(
            therapist=second_therapist, room=room2, starts_at=local(room2.location, TUESDAY, 9, 30)
        )
    assert caught.value.fields == ("patient",)
    assert messages_of(caught.value) == [
        "Zoë Whitaker already has an appointment on Tue 3 Mar 2026 09:00-10:00."
    ]


def test_back_to_back_appointments_are_fine(book, dn_follow_up):
    book()
    second = book(appointment_type=dn_follow_up, starts_at=local(LOCATION(), TUESDAY, 10))
    assert second.pk


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.NO_SHOW])
def test_cancelled_and_no_show_appointments_free_the_slot_and_stay(book, status):
    first = book()
    Appointment.objects.filter(pk=first.pk).update(status=status, cancel_reason="Patient ill")
    second = book()
    assert second.pk != first.pk
    assert Appointment.objects.filter(pk=first.pk, status=status).exists()


def test_a_booking_outside_opening_hours_is_refused_with_the_reason(book, open_location):
    with pytest.raises(ValidationError) as caught:
        book(starts_at=local(open_location, TUESDAY, 17, 30))
    text = " ".join(messages_of(caught.value))
    assert "Mission District is open 08:00-18:00 on Tuesdays" in text
    assert "17:30-18:30 is outside opening hours" in text
    assert "A manager can book it anyway, with a reason." in text
    assert not Appointment.objects.exists()


def test_a_booking_outside_working_hours_names_the_therapists_hours(book, open_location, therapist):
    therapist.working_hours.filter(weekday=TUESDAY.weekday()).update(ends=dt.time(12))
    with pytest.raises(ValidationError) as caught:
        book(starts_at=local(open_location, TUESDAY, 13))
    assert "Theresa Okafor works 08:00-12:00 at Mission District on Tuesdays" in " ".join(
        messages_of(caught.value)
    )


def test_a_day_without_working_hours_is_refused(book, open_location, therapist):
    therapist.working_hours.filter(weekday=TUESDAY.weekday()).delete()
    with pytest.raises(ValidationError) as caught:
        book()
    assert "Theresa Okafor does not work at Mission District on Tuesdays." in messages_of(
        caught.value
    )


def test_a_closed_day_is_refused(book, open_location):
    open_location.opening_hours.filter(weekday=TUESDAY.weekday()).delete()
    with pytest.raises(ValidationError) as caught:
        book()
    assert "Mission District is closed on Tuesdays." in messages_of(caught.value)


def test_a_sick_day_is_refused(book, therapist):
    absence(therapist, TUESDAY, kind="sick")
    with pytest.raises(ValidationError) as caught:
        book()
    assert "Theresa Okafor is away on Tue 3 Mar 2026 (sick day)." in messages_of(caught.value)


def test_a_time_in_the_past_is_refused(book, open_location):
    with pytest.raises(ValidationError) as caught:
        book(starts_at=local(open_location, dt.date(2026, 3, 2), 7))
    assert "That time has already passed." in messages_of(caught.value)


def test_a_manager_may_override_the_hours_with_a_reason(book, open_location, manager):
    appointment = book(
        starts_at=local(open_location, TUESDAY, 18),
        booked_by=manager,
        override_reason="Patient can only come after work",
    )
    assert appointment.override_reason == "Patient can only come after work"
    assert appointment.override_by == manager
    assert "overridden: Patient can only come after work" in appointment.events.get().detail


def test_a_manager_must_give_the_reason(book, open_location, manager):
    with pytest.raises(ValidationError) as caught:
        book(starts_at=local(open_location, TUESDAY, 18), booked_by=manager)
    assert "You may book it anyway by giving an override reason." in messages_of(caught.value)


def test_the_front_desk_cannot_override(book, open_location):
    with pytest.raises(ValidationError) as caught:
        book(starts_at=local(open_location, TUESDAY, 18), override_reason="Please")
    assert caught.value.message_dict["override_reason"] == [
        "Only a manager can book outside working or opening hours."
    ]


def test_an_override_never_allows_a_double_booking(book, open_location, manager):
    book()
    with pytest.raises(SlotTaken):
        book(booked_by=manager, override_reason="VIP")


def test_the_therapist_must_work_at_the_location(book, uncertified_therapist):
    other = LocationFactory(name="Elsewhere")
    uncertified_therapist.locations.set([other])
    with pytest.raises(ValidationError) as caught:
        book(therapist=uncertified_therapist)
    assert caught.value.message_dict["therapist"] == [
        "Ursula Lindqvist is not a therapist at Mission District."
    ]


def test_the_front_desk_cannot_be_booked_as_a_therapist(book, front_desk):
    with pytest.raises(ValidationError) as caught:
        book(therapist=front_desk)
    assert "therapist" in caught.value.message_dict


def test_the_room_must_be_an_open_room_of_the_location(book, room):
    elsewhere = RoomFactory(location=LocationFactory(name="Elsewhere"), name="Room 9")
    with pytest.raises(ValidationError) as caught:
        book(room=elsewhere)
    assert caught.value.message_dict["room"] == ["Room 9 is not an open room at Mission District."]
    room.is_active = False
    room.save()
    with pytest.raises(ValidationError):
        book(room=room)


def test_archived_patients_and_retired_types_cannot_be_booked(book, dn_initial):
    archived = PatientFactory(archived_at=NOW)
    with pytest.raises(ValidationError) as caught:
        book(patient=archived)
    assert "patient" in caught.value.message_dict
    dn_initial.is_active = False
    dn_initial.save()
    with pytest.raises(ValidationError) as caught:
        book()
    assert caught.value.message_dict["appointment_type"] == [
        "DN initial evaluation is no longer offered."
    ]


def test_a_closed_location_takes_no_bookings(book, open_location):
    open_location.is_active = False
    open_location.save()
    with pytest.raises(ValidationError) as caught:
        book()
    assert "Mission District is closed for bookings." in messages_of(caught.value)


# --- Series ---------------------------------------------------------------------------------


def test_a_weekly_series_books_independent_appointments_sharing_a_series_id(
    open_location, therapist, room, patient, dn_follow_up, front_desk
):
    booked = services.appointment_book_series(
        location=open_location,
        patient=patient,
        appointment_type=dn_follow_up,
        therapist=therapist,
        room=room,
        starts_at=local(open_location, TUESDAY, 9),
        booked_by=front_desk,
        occurrences=6,
        now=NOW,
    )
    assert len(booked) == 6
    assert len({a.series_id for a in booked}) == 1 and booked[0].series_id is not None
    days = [a.local_starts_at.date() for a in booked]
    assert days == [TUESDAY + dt.timedelta(weeks=k) for k in range(6)]
    assert AppointmentEvent.objects.filter(kind="booked").count() == 6


def test_a_series_with_one_clash_is_refused_whole(book, dn_follow_up, second_therapist, room):
    book(starts_at=local(room.location, TUESDAY + dt.timedelta(weeks=2), 9))  # week 3 taken
    with pytest.raises(SlotTaken) as caught:
        services.appointment_book_series(
            location=room.location,
            patient=PatientFactory(),
            appointment_type=dn_follow_up,
            therapist=second_therapist,
            room=room,
            starts_at=local(room.location, TUESDAY, 9),
            booked_by=second_therapist,
            occurrences=4,
            now=NOW,
        )
    assert (
        "Room 1 is already booked on Tue 17 Mar 2026 09:00-10:00." in messages_of(caught.value)[0]
    )
    assert Appointment.objects.count() == 1


def test_a_series_outside_hours_lists_each_date(therapist, open_location, room, dn_follow_up):
    absence(therapist, TUESDAY + dt.timedelta(weeks=1), kind="holiday")
    with pytest.raises(ValidationError) as caught:
        services.appointment_book_series(
            location=open_location,
            patient=PatientFactory(),
            appointment_type=dn_follow_up,
            therapist=therapist,
            room=room,
            starts_at=local(open_location, TUESDAY, 9),
            booked_by=therapist,
            occurrences=3,
            now=NOW,
        )
    assert "Tue 10 Mar 2026: Theresa Okafor is away on Tue 10 Mar 2026 (holiday)." in (
        messages_of(caught.value)
    )
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("occurrences", [0, 53])
def test_a_series_length_is_bounded(book, occurrences, open_location, therapist, room, dn_initial):
    with pytest.raises(ValidationError) as caught:
        services.appointment_book_series(
            location=open_location,
            patient=PatientFactory(),
            appointment_type=dn_initial,
            therapist=therapist,
            room=room,
            starts_at=local(open_location, TUESDAY, 9),
            booked_by=therapist,
            occurrences=occurrences,
            now=NOW,
        )
    assert "occurrences" in caught.value.message_dict


# --- Moving ---------------------------------------------------------------------------------


def test_an_appointment_moves_to_a_free_time_and_keeps_a_history(book, front_desk, room2):
    appointment = book()
    moved = services.appointment_move(
        appointment=appointment,
        starts_at=local(room2.location, TUESDAY, 14),
        room=room2,
        moved_by=front_desk,
        now=NOW,
    )
    assert [m.pk for m in moved] == [appointment.pk]
    appointment.refresh_from_db()
    assert appointment.local_starts_at.strftime("%H:%M") == "14:00"
    assert appointment.room == room2
    event = appointment.events.get(kind=AppointmentEvent.Kind.MOVED)
    assert "From on Tue 3 Mar 2026 09:00-10:00 (Theresa Okafor, Room 1)" in event.detail
    assert "to on Tue 3 Mar 2026 14:00-15:00 (Theresa Okafor, Room 2)" in event.detail


def test_a_move_onto_a_taken_slot_is_refused(book, second_therapist, front_desk):
    appointment = book()
    book(
        therapist=second_therapist,
        room=LOCATION().rooms.get(name="Room 2"),
        starts_at=local(LOCATION(), TUESDAY, 11),
    )
    with pytest.raises(SlotTaken):
        services.appointment_move(
            appointment=appointment,
            starts_at=local(LOCATION(), TUESDAY, 11, 30),
            therapist=second_therapist,
            moved_by=front_desk,
            now=NOW,
        )
    appointment.refresh_from_db()
    assert appointment.local_starts_at.hour == 9


def test_an_appointment_may_move_over_its_own_old_time(book, front_desk):
    appointment = book()
    services.appointment_move(
        appointment=appointment,
        starts_at=local(LOCATION(), TUESDAY, 9, 30),
        moved_by=front_desk,
        now=NOW,
    )
    appointment.refresh_from_db()
    assert appointment.local_starts_at.strftime("%H:%M") == "09:30"


def test_only_booked_appointments_move(book, front_desk):
    appointment = book()
    Appointment.objects.filter(pk=appointment.pk).update(status=Status.CHECKED_IN)
    with pytest.raises(ValidationError) as caught:
        services.appointment_move(
            appointment=appointment,
            starts_at=local(LOCATION(), TUESDAY, 14),
            moved_by=front_desk,
            now=NOW,
        )
    assert "Only a booked appointment can be rescheduled; this one is checked in." in (
        messages_of(caught.value)
    )


def _series(location, therapist, room, patient, appointment_type, by, occurrences=4):
    return services.appointment_book_series(
        location=location,
        patient=patient,
        appointment_type=appointment_type,
        therapist=therapist,
        room=room,
        starts_at=local(location, TUESDAY, 9),
        booked_by=by,
        occurrences=occurrences,
        now=NOW,
    )


def test_this_and_following_moves_the_rest_of_the_series_only(
    open_location, therapist, room, patient, dn_follow_up, front_desk
):
    series = _series(open_location, therapist, room, patient, dn_follow_up, front_desk)
    second = series[1]
    moved = services.appointment_move(
        appointment=second,
        starts_at=local(open_location, TUESDAY + dt.timedelta(weeks=1, days=1), 15),
        moved_by=front_desk,
        scope=Scope.FOLLOWING,
        now=NOW,
    )
    assert [m.pk for m in moved] == [a.pk for a in series[1:]]
    starts = [
        a.local_starts_at.strftime("%a %d %H:%M") for a in Appointment.objects.order_by("starts_at")
    ]
    assert starts == ["Tue 03 09:00", "Wed 11 15:00", "Wed 18 15:00", "Wed 25 15:00"]


def test_a_whole_series_can_slide_one_week_onto_its_own_slots(
    open_location, therapist, room, patient, dn_follow_up, front_desk
):
    """Each occurrence moves into the slot the next one is leaving: the database checks the
    overlap at the end of the move, not row by row."""
    series = _series(open_location, therapist, room, patient, dn_follow_up, front_desk)
    services.appointment_move(
        appointment=series[0],
        starts_at=local(open_location, TUESDAY + dt.timedelta(weeks=1), 9),
        moved_by=front_desk,
        scope=Scope.FOLLOWING,
        now=NOW,
    )
    days = [a.local_starts_at.date() for a in Appointment.objects.order_by("starts_at")]
    assert days == [TUESDAY + dt.timedelta(weeks=k) for k in range(1, 5)]


def test_moving_this_one_only_leaves_the_series_alone(
    open_location, therapist, room, patient, dn_follow_up, front_desk
):
    series = _series(open_location, therapist, room, patient, dn_follow_up, front_desk)
    services.appointment_move(
        appointment=series[1],
        starts_at=local(open_location, TUESDAY + dt.timedelta(weeks=1), 11),
        moved_by=front_desk,
        now=NOW,
    )
    hours = [a.local_starts_at.hour for a in Appointment.objects.order_by("starts_at")]
    assert hours == [9, 11, 9, 9]


def test_a_moved_appointment_gets_a_new_reminder(book, front_desk):
    appointment = book()
    Appointment.objects.filter(pk=appointment.pk).update(reminder_sent_at=NOW)
    services.appointment_move(
        appointment=appointment,
        starts_at=local(LOCATION(), TUESDAY, 15),
        moved_by=front_desk,
        now=NOW,
    )
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at is None


# --- Cancelling and the visit ---------------------------------------------------------------


def test_cancelling_needs_a_reason_and_keeps_the_appointment(book, front_desk):
    appointment = book()
    with pytest.raises(ValidationError) as caught:
        services.appointment_cancel(appointment=appointment, reason="  ", cancelled_by=front_desk)
    assert caught.value.message_dict == {"reason": ["Give a reason for the cancellation."]}
    services.appointment_cancel(
        appointment=appointment, reason="Patient has flu", cancelled_by=front_desk, now=NOW
    )
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == (Status.CANCELLED, "Patient has flu")
    assert appointment.cancelled_by == front_desk
    with pytest.raises(ValidationError) as caught:
        services.appointment_cancel(
            appointment=appointment, reason="Again", cancelled_by=front_desk
        )
    assert "this one is cancelled" in messages_of(caught.value)[0]


def test_cancelling_this_and_following(
    open_location, therapist, room, patient, dn_follow_up, front_desk
):
    series = _series(open_location, therapist, room, patient, dn_follow_up, front_desk)
    count = services.appointment_cancel(
        appointment=series[2], reason="Moving away", cancelled_by=front_desk, scope=Scope.FOLLOWING
    )
    assert count == 2
    statuses = list(Appointment.objects.order_by("starts_at").values_list("status", flat=True))
    assert statuses == [Status.BOOKED, Status.BOOKED, Status.CANCELLED, Status.CANCELLED]


def test_check_in_happens_on_the_day_only(book, front_desk):
    appointment = book()
    with pytest.raises(ValidationError) as caught:
        services.appointment_check_in(appointment=appointment, by=front_desk, now=NOW)
    assert (
        "checked in on the day of their appointment (Tue 3 Mar 2026)"
        in messages_of(caught.value)[0]
    )
    on_the_day = local(LOCATION(), TUESDAY, 8, 50)
    services.appointment_check_in(appointment=appointment, by=front_desk, now=on_the_day)
    assert appointment.status == Status.CHECKED_IN
    with pytest.raises(ValidationError) as caught:
        services.appointment_check_in(appointment=appointment, by=front_desk, now=on_the_day)
    assert "Only a booked appointment can be checked in; this one is checked in." in (
        messages_of(caught.value)
    )


def test_complete_and_no_show_wait_for_the_start(book, therapist, front_desk):
    first = book()
    second = book(starts_at=local(LOCATION(), TUESDAY, 11))
    before = local(LOCATION(), TUESDAY, 8)
    with pytest.raises(ValidationError):
        services.appointment_complete(appointment=first, by=therapist, now=before)
    with pytest.raises(ValidationError):
        services.appointment_mark_no_show(appointment=second, by=front_desk, now=before)
    later = local(LOCATION(), TUESDAY, 12)
    services.appointment_complete(appointment=first, by=therapist, now=later)
    services.appointment_mark_no_show(appointment=second, by=front_desk, now=later)
    assert (first.status, second.status) == (Status.COMPLETED, Status.NO_SHOW)
    kinds = set(AppointmentEvent.objects.values_list("kind", flat=True))
    assert {"completed", "no_show"} <= kinds


# --- The database guarantee -----------------------------------------------------------------


def test_sqlite_gets_no_exclusion_constraint_ddl():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE contype = 'x' AND conname LIKE "
                "'appointment_no_%%' ORDER BY conname"
            )
            names = [row[0] for row in cursor.fetchall()]
        assert names == ["appointment_no_room_overlap", "appointment_no_therapist_overlap"]
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'clinic_appointment'")
            ddl = cursor.fetchone()[0]
        assert "EXCLUDE" not in ddl and "appointment_ends_after_start" in ddl


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraints: PostgreSQL")
def test_the_database_refuses_an_overlap_written_past_the_service(book):
    from django.db import IntegrityError, transaction

    first = book()
    clone = Appointment(
        location=first.location,
        patient=first.patient,
        appointment_type=first.appointment_type,
        therapist=first.therapist,
        room=first.room.location.rooms.get(name="Room 2"),
        starts_at=first.starts_at + dt.timedelta(minutes=15),
        ends_at=first.ends_at,
    )
    with (
        pytest.raises(IntegrityError, match="appointment_no_therapist_overlap"),
        transaction.atomic(),
    ):
        clone.save()
    clone.status = Status.CANCELLED
    clone.cancel_reason = "Cancelled rows may overlap"
    clone.save()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraints: PostgreSQL")
def test_the_constraints_refusal_becomes_the_same_friendly_message(book, monkeypatch, room2):
    """If the service's own check misses a clash, the constraint's IntegrityError is turned
    into SlotTaken naming the therapist (or the room)."""
    book()
    monkeypatch.setattr(services, "_find_clashes", lambda *args, **kwargs: {})
    with pytest.raises(SlotTaken) as caught:
        book(room=room2, starts_at=local(room2.location, TUESDAY, 9, 30))
    assert caught.value.fields == ("therapist",)
    assert messages_of(caught.value) == [
        "That slot was just taken: Theresa Okafor is already booked then. Choose another time."
    ]
    with pytest.raises(SlotTaken) as caught:
        book(
            therapist=room2.location.staff.get(username="thera2"),
            starts_at=local(room2.location, TUESDAY, 9, 30),
        )
    assert caught.value.fields == ("room",)
    assert "Room 1 is already booked then" in messages_of(caught.value)[0]
