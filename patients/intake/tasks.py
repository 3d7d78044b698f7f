"""Celery tasks for appointment reminders. Thin: they take ids and call
patients.intake.reminders. (Their names keep the `clinic.` prefix they were scheduled under.)"""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from patients.intake import reminders


@shared_task(name="clinic.send_due_reminders", soft_time_limit=120, time_limit=150)
def send_due_reminders() -> list[str]:
    """Beat task: queue one reminder job per due appointment. Returns the job ids.

    Safe to run twice or on two workers at once: each job claims its appointment with a
    conditional UPDATE before sending, so only one email goes out."""
    return [
        send_appointment_reminder.delay(appointment_id).id
        for appointment_id in reminders.reminders_due()
    ]


@shared_task(
    name="clinic.send_appointment_reminder",
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
    soft_time_limit=30,
    time_limit=45,
)
def send_appointment_reminder(appointment_id: int) -> bool:
    return reminders.reminder_send(appointment_id=appointment_id)
