"""The filter form every report shares: date range, location, therapist (+ patient, user)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django import forms
from django.utils import timezone

from clinic.staff.models import Location, User

MAX_SPAN_DAYS = 3660


@dataclasses.dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    location_id: int | None = None
    therapist_id: int | None = None
    patient_id: uuid.UUID | None = None
    user_id: int | None = None

    def start_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    def end_before(self) -> dt.datetime:
        """The first instant after the range (end date inclusive)."""
        return timezone.make_aware(
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min)
        )

    def to_json(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "location": self.location_id,
            "therapist": self.therapist_id,
            "patient": str(self.patient_id) if self.patient_id else None,
            "user": self.user_id,
        }

    @classmethod
    def from_json(cls, data: dict) -> Filters:
        return cls(
            start=dt.date.fromisoformat(data["start"]),
            end=dt.date.fromisoformat(data["end"]),
            location_id=data.get("location"),
            therapist_id=data.get("therapist"),
            patient_id=uuid.UUID(data["patient"]) if data.get("patient") else None,
            user_id=data.get("user"),
        )

    def query_string(self) -> str:
        from urllib.parse import urlencode

        pairs = {k: v for k, v in self.to_json().items() if v not in (None, "")}
        return urlencode(pairs)


def default_filters(today: dt.date | None = None) -> Filters:
    today = today or timezone.localdate()
    return Filters(start=today - dt.timedelta(days=29), end=today)


class ReportFilterForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    location = forms.ModelChoiceField(
        queryset=Location.objects.order_by("name"), required=False, empty_label="All locations"
    )
    therapist = forms.ModelChoiceField(
        queryset=User.objects.filter(groups__name="Therapist").order_by("last_name", "username"),
        required=False,
        empty_label="All therapists",
    )

    def __init__(self, data=None, *, audit: bool = False, **kwargs):
        super().__init__(data, **kwargs)
        if audit:
            self.fields["patient"] = forms.UUIDField(
                label="Patient ID",
                required=False,
                help_text="The patient's ID, from the address of their page.",
            )
            self.fields["user"] = forms.ModelChoiceField(
                queryset=User.objects.order_by("username"),
                required=False,
                empty_label="Any user",
                label="User",
            )
            del self.fields["therapist"]
            del self.fields["location"]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end date must be on or after the start date.")
            elif (end - start).days > MAX_SPAN_DAYS:
                self.add_error("end", "Choose a range of at most ten years.")
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        location = data.get("location")
        therapist = data.get("therapist")
        user = data.get("user")
        return Filters(
            start=data["start"],
            end=data["end"],
            location_id=location.pk if location else None,
            therapist_id=therapist.pk if therapist else None,
            patient_id=data.get("patient"),
            user_id=user.pk if user else None,
        )


def bind(params, *, audit: bool = False) -> tuple[ReportFilterForm, Filters | None]:
    """A bound form from query parameters (defaults to the last 30 days) and its Filters."""
    defaults = default_filters()
    data = {
        "start": params.get("start") or defaults.start.isoformat(),
        "end": params.get("end") or defaults.end.isoformat(),
    }
    for key in ("location", "therapist", "patient", "user"):
        if params.get(key):
            data[key] = params.get(key)
    form = ReportFilterForm(data, audit=audit)
    if form.is_valid():
        return form, form.filters()
    return form, None
