"""Forms for the clinic's screening policy."""

from __future__ import annotations

from django import forms

from needling.knowledge.models import Contraindication, ScreeningSettings
from needling.knowledge.rules import RELATIVE


class ScreeningSettingsForm(forms.ModelForm):
    class Meta:
        model = ScreeningSettings
        fields = ["post_surgical_window_days", "bilateral_counts_twice"]
        labels = {
            "post_surgical_window_days": "Post-surgical window (days)",
            "bilateral_counts_twice": "Count a muscle needled on both sides twice (CPT)",
        }


class StricterRuleForm(forms.Form):
    rule = forms.ModelChoiceField(
        queryset=Contraindication.objects.filter(severity=RELATIVE),
        label="Relative rule to treat as absolute",
        to_field_name="code",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=20,
        help_text="Why the clinic adopts the stricter line (at least 20 characters).",
    )
