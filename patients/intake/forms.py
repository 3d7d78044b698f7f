"""Forms of the intake: the patient's date-of-birth check and consent, staff sending and
returning. The questionnaire itself is patients.forms.QuestionnaireForm."""

from __future__ import annotations

from django import forms

from clinic.common.widgets import DateInput
from patients.intake.models import PatientLink
from patients.models import ConsentSigner


class DateOfBirthForm(forms.Form):
    date_of_birth = forms.DateField(
        label="Your date of birth",
        widget=DateInput(attrs={"autocomplete": "bday"}),
        error_messages={
            "required": "Enter your date of birth.",
            "invalid": "Enter a date, e.g. 1984-03-21.",
        },
    )


class PatientConsentForm(forms.Form):
    """The patient's (or guardian's) typed-name signature under the current consent text."""

    text_version = forms.IntegerField(widget=forms.HiddenInput)
    signer = forms.ChoiceField(
        label="Who is signing?",
        choices=ConsentSigner.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say who is signing."},
    )
    signed_name = forms.CharField(
        label="Full name of the person signing",
        max_length=200,
        help_text="Typing your name here is your signature.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Type your full name: it is your signature."},
    )
    guardian_relationship = forms.CharField(
        label="Your relationship to the patient",
        max_length=60,
        required=False,
        help_text="E.g. mother, father, legal guardian.",
    )
    confirmed = forms.BooleanField(
        label="I have read the consent above and agree to dry needling.",
        error_messages={"required": "Tick the box to confirm you read and agree to the consent."},
    )

    def __init__(self, *args, minor: bool, **kwargs):
        self.minor = minor
        super().__init__(*args, **kwargs)
        if minor:
            self.fields["signer"].choices = [
                (
                    ConsentSigner.GUARDIAN.value,
                    "A parent or legal guardian (the patient is under 18)",
                )
            ]

    def clean(self):
        cleaned = super().clean()
        signer = cleaned.get("signer")
        if self.minor and signer and signer != ConsentSigner.GUARDIAN:
            self.add_error("signer", "A parent or legal guardian signs for a patient under 18.")
        if signer == ConsentSigner.GUARDIAN:
            if not (cleaned.get("guardian_relationship") or "").strip():
                self.add_error("guardian_relationship", "Say how you are related to the patient.")
        else:
            cleaned["guardian_relationship"] = ""
        if not (cleaned.get("signed_name") or "").strip() and "signed_name" not in self.errors:
            self.add_error("signed_name", "Type your full name: it is your signature.")
        return cleaned


class SendLinkForm(forms.Form):
    channel = forms.ChoiceField(
        label="Send the link by",
        choices=PatientLink.Channel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose email or text message."},
    )

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            PatientLink.Channel.EMAIL: f"Email to {patient.email}"
            if patient.email
            else "Email (no address on record)",
            PatientLink.Channel.SMS: f"Text message to {patient.phone}"
            if patient.phone
            else "Text message (no phone on record)",
        }
        self.fields["channel"].choices = [
            (value, labels[value]) for value, _ in PatientLink.Channel.choices
        ]


class ReturnForm(forms.Form):
    note = forms.CharField(
        label="Note to the patient",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent with a new link; their answers are filled in again.",
        error_messages={"required": "Say what the patient should check or change."},
    )
