"""Template helpers for the appointment page, the home page and the patient page."""

from __future__ import annotations

from django import template

from needling.sessions import selectors as session_selectors
from needling.sessions.models import SessionRecord

register = template.Library()

OVERDUE_SHOWN = 20


@register.simple_tag
def appointment_session(appointment):
    """The appointment's session note or None (one query). Only the id, status and signing
    time are read here: the front desk sees that a visit happened, never its content."""
    return (
        SessionRecord.objects.filter(appointment=appointment)
        .only("id", "status", "signed_at", "practitioner_id", "appointment_id")
        .first()
    )


@register.simple_tag
def overdue_notes(user):
    """The user's unsigned notes older than 24 hours (one query)."""
    return list(session_selectors.unsigned_overdue(practitioner=user)[:OVERDUE_SHOWN])
