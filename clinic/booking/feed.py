"""The therapist's calendar feed: services to issue, rotate and turn off the secret URL, the
read of the feed's appointments, and the iCalendar text (RFC 5545, the ``icalendar`` package).

A calendar client has no session, so the feed URL is public (allow-listed) and the secret
token in it is the only key. What it shows is therefore kept to what a lost phone may show:
the appointment type, the patient's initials, the location and room, and the times. No
names, no conditions, no notes. Times carry the location's TZID with a VTIMEZONE, so a
client shows them right on both sides of a DST change.
"""

from __future__ import annotations

import datetime as dt
import secrets

import icalendar
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from clinic.booking.feed_models import CalendarFeed
from clinic.booking.models import Appointment

FEED_DAYS = 60
FEED_PERMISSION = "clinic.practise_dn"
PRODID = "-//DN Clinic//Therapist calendar feed//EN"


# --- Services --------------------------------------------------------------------------------


@transaction.atomic
def calendar_feed_rotate(*, user) -> str:
    """A new secret token for ``user``'s feed (made on first use); the old URL stops working.
    Returns the token, which is shown once and never stored."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(
        user=user, defaults={"token_hash": CalendarFeed.hash(token), "rotated_at": now}
    )
    if not created:
        feed.token_hash = CalendarFeed.hash(token)
        feed.rotated_at = now
        feed.last_used_at = None
        feed.full_clean()
        feed.save(update_fields=["token_hash", "rotated_at", "last_used_at"])
    return token


@transaction.atomic
def calendar_feed_revoke(*, user) -> bool:
    """Turn the feed off; False when there was none."""
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return deleted > 0


# --- Selectors -------------------------------------------------------------------------------


def feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed of this token, for a therapist still allowed one (1 query + perms)."""
    if not token or len(token) > 200:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=CalendarFeed.hash(token), user__is_active=True)
        .first()
    )
    if feed is None or not feed.user.has_perm(FEED_PERMISSION):
        return None
    return feed


def feed_appointments(user, *, now: dt.datetime | None = None) -> QuerySet[Appointment]:
    """The therapist's active appointments from the start of today (in each location's zone,
    approximated by the clinic's) to ``FEED_DAYS`` days ahead (1 query)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start = dt.datetime.combine(today, dt.time.min, tzinfo=timezone.get_current_timezone())
    return (
        Appointment.objects.filter(
            therapist=user,
            status__in=Appointment.ACTIVE_STATUSES,
            ends_at__gt=start,
            starts_at__lt=now + dt.timedelta(days=FEED_DAYS),
        )
        .select_related("location", "room", "appointment_type")
        .only(
            "pk",
            "starts_at",
            "ends_at",
            "status",
            "updated_at",
            "patient__first_name",
            "patient__last_name",
            "location__name",
            "location__time_zone",
            "room__name",
            "appointment_type__name",
        )
        .select_related("patient")
        .order_by("starts_at", "pk")
    )


# --- iCalendar -------------------------------------------------------------------------------


def initials(first_name: str, last_name: str) -> str:
    """ "Lucía", "García" -> "L. G." (upper-case first letters; nothing else of the name)."""
    letters = [part.strip()[:1].upper() for part in (first_name, last_name) if part.strip()]
    return " ".join(f"{letter}." for letter in letters)


def render_feed(user, appointments, *, url_for=None) -> bytes:
    """The VCALENDAR of ``appointments``; ``url_for(appointment)`` gives each event's link."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "DN clinic appointments")
    calendar.add("refresh-interval", dt.timedelta(minutes=30), parameters={"VALUE": "DURATION"})
    stamp = timezone.now()
    for appointment in appointments:
        zone = appointment.location.zone
        event = icalendar.Event()
        event.add("uid", f"appointment-{appointment.pk}@dn-clinic")
        event.add("dtstamp", stamp)
        event.add("last-modified", appointment.updated_at)
        event.add("dtstart", appointment.starts_at.astimezone(zone))
        event.add("dtend", appointment.ends_at.astimezone(zone))
        who = initials(appointment.patient.first_name, appointment.patient.last_name)
        event.add("summary", f"{appointment.appointment_type.name}: {who}")
        event.add("location", f"{appointment.location.name}, {appointment.room.name}")
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        event.add("class", "PRIVATE")
        if url_for is not None:
            event.add("url", url_for(appointment))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
