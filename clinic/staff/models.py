"""Clinic-wide records: staff, their roles and credentials, locations and rooms."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from clinic.staff.roles import Role


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            "%(value)s is not a known time zone (for example America/Los_Angeles).",
            params={"value": value},
        ) from None


class Location(models.Model):
    name = models.CharField(max_length=120, unique=True)
    address = models.CharField(max_length=300)
    phone = models.CharField(max_length=40)
    time_zone = models.CharField(
        max_length=64, default="America/Los_Angeles", validators=[validate_time_zone]
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("location_detail", args=[self.pk])

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Room(models.Model):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="room_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location.name})"


class User(AbstractUser):
    """A member of staff. The role is the user's group (see clinic/roles.py)."""

    locations = models.ManyToManyField(Location, related_name="staff", blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        permissions = [
            ("view_dashboard", "Can see the manager dashboard"),
            ("view_schedule", "Can see the day's schedule"),
            ("practise_dn", "Can plan and perform dry needling"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_absolute_url(self) -> str:
        return reverse("staff_detail", args=[self.pk])

    @property
    def role(self) -> Role | None:
        """The user's role, from the first role group it belongs to (cached per instance)."""
        if not hasattr(self, "_role_cache"):
            names = {group.name for group in self.groups.all()}
            self._role_cache = next((role for role in Role if role.label in names), None)
        return self._role_cache

    def dn_certified_until(self, on: dt.date) -> dt.date | None:
        """The expiry of the DN certification in force on `on`, or None when none was.

        A certification counts from its certified_on date through its valid_until date. The
        screening engine receives this value and decides; None means "not certified".
        """
        # One query either way. The latest expiry among the certifications begun by `on` is
        # the one in force when any is (it is on or after `on`, every lapsed one is before),
        # else the last one that had expired (so the engine can say "expired on ...").
        return (
            self.dn_certifications.filter(certified_on__lte=on)
            .order_by("-valid_until")
            .values_list("valid_until", flat=True)
            .first()
        )


class Licence(models.Model):
    """A state physical-therapy licence."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="licences")
    state = models.CharField(max_length=2, help_text="Two-letter state code, e.g. CA.")
    number = models.CharField(max_length=40)
    expires_on = models.DateField()

    class Meta:
        ordering = ["-expires_on"]
        constraints = [
            models.UniqueConstraint(fields=["state", "number"], name="licence_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.number} (expires {self.expires_on:%Y-%m-%d})"

    def clean(self) -> None:
        self.state = (self.state or "").upper()
        if not (len(self.state) == 2 and self.state.isalpha()):
            raise ValidationError({"state": "Use the two-letter state code, e.g. CA."})


class DNCertification(models.Model):
    """A dry needling course certification. Valid through the last day, inclusive."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="dn_certifications")
    course = models.CharField(max_length=200)
    hours = models.PositiveSmallIntegerField()
    certified_on = models.DateField()
    valid_until = models.DateField()

    class Meta:
        ordering = ["-valid_until"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("certified_on")),
                name="dn_certification_valid_after_certified",
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="dn_certification_hours_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.course}, {self.hours} h, valid until {self.valid_until:%Y-%m-%d}"

    def clean(self) -> None:
        if self.certified_on and self.valid_until and self.valid_until < self.certified_on:
            raise ValidationError({"valid_until": "Must be on or after the certification date."})

    def is_valid_on(self, day: dt.date) -> bool:
        return self.certified_on <= day <= self.valid_until
