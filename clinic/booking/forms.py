from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

from clinic.booking import selectors
from clinic.booking.models import AppointmentType, ScheduleException, Weekday
from clinic.booking.services import MAX_OCCURRENCES, Scope
from clinic.booking.times import local_to_utc
from clinic.common.widgets import DateInput


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        attrs = {"step": 300, **kwargs.pop("attrs", {})}
        super().__init__(format="%H:%M", attrs=attrs, **kwargs)


class PatientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, patient) -> str:
        return f"{patient.last_name}, {patient.first_name} (born {patient.date_of_birth:%Y-%m-%d})"


class RoomChoiceField(forms.ModelChoiceField):
    """Rooms of one location: the room's name is enough."""

    def label_from_instance(self, room) -> str:
        return room.name


REPEAT_CHOICES = [
    ("0", "Does not repeat"),
    ("1", "Every week"),
    ("2", "Every 2 weeks"),
    ("4", "Every 4 weeks"),
]
SCOPE_CHOICES = [
    (Scope.THIS.value, "This appointment only"),
    (Scope.FOLLOWING.value, "This and the following appointments in the series"),
]


class _StartMixin:
    """date + time in the location's zone -> cleaned_data["starts_at"] in UTC."""

    location = None

    def _clean_start(self, data: dict) -> None:
        day, at = data.get("date"), data.get("time")
        if day and at:
            try:
                data["starts_at"] = local_to_utc(day, at, self.location.zone)
            except ValidationError as error:
                self.add_error("date" if error.code == "date_out_of_range" else "time", error)


class BookingForm(_StartMixin, forms.Form):
    patient = PatientChoiceField(
        queryset=None,
        label="Patient",
        error_messages={
            "required": "Choose a patient: type part of their name above and pick them.",
            "invalid_choice": "That patient is not on file (or the record is archived).",
        },
    )
    appointment_type = forms.ModelChoiceField(
        queryset=None, label="Type", empty_label="Choose a type"
    )
    therapist = forms.ModelChoiceField(queryset=None, empty_label="Choose a therapist")
    room = RoomChoiceField(queryset=None, empty_label="Choose a room")
    date = forms.DateField(widget=DateInput())
    time = forms.TimeField(label="Start time", widget=TimeInput())
    repeat = forms.ChoiceField(choices=REPEAT_CHOICES, initial="0")
    occurrences = forms.IntegerField(
        label="Number of appointments",
        min_value=1,
        max_value=MAX_OCCURRENCES,
        initial=1,
        help_text="Including the first. More than one makes a recurring series.",
    )
    notes = forms.CharField(
        required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    override_reason = forms.CharField(
        required=False,
        max_length=300,
        label="Override reason",
        help_text="Managers only: to book outside working or opening hours, or in the past.",
    )

    def __init__(self, *args, location, user, **kwargs):
        super().__init__(*args, **kwargs)
        from patients.models import Patient

        self.location = location
        self.fields["patient"].queryset = Patient.objects.filter(archived_at__isnull=True)
        self.fields["appointment_type"].queryset = selectors.bookable_types()
        self.fields["therapist"].queryset = selectors.therapists_at(location)
        self.fields["room"].queryset = selectors.bookable_rooms(location)
        if not user.has_perm("clinic.override_hours"):
            del self.fields["override_reason"]

    def clean(self):
        data = super().clean()
        self._clean_start(data)
        repeat = int(data.get("repeat") or 0)
        occurrences = data.get("occurrences")
        if occurrences is not None:
            if repeat == 0 and occurrences > 1:
                self.add_error("occurrences", "Choose how often it repeats, or book 1 appointment.")
            elif repeat and occurrences < 2:
                self.add_error("occurrences", "A repeating booking needs at least 2 appointments.")
        return data


class MoveForm(_StartMixin, forms.Form):
    date = forms.DateField(label="New date", widget=DateInput())
    time = forms.TimeField(label="New start time", widget=TimeInput())
    therapist = forms.ModelChoiceField(queryset=None)
    room = RoomChoiceField(queryset=None)
    scope = forms.ChoiceField(
        label="Which appointments",
        choices=SCOPE_CHOICES,
        initial=Scope.THIS.value,
        widget=forms.RadioSelect,
    )
    override_reason = forms.CharField(
        required=False,
        max_length=300,
        label="Override reason",
        help_text="Managers only: to move it outside working or opening hours.",
    )

    def __init__(self, *args, appointment, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.location = appointment.location
        self.fields["therapist"].queryset = selectors.therapists_at(self.location)
        self.fields["room"].queryset = selectors.bookable_rooms(self.location)
        if not appointment.series_id:
            del self.fields["scope"]
        if not user.has_perm("clinic.override_hours"):
            del self.fields["override_reason"]

    def clean(self):
        data = super().clean()
        self._clean_start(data)
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give a reason for the cancellation."},
    )
    scope = forms.ChoiceField(
        label="Which appointments",
        choices=SCOPE_CHOICES,
        initial=Scope.THIS.value,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, appointment, **kwargs):
        super().__init__(*args, **kwargs)
        if not appointment.series_id:
            del self.fields["scope"]

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Give a reason for the cancellation.")
        return reason


# --- Setup ----------------------------------------------------------------------------------


class AppointmentTypeForm(forms.ModelForm):
    class Meta:
        model = AppointmentType
        fields = ["name", "duration_minutes", "colour", "is_dn", "is_active"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}


class OpeningHoursForm(forms.Form):
    """One row per weekday: open?, opens, closes."""

    def __init__(self, *args, location, **kwargs):
        super().__init__(*args, **kwargs)
        self.location = location
        existing = {row.weekday: row for row in location.opening_hours.all()}
        for weekday in Weekday:
            row = existing.get(weekday.value)
            self.fields[f"open_{weekday.value}"] = forms.BooleanField(
                required=False, label=f"Open on {weekday.label}", initial=row is not None
            )
            self.fields[f"opens_{weekday.value}"] = forms.TimeField(
                required=False,
                label=f"{weekday.label} opens",
                widget=TimeInput(),
                initial=row.opens if row else dt.time(8, 0),
            )
            self.fields[f"closes_{weekday.value}"] = forms.TimeField(
                required=False,
                label=f"{weekday.label} closes",
                widget=TimeInput(),
                initial=row.closes if row else dt.time(18, 0),
            )

    def rows(self):
        for weekday in Weekday:
            yield (
                weekday,
                self[f"open_{weekday.value}"],
                self[f"opens_{weekday.value}"],
                self[f"closes_{weekday.value}"],
            )

    def clean(self):
        data = super().clean()
        days = {}
        for weekday in Weekday:
            if not data.get(f"open_{weekday.value}"):
                days[weekday.value] = None
                continue
            opens, closes = data.get(f"opens_{weekday.value}"), data.get(f"closes_{weekday.value}")
            if opens is None:
                self.add_error(f"opens_{weekday.value}", f"When does it open on {weekday.label}s?")
            if closes is None:
                self.add_error(
                    f"closes_{weekday.value}", f"When does it close on {weekday.label}s?"
                )
            if opens and closes:
                if closes <= opens:
                    self.add_error(
                        f"closes_{weekday.value}",
                        f"{weekday.label}: closing time must be after opening time.",
                    )
                days[weekday.value] = (opens, closes)
        data["days"] = days
        return data


class WorkingHoursForm(forms.Form):
    therapist = forms.ModelChoiceField(queryset=None, empty_label="Choose a therapist")
    weekday = forms.TypedChoiceField(choices=Weekday.choices, coerce=int)
    starts = forms.TimeField(label="From", widget=TimeInput())
    ends = forms.TimeField(label="Until", widget=TimeInput())

    def __init__(self, *args, location, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = selectors.therapists_at(location)

    def clean(self):
        data = super().clean()
        if data.get("starts") and data.get("ends") and data["ends"] <= data["starts"]:
            self.add_error("ends", "The end must be after the start.")
        return data


class ScheduleExceptionForm(forms.Form):
    therapist = forms.ModelChoiceField(queryset=None, empty_label="Choose a therapist")
    starts_on = forms.DateField(label="First day", widget=DateInput())
    ends_on = forms.DateField(label="Last day (inclusive)", widget=DateInput())
    kind = forms.ChoiceField(label="Reason", choices=ScheduleException.Kind.choices)
    note = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, therapists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = therapists

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "The last day must be on or after the first day.")
        return data
