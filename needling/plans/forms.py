"""Forms of the plan editor: the plan header, sites (one side or both), suggestions and
overrides."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from clinic.common.widgets import DateInput, FastSelect
from clinic.staff.models import Location
from needling.knowledge.models import Muscle
from needling.knowledge.rules import RELATIVE_RULE_CODES
from needling.plans.models import (
    ESTIM_HZ_MAX,
    ESTIM_HZ_MIN,
    ESTIM_MINUTES_MAX,
    ESTIM_MINUTES_MIN,
    NEEDLE_GAUGES,
    NEEDLE_LENGTHS,
    OVERRIDE_REASON_MIN,
    Complementary,
    SiteSide,
    Technique,
    TreatmentPlan,
)
from needling.plans.selectors import dn_practitioners
from patients.models import Condition

# --- Treatment plans --------------------------------------------------------------------------


class PlanForm(forms.ModelForm):
    """The header of a plan: condition, practitioner, where and when, how often."""

    complementary = forms.MultipleChoiceField(
        choices=Complementary.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Complementary treatments",
    )

    class Meta:
        model = TreatmentPlan
        fields = [
            "condition",
            "practitioner",
            "location",
            "planned_date",
            "sessions_planned",
            "frequency",
            "complementary",
            "goals",
        ]
        widgets = {
            "condition": FastSelect,
            "practitioner": FastSelect,
            "location": FastSelect,
            "frequency": FastSelect,
            "planned_date": DateInput(),
            "goals": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"practitioner": "Treating practitioner", "location": "Location (optional)"}

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["condition"].queryset = Condition.objects.filter(
            patient=patient, resolved_on__isnull=True
        ).order_by("-recorded_at")
        self.fields["condition"].empty_label = None
        self.fields["practitioner"].queryset = dn_practitioners()
        self.fields["practitioner"].empty_label = None
        self.fields["practitioner"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["location"].queryset = Location.objects.order_by("name")
        self.fields["location"].required = False

    def clean_planned_date(self):
        planned = self.cleaned_data.get("planned_date")
        if planned is not None and planned < timezone.localdate():
            raise forms.ValidationError("The first session cannot be in the past.")
        return planned


def muscle_label(muscle: Muscle) -> str:
    flags = f" [{muscle.flags}]" if muscle.flags else ""
    return f"{muscle.name}{flags}"


# Every catalogue muscle is paired, so the editor offers a side or both, never "midline"
# (the contract still accepts midline, which counts as both sides for bilateral_thorax).
BOTH_SIDES = "both"
EDITOR_SIDES = [
    (SiteSide.LEFT, "Left"),
    (SiteSide.RIGHT, "Right"),
    (BOTH_SIDES, "Both sides (two sites)"),
]


class SiteForm(forms.Form):
    """One planned site, or a pair with side "both". Frequency and time are needed only for
    electrical stimulation."""

    muscle = forms.ModelChoiceField(
        queryset=Muscle.objects.none(),
        to_field_name="code",
        empty_label="Choose a muscle",
        widget=FastSelect,
    )
    side = forms.ChoiceField(
        choices=EDITOR_SIDES,
        widget=FastSelect,
        help_text="Both sides adds two sites, one on the left and one on the right.",
    )
    technique = forms.ChoiceField(
        choices=Technique.choices, initial=Technique.STATIC, widget=FastSelect
    )
    needle_gauge = forms.ChoiceField(
        label="Needle diameter", choices=NEEDLE_GAUGES, initial="0.25", widget=FastSelect
    )
    needle_length_mm = forms.TypedChoiceField(
        label="Needle length", choices=NEEDLE_LENGTHS, coerce=int, initial=30, widget=FastSelect
    )
    estim_hz = forms.IntegerField(
        label="Stimulation frequency (Hz)",
        required=False,
        min_value=ESTIM_HZ_MIN,
        max_value=ESTIM_HZ_MAX,
        help_text=f"{ESTIM_HZ_MIN}-{ESTIM_HZ_MAX} Hz, electrical stimulation only.",
    )
    estim_minutes = forms.IntegerField(
        label="Stimulation time (minutes)",
        required=False,
        min_value=ESTIM_MINUTES_MIN,
        max_value=ESTIM_MINUTES_MAX,
        help_text=f"{ESTIM_MINUTES_MIN}-{ESTIM_MINUTES_MAX} minutes, electrical stimulation only.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["muscle"].queryset = Muscle.objects.filter(is_active=True).order_by("name")
        self.fields["muscle"].label_from_instance = muscle_label

    def sides(self) -> tuple[str, ...]:
        """The sides to add: one, or left and right for "both"."""
        side = self.cleaned_data["side"]
        return (SiteSide.LEFT, SiteSide.RIGHT) if side == BOTH_SIDES else (side,)

    def clean(self):
        data = super().clean()
        if data.get("technique") == Technique.ESTIM:
            if data.get("estim_hz") is None and "estim_hz" not in self.errors:
                self.add_error("estim_hz", "Give the frequency for electrical stimulation.")
            if data.get("estim_minutes") is None and "estim_minutes" not in self.errors:
                self.add_error("estim_minutes", "Give the time for electrical stimulation.")
        else:
            data["estim_hz"] = data["estim_minutes"] = None
        return data


class SuggestedSiteForm(forms.Form):
    """One click on a suggestion: the muscle and side; the needle follows the region."""

    muscle = forms.ModelChoiceField(queryset=Muscle.objects.none(), to_field_name="code")
    side = forms.ChoiceField(choices=[(SiteSide.LEFT, "Left"), (SiteSide.RIGHT, "Right")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["muscle"].queryset = Muscle.objects.filter(is_active=True)


class OverrideForm(forms.Form):
    rule = forms.ChoiceField(choices=[(code, code) for code in sorted(RELATIVE_RULE_CODES)])
    reason = forms.CharField(
        label="Clinical reason",
        min_length=OVERRIDE_REASON_MIN,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=f"At least {OVERRIDE_REASON_MIN} characters. It cannot be changed afterwards.",
        error_messages={
            "min_length": f"Write the clinical reason in at least {OVERRIDE_REASON_MIN} characters."
        },
    )
