"""The form that issues an API token."""

from __future__ import annotations

from django import forms


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="Which system or script will use it.")
