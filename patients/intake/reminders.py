"""Appointment reminders by email, the day before (APPOINTMENT_REMINDER_HOURS ahead).

Exactly one reminder per appointment time: the sender first claims the appointment with a
conditional UPDATE (reminder_sent_at IS NULL -> now, status still booked). The database lets
one UPDATE win; every other caller (the task running twice, two workers racing) updates no
row and sends nothing. If sending fails, the claim is released so the next run retries.
Rescheduling an appointment to a new time clears the claim: the patient hears about the new
time once.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinic.booking.models import Appointment, AppointmentEvent

logger = logging.getLogger(__name__)
Status = Appointment.Status


def reminder_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return now, now + dt.timedelta(hours=settings.APPOINTMENT_REMINDER_HOURS)


def reminders_due(*, now: dt.datetime | None = None) -> list[int]:
    """Booked appointments starting within the reminder window, not yet reminded, whose
    patient has an email address."""
    start, end = reminder_window(now or timezone.now())
    return list(
        Appointment.objects.filter(
            status=Status.BOOKED,
            reminder_sent_at__isnull=True,
            starts_at__gt=start,
            starts_at__lte=end,
        )
        .exclude(patient__email="")
        .order_by("starts_at")
        .values_list("pk", flat=True)
    )


def _claim(appointment_id: int, now: dt.datetime) -> bool:
    start, end = reminder_window(now)
    claimed = Appointment.objects.filter(
        pk=appointment_id,
        status=Status.BOOKED,
        reminder_sent_at__isnull=True,
        starts_at__gt=start,
        starts_at__lte=end,
    ).update(reminder_sent_at=now)
    return claimed == 1


def answer_links(appointment: Appointment, *, now: dt.datetime) -> dict[str, str]:
    """Confirm and cancel links (one single-use token scoped to this appointment)."""
    from patients.intake.services import appointment_link_issue

    token = appointment_link_issue(appointment=appointment, now=now)
    if token is None:
        return {}
    url = settings.CLINIC_BASE_URL.rstrip("/") + reverse("intake:appointment", args=[token])
    return {"confirm_url": f"{url}?answer=confirm", "cancel_url": f"{url}?answer=cancel"}


def reminder_message(
    appointment: Appointment, *, links: dict[str, str] | None = None
) -> EmailMultiAlternatives:
    context = {
        "appointment": appointment,
        "patient": appointment.patient,
        "location": appointment.location,
        "clinic_name": settings.CLINIC_NAME,
        **(links or {}),
    }
    subject = " ".join(render_to_string("emails/appointment_reminder_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/appointment_reminder_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[appointment.patient.email],
    )
    message.attach_alternative(
        render_to_string("emails/appointment_reminder_body.html", context), "text/html"
    )
    return message


def reminder_send(*, appointment_id: int, now: dt.datetime | None = None) -> bool:
    """Send the reminder for one appointment if this call wins the claim. True when sent."""
    now = now or timezone.now()
    if not _claim(appointment_id, now):
        return False
    appointment = Appointment.objects.select_related(
        "patient", "location", "therapist", "room", "appointment_type"
    ).get(pk=appointment_id)
    try:
        reminder_message(appointment, links=answer_links(appointment, now=now)).send(
            fail_silently=False
        )
    except Exception:
        # Release our claim (only ours: same timestamp) so the next run tries again.
        Appointment.objects.filter(pk=appointment_id, reminder_sent_at=now).update(
            reminder_sent_at=None
        )
        logger.exception("Reminder for appointment %s could not be sent", appointment_id)
        raise
    AppointmentEvent.objects.create(
        appointment=appointment,
        kind=AppointmentEvent.Kind.REMINDER,
        at=now,
        detail=f"Email to {appointment.patient.email}",
    )
    return True
