"""Reminder emails carry confirm / cancel links: one single-use token per appointment. A
cancel goes through the booking service, so the slot is free and the calendar shows it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from clinic.booking import services
from clinic.booking.models import Appointment, AppointmentEvent
from clinic.booking.views import day_url
from patients.intake import reminders
from patients.intake.models import PatientLink
from tests.booking.factories import AppointmentTypeFactory, local, open_all_week
from tests.factories import PatientFactory, RoomFactory
from tests.intake.conftest import NOW, TODAY

pytestmark = pytest.mark.django_db
ANSWER_LINK = re.compile(r"https?://[^/\s]+(/intake/a/[A-Za-z0-9_\-]+/)\?answer=(confirm|cancel)")


@pytest.fixture
def appointment(location, therapist, front_desk):
    open_all_week(location, therapist)
    patient = PatientFactory(first_name="Lena", last_name="Park", email="lena@example.test")
    return services.appointment_book(
        location=location,
        patient=patient,
        appointment_type=AppointmentTypeFactory(name="DN follow-up", duration_minutes=30),
        therapist=therapist,
        room=RoomFactory(location=location, name="Room 1"),
        starts_at=local(location, TODAY, 15),
        booked_by=front_desk,
        now=NOW,
    )


def _reminder_links(appointment) -> dict[str, str]:
    assert reminders.reminder_send(appointment_id=appointment.pk, now=NOW)
    message = mail.outbox[-1]
    found = {answer: path for path, answer in ANSWER_LINK.findall(message.body)}
    html = message.alternatives[0][0]
    assert found and all(path in html for path in found.values())
    return found


def test_the_reminder_carries_confirm_and_cancel_links_of_one_token(appointment):
    links = _reminder_links(appointment)
    assert set(links) == {"confirm", "cancel"} and links["confirm"] == links["cancel"]
    link = PatientLink.objects.get()
    assert link.purpose == "appointment" and link.appointment == appointment
    assert link.expires_at <= appointment.ends_at


def test_opening_the_link_changes_nothing_until_the_patient_presses_a_button(appointment):
    path = _reminder_links(appointment)["cancel"]
    page = Client().get(path + "?answer=cancel")
    assert page.status_code == 200 and "I cannot come" in page.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert PatientLink.objects.get().used_at is None


def test_confirming_records_it_in_the_appointment_history(appointment, front_desk_client):
    path = _reminder_links(appointment)["confirm"]
    response = Client(REMOTE_ADDR="198.51.100.4").post(path, {"answer": "confirm"})
    assert response.status_code == 200 and "confirmed" in response.content.decode()
    event = AppointmentEvent.objects.get(appointment=appointment, kind="confirmed")
    assert "198.51.100.4" in event.detail
    detail = front_desk_client.get(appointment.get_absolute_url()).content.decode()
    assert "Confirmed by the patient" in detail
    # Single use: the same link again is the unavailable page, and nothing more happens.
    again = Client().post(path, {"answer": "cancel"})
    assert again.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_cancelling_frees_the_slot_and_the_calendar_shows_it(
    appointment, front_desk_client, front_desk, location
):
    path = _reminder_links(appointment)["cancel"]
    response = Client().post(path, {"answer": "cancel"})
    assert response.status_code == 200 and "is cancelled" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.cancelled_by is None
    assert "by the patient" in appointment.cancel_reason
    day = front_desk_client.get(day_url(location, TODAY)).content.decode()
    cancelled = day.split("Cancelled and no-show", 1)[1]
    assert "Lena Park" in cancelled and "Cancelled" in cancelled
    # The slot is free: the same therapist and room can be booked at that time again.
    services.appointment_book(
        location=location,
        patient=PatientFactory(),
        appointment_type=appointment.appointment_type,
        therapist=appointment.therapist,
        room=appointment.room,
        starts_at=appointment.starts_at,
        booked_by=front_desk,
        now=NOW,
    )
    assert Appointment.objects.filter(status="booked", starts_at=appointment.starts_at).count() == 1


def test_an_appointment_already_cancelled_at_the_desk_is_a_clear_message(appointment, front_desk):
    path = _reminder_links(appointment)["cancel"]
    services.appointment_cancel(
        appointment=appointment, reason="Called in", cancelled_by=front_desk
    )
    response = Client().post(path, {"answer": "cancel"})
    assert response.status_code == 400
    assert "can no longer be changed online" in response.content.decode()
    assert PatientLink.objects.get().used_at is None  # nothing half-done


def test_a_bad_answer_or_a_foreign_token_changes_nothing(appointment):
    path = _reminder_links(appointment)["confirm"]
    assert Client().post(path, {"answer": "delete"}).status_code == 400
    assert Client().post("/intake/a/forged-token-value/", {"answer": "cancel"}).status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_an_appointment_link_does_not_open_the_intake_or_the_other_way_round(appointment):
    path = _reminder_links(appointment)["confirm"]
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert Client().get(reverse("intake:open", args=[token])).status_code == 404


def test_the_link_ends_with_the_appointment(appointment, fixed_now):
    path = _reminder_links(appointment)["confirm"]
    fixed_now.move_to(appointment.ends_at + dt.timedelta(seconds=1))
    assert Client().get(path).status_code == 404
