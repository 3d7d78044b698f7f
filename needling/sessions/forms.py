"""Forms of the session note pages. The services validate again; these name the fields."""

from __future__ import annotations

from django import forms

from needling.plans.models import (
    ESTIM_HZ_MAX,
    ESTIM_HZ_MIN,
    ESTIM_MINUTES_MAX,
    ESTIM_MINUTES_MIN,
    NEEDLE_GAUGES,
    NEEDLE_LENGTHS,
    Complementary,
    Technique,
)
from needling.sessions.models import AdverseKind, Severity, Tolerance

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class SessionStartForm(forms.Form):
    plan = forms.ChoiceField(label="Approved plan")
    same_day = forms.ChoiceField(
        label="Same-day screening check",
        widget=forms.RadioSelect,
        choices=[
            ("unchanged", "The patient confirms the screening answers are unchanged"),
            ("today", "Use the questionnaire the patient completed today"),
        ],
    )

    def __init__(self, *args, plans=(), has_today=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [
            (str(p.pk), f"Plan of {p.planned_date:%Y-%m-%d} (v{p.version}), CPT {p.cpt_code}")
            for p in plans
        ]
        if not has_today:
            self.fields["same_day"].choices = self.fields["same_day"].choices[:1]


class SessionForm(forms.Form):
    started_at = forms.TimeField(label="Start time", required=False, widget=TIME_INPUT)
    ended_at = forms.TimeField(label="End time", required=False, widget=TIME_INPUT)
    nprs_before = forms.IntegerField(
        label="NPRS before (0-10)", min_value=0, max_value=10, required=False
    )
    nprs_after = forms.IntegerField(
        label="NPRS after (0-10)", min_value=0, max_value=10, required=False
    )
    patient_response = forms.CharField(
        label="Patient response",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    tolerance = forms.ChoiceField(
        choices=[("", "Not recorded"), *Tolerance.choices], required=False
    )
    complementary = forms.MultipleChoiceField(
        label="Complementary treatments",
        choices=Complementary.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    needles_opened = forms.IntegerField(label="Needles opened", min_value=0, max_value=500)
    needles_disposed = forms.IntegerField(label="Needles disposed", min_value=0, max_value=500)
    needle_incident_note = forms.CharField(
        label="Needle incident note",
        required=False,
        max_length=4000,
        help_text="Required when the opened and disposed counts differ.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("started_at"), data.get("ended_at")
        if start and end and end < start:
            self.add_error("ended_at", "The end time is before the start time.")
        return data


class SiteForm(forms.Form):
    needled = forms.BooleanField(label="Needled", required=False, initial=True)
    needle_gauge = forms.ChoiceField(label="Needle diameter", choices=NEEDLE_GAUGES)
    needle_length_mm = forms.TypedChoiceField(
        label="Needle length", choices=NEEDLE_LENGTHS, coerce=int
    )
    needles = forms.IntegerField(label="Needles", min_value=0, max_value=100)
    insertions = forms.IntegerField(label="Insertions", min_value=0, max_value=500)
    technique = forms.ChoiceField(choices=Technique.choices)
    frequency_hz = forms.IntegerField(
        label="Frequency (Hz)", min_value=ESTIM_HZ_MIN, max_value=ESTIM_HZ_MAX, required=False
    )
    minutes = forms.IntegerField(
        label="Minutes", min_value=ESTIM_MINUTES_MIN, max_value=ESTIM_MINUTES_MAX, required=False
    )
    twitch_response = forms.BooleanField(label="Local twitch response", required=False)
    depth_mm = forms.IntegerField(label="Depth (mm)", min_value=0, max_value=120, required=False)

    def clean(self):
        data = super().clean()
        if data.get("technique") == Technique.ESTIM:
            if data.get("frequency_hz") is None:
                self.add_error("frequency_hz", "Give the frequency for electrical stimulation.")
            if data.get("minutes") is None:
                self.add_error("minutes", "Give the minutes for electrical stimulation.")
        else:
            data["frequency_hz"] = data["minutes"] = None
        return data


class AdverseEventForm(forms.Form):
    kind = forms.ChoiceField(label="Adverse event", choices=AdverseKind.choices)
    severity = forms.ChoiceField(choices=Severity.choices)
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum", max_length=8000, widget=forms.Textarea(attrs={"rows": 3})
    )
