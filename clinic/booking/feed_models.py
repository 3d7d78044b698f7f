"""A therapist's secret calendar-feed URL. Only the SHA-256 of its token is stored."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models

__all__ = ["CalendarFeed"]


class CalendarFeed(models.Model):
    """One feed per therapist: ``/calendar/feed/<token>.ics``. Rotating replaces the hash, so
    the old URL stops answering (404) at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "clinic"

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
