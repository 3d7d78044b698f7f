"""Reminders through a real Celery worker and a real Redis broker.

An in-process worker (celery.contrib.testing.worker.start_worker, a thread pool of four) takes
the jobs from Redis, so two runs of the beat task really race each other: their reminder jobs
run at the same time on different database connections. One email per appointment must come
out, none for a cancelled one. Needs REDIS_URL (CI sets it); the suite's other tests run
Celery eagerly.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from clinic.booking.models import Appointment
from patients.intake import tasks
from tests.booking.factories import AppointmentFactory
from tests.factories import PatientFactory, RoomFactory

pytestmark = pytest.mark.django_db(transaction=True)
REDIS_URL = os.environ.get("REDIS_URL")


@pytest.fixture
def live_worker():
    if not REDIS_URL:
        pytest.skip("REDIS_URL is not set: the real-worker reminder test needs Redis (CI sets it)")
    from celery.contrib.testing.worker import start_worker

    from clinic.celery import app

    assert app.conf.broker_url.startswith("redis://")
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    app.control.purge()  # leftovers of an interrupted run would only add noise
    # SQLite's in-memory test database cannot take concurrent writers; PostgreSQL can.
    concurrency = 4 if connection.vendor == "postgresql" else 1
    try:
        with start_worker(
            app,
            pool="threads",
            concurrency=concurrency,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=20,
        ):
            yield app
    finally:
        app.conf.task_always_eager = saved


def test_a_real_worker_sends_each_reminder_once_when_two_runs_race(
    live_worker, location, therapist, mailoutbox
):
    room = RoomFactory(location=location, name="Room W")
    start = (timezone.now() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    due = [
        AppointmentFactory(
            location=location,
            therapist=therapist,
            room=room,
            patient=PatientFactory(email=f"patient{index}@example.test"),
            starts_at=start + dt.timedelta(hours=index),
        )
        for index in range(3)
    ]
    AppointmentFactory(
        location=location,
        therapist=therapist,
        room=room,
        patient=PatientFactory(email="cancelled@example.test"),
        starts_at=start + dt.timedelta(hours=4),
        status=Appointment.Status.CANCELLED,
        cancel_reason="Patient rang",
    )

    first, second = tasks.send_due_reminders.delay(), tasks.send_due_reminders.delay()
    job_ids = first.get(timeout=60) + second.get(timeout=60)
    assert len(job_ids) in (3, 4, 5, 6)  # each run queued every appointment it saw due
    sent = [live_worker.AsyncResult(job_id).get(timeout=60) for job_id in job_ids]

    assert sent.count(True) == 3
    assert sorted(message.to[0] for message in mail.outbox) == [
        "patient0@example.test",
        "patient1@example.test",
        "patient2@example.test",
    ]
    assert all(
        Appointment.objects.get(pk=appointment.pk).reminder_sent_at is not None
        for appointment in due
    )
    # A third run finds nothing left to send.
    assert tasks.send_due_reminders.delay().get(timeout=60) == []
    assert len(mail.outbox) == 3
