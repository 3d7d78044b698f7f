"""Reminder emails: the day before, templated, exactly once per appointment time."""

from __future__ import annotations

import datetime as dt
import re
import threading
from smtplib import SMTPException

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, connections

from clinic.booking import services
from clinic.booking.models import Appointment, AppointmentEvent
from clinic.celery import app
from patients.intake import reminders, tasks
from tests.booking.conftest import NOW, TUESDAY
from tests.booking.factories import local
from tests.factories import PatientFactory

MONDAY = NOW.date()


@pytest.fixture
def booked(open_location, therapist, room, room2, patient, dn_initial, front_desk, frozen):
    """Mon 15:00 (in 7 hours: due), Tue 10:00 (26 hours away: not yet), Mon 16:00 cancelled,
    Mon 17:00 for a patient without email."""

    def book(day, hour, who=patient, where=room):
        return services.appointment_book(
            location=open_location,
            patient=who,
            appointment_type=dn_initial,
            therapist=therapist,
            room=where,
            starts_at=local(open_location, day, hour),
            booked_by=front_desk,
            now=NOW,
        )

    due = book(MONDAY, 15)
    later = book(TUESDAY, 10)
    cancelled = book(MONDAY, 16)
    services.appointment_cancel(appointment=cancelled, reason="Rebooked", cancelled_by=front_desk)
    no_email = book(MONDAY, 17, who=PatientFactory(email=""))
    return {"due": due, "later": later, "cancelled": cancelled, "no_email": no_email}


@pytest.mark.django_db
def test_only_booked_appointments_within_the_window_with_an_email_are_due(booked):
    assert reminders.reminders_due(now=NOW) == [booked["due"].pk]
    next_morning = NOW + dt.timedelta(hours=3)  # Tue 10:00 is now 23 hours away
    assert booked["later"].pk in reminders.reminders_due(now=next_morning)


@pytest.mark.django_db
def test_the_window_follows_the_setting(booked, settings):
    settings.APPOINTMENT_REMINDER_HOURS = 30
    assert set(reminders.reminders_due(now=NOW)) == {booked["due"].pk, booked["later"].pk}


@pytest.mark.django_db
def test_the_beat_task_sends_one_templated_email(booked, mailoutbox):
    tasks.send_due_reminders()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["zoe@example.test"]
    assert message.subject == (
        "Reminder: your appointment on Monday 2 March at 15:00, Bay Dry Needling Clinics"
    )
    assert "DN initial evaluation" in message.body
    assert "Monday 2 March 2026, 15:00 to 16:00" in message.body
    assert "with Theresa Okafor" in message.body
    assert "Mission District," in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "15:00 to 16:00" in html and "Dear Zoë" in html
    due = Appointment.objects.get(pk=booked["due"].pk)
    assert due.reminder_sent_at == NOW
    assert due.events.filter(kind=AppointmentEvent.Kind.REMINDER).count() == 1


@pytest.mark.django_db
def test_running_the_task_twice_sends_one_email(booked, mailoutbox):
    tasks.send_due_reminders()
    tasks.send_due_reminders()
    assert len(mailoutbox) == 1
    assert reminders.reminder_send(appointment_id=booked["due"].pk, now=NOW) is False


@pytest.mark.django_db
def test_two_interleaved_runs_send_one_email(booked, mailoutbox):
    """Both runs see the appointment due before either sends: the claim picks one."""
    first_run = reminders.reminders_due(now=NOW)
    second_run = reminders.reminders_due(now=NOW)
    sent = [reminders.reminder_send(appointment_id=pk, now=NOW) for pk in first_run + second_run]
    assert sent == [True, False]
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_cancelled_appointments_get_no_reminder(booked, mailoutbox):
    assert reminders.reminder_send(appointment_id=booked["cancelled"].pk, now=NOW) is False
    tasks.send_due_reminders()
    assert [m.subject for m in mailoutbox if "16:00" in m.subject] == []
    assert Appointment.objects.get(pk=booked["cancelled"].pk).reminder_sent_at is None


@pytest.mark.django_db
def test_a_failed_send_releases_the_claim_for_the_next_run(booked, monkeypatch, mailoutbox):
    def refuse(self, fail_silently=False):
        raise SMTPException("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    with pytest.raises(SMTPException):
        reminders.reminder_send(appointment_id=booked["due"].pk, now=NOW)
    assert Appointment.objects.get(pk=booked["due"].pk).reminder_sent_at is None
    monkeypatch.undo()
    assert reminders.reminder_send(appointment_id=booked["due"].pk, now=NOW) is True
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_rescheduled_appointment_is_reminded_of_its_new_time(booked, front_desk, mailoutbox):
    tasks.send_due_reminders()
    services.appointment_move(
        appointment=booked["due"],
        starts_at=local(booked["due"].location, MONDAY, 14),
        moved_by=front_desk,
        now=NOW,
    )
    tasks.send_due_reminders()
    assert [re.search(r"at (\d\d:\d\d)", m.subject).group(1) for m in mailoutbox] == [
        "15:00",
        "14:00",
    ]


def test_the_reminder_task_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["appointment-reminders"]
    assert entry["task"] == tasks.send_due_reminders.name == "clinic.send_due_reminders"
    assert entry["schedule"] <= 3600
    app.loader.import_default_modules()
    assert "clinic.send_due_reminders" in app.tasks
    assert "clinic.send_appointment_reminder" in app.tasks


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads racing need PostgreSQL")
def test_two_racing_task_runs_send_one_email(
    open_location, therapist, room, patient, dn_initial, front_desk, mailoutbox
):
    appointments = [
        services.appointment_book(
            location=open_location,
            patient=patient,
            appointment_type=dn_initial,
            therapist=therapist,
            room=room,
            starts_at=local(open_location, MONDAY, hour),
            booked_by=front_desk,
            now=NOW,
        )
        for hour in (10, 11, 12, 13, 14)
    ]
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            for pk in reminders.reminders_due(now=NOW):
                reminders.reminder_send(appointment_id=pk, now=NOW)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(mail.outbox) == len(appointments)
    assert sorted(re.search(r"at (\d\d:\d\d)", m.subject).group(1) for m in mail.outbox) == [
        "10:00",
        "11:00",
        "12:00",
        "13:00",
        "14:00",
    ]
