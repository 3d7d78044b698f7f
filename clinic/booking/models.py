"""Booking records: appointment types, opening and working hours, absences, appointments.

Registered by clinic/models.py under the "clinic" app label. Times of day (opening and
working hours) are wall-clock times in the location's time zone; appointment instants are
stored in UTC and shown in the location's zone.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Deferrable, Q
from django.urls import reverse

from clinic.booking.constraints import PostgresExclusionConstraint, TsTzRange

__all__ = [
    "Appointment",
    "AppointmentEvent",
    "AppointmentType",
    "OpeningHours",
    "ScheduleException",
    "WorkingHours",
    "Weekday",
]


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


WEEKDAY_CHECK = Q(weekday__gte=0, weekday__lte=6)

validate_colour = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", "Use a colour like #1f77b4 (a # and six hexadecimal digits)."
)


class AppointmentType(models.Model):
    name = models.CharField(max_length=80, unique=True)
    duration_minutes = models.PositiveSmallIntegerField(
        "Duration (minutes)", validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    colour = models.CharField(max_length=7, default="#0d6efd", validators=[validate_colour])
    is_dn = models.BooleanField(
        "Dry needling treatment",
        default=False,
        help_text="DN appointments show the patient's screening and consent status when booked.",
    )
    is_active = models.BooleanField(
        "Bookable", default=True, help_text="Untick to stop offering this type."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=480),
                name="appointment_type_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.duration_minutes} min)"

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)

    @property
    def text_colour(self) -> str:
        """Black or white, whichever reads better on the type's colour."""
        return text_colour_on(self.colour)


def text_colour_on(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` ("#rrggbb")."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.299 * red + 0.587 * green + 0.114 * blue
    return "#000000" if luminance > 150 else "#ffffff"


class OpeningHours(models.Model):
    """When a location is open on a weekday. No row for a weekday means closed."""

    location = models.ForeignKey(
        "clinic.Location", on_delete=models.CASCADE, related_name="opening_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["location", "weekday"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.UniqueConstraint(fields=["location", "weekday"], name="opening_hours_one_a_day"),
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")), name="opening_hours_close_after_open"
            ),
            models.CheckConstraint(condition=WEEKDAY_CHECK, name="opening_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens and self.closes and self.closes <= self.opens:
            raise ValidationError({"closes": "Closing time must be after opening time."})


class WorkingHours(models.Model):
    """A stretch of a weekday when a therapist works at a location (several a day allowed)."""

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    location = models.ForeignKey(
        "clinic.Location", on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["therapist__last_name", "therapist__first_name", "weekday", "starts"]
        verbose_name_plural = "working hours"
        constraints = [
            models.UniqueConstraint(
                fields=["therapist", "weekday", "starts"], name="working_hours_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(ends__gt=models.F("starts")), name="working_hours_end_after_start"
            ),
            models.CheckConstraint(condition=WEEKDAY_CHECK, name="working_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"

    def clean(self) -> None:
        if self.starts and self.ends and self.ends <= self.starts:
            raise ValidationError({"ends": "The end must be after the start."})


class ScheduleException(models.Model):
    """Whole days a therapist does not work (holiday, sick day...), inclusive."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "Holiday"
        SICK = "sick", "Sick day"
        TRAINING = "training", "Training"
        OTHER = "other", "Other absence"

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedule_exceptions"
    )
    starts_on = models.DateField("First day")
    ends_on = models.DateField("Last day (inclusive)")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.HOLIDAY)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "therapist__last_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="schedule_exception_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        if self.starts_on == self.ends_on:
            return f"{self.get_kind_display()} on {self.starts_on:%a %-d %b %Y}"
        return f"{self.get_kind_display()} {self.starts_on:%-d %b} - {self.ends_on:%-d %b %Y}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The last day must be on or after the first day."})


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CHECKED_IN = "checked_in", "Checked in"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    # Statuses that occupy the therapist and the room. Cancelled and no-show appointments free
    # the slot and stay in the history.
    ACTIVE_STATUSES = (Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED)

    location = models.ForeignKey(
        "clinic.Location", on_delete=models.PROTECT, related_name="appointments"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="appointments"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    room = models.ForeignKey("clinic.Room", on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BOOKED)
    # Appointments booked together as a recurring series share this id; each stays independent.
    series_id = models.UUIDField(null=True, blank=True, db_index=True)
    notes = models.CharField(max_length=500, blank=True)
    # Booked outside working or opening hours (or in the past) by a manager, and why.
    override_reason = models.CharField(max_length=300, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Claimed with a conditional UPDATE (NULL -> now) by the one worker that sends it.
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["location", "starts_at"]),
            # A day or week of a location is "starts before its end, ends after its start":
            # on (location, starts_at) alone that reads every earlier appointment (years of
            # history for today's calendar); with this one PostgreSQL reads whichever side of
            # the day holds fewer rows, for today the bookings still ahead.
            models.Index(fields=["location", "ends_at"]),
            models.Index(fields=["therapist", "starts_at"]),
            models.Index(fields=["room", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
            # Reports: a date range of appointments counted per therapist, location and
            # status from the index alone (PostgreSQL index-only scans).
            models.Index(
                fields=["starts_at"],
                include=["therapist", "location", "status"],
                name="appointment_report_idx",
            ),
        ]
        permissions = [
            ("cancel_appointment", "Can cancel appointments"),
            ("check_in_appointment", "Can check patients in"),
            ("complete_appointment", "Can mark appointments completed"),
            ("mark_no_show", "Can mark appointments as no-show"),
            ("override_hours", "Can book outside working or opening hours, with a reason"),
            ("view_location_calendar", "Can see every appointment at their locations"),
            ("view_all_calendars", "Can see the calendar of every location"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["booked", "checked_in", "completed", "cancelled", "no_show"]
                ),
                name="appointment_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="appointment_cancel_has_reason",
            ),
            # PostgreSQL: no two active appointments of one therapist, or in one room, overlap.
            # Deferrable so a recurring series can be moved as a whole inside one transaction
            # (the service defers the check and then forces it before leaving).
            PostgresExclusionConstraint(
                name="appointment_no_therapist_overlap",
                expressions=[
                    ("therapist", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=["booked", "checked_in", "completed"]),
                deferrable=Deferrable.IMMEDIATE,
                violation_error_message="That slot is taken: the therapist is already booked then.",
            ),
            PostgresExclusionConstraint(
                name="appointment_no_room_overlap",
                expressions=[
                    ("room", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=["booked", "checked_in", "completed"]),
                deferrable=Deferrable.IMMEDIATE,
                violation_error_message="That slot is taken: the room is already booked then.",
            ),
        ]

    def __str__(self) -> str:
        local = self.local_starts_at
        return f"{self.appointment_type.name} for {self.patient} on {local:%a %-d %b %Y %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("booking:appointment_detail", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The appointment must end after it starts."
        if self.status == self.Status.CANCELLED and not self.cancel_reason.strip():
            errors["cancel_reason"] = "Give a reason for the cancellation."
        if self.room_id and self.location_id and self.room.location_id != self.location_id:
            errors["room"] = "Choose a room at this appointment's location."
        if errors:
            raise ValidationError(errors)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def zone(self):
        return self.location.zone

    @property
    def local_starts_at(self) -> dt.datetime:
        return self.starts_at.astimezone(self.location.zone)

    @property
    def local_ends_at(self) -> dt.datetime:
        return self.ends_at.astimezone(self.location.zone)


class AppointmentEvent(models.Model):
    """The history of an appointment: booked, moved, checked in, completed, cancelled..."""

    class Kind(models.TextChoices):
        BOOKED = "booked", "Booked"
        MOVED = "moved", "Rescheduled"
        CHECKED_IN = "checked_in", "Checked in"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "Marked no-show"
        REMINDER = "reminder", "Reminder sent"
        CONFIRMED = "confirmed", "Confirmed by the patient"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"
