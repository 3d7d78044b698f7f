"""Forms for staff records, credentials, locations and rooms."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import connection

from clinic.common.widgets import DateInput
from clinic.staff.models import DNCertification, Licence, Location, Room, User
from clinic.staff.roles import Role

ROLE_CHOICES = [(role.name, role.label) for role in Role]


class ModelsField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows whose ids, if whole numbers, fit the primary key's column: a
    larger one is an invalid value like any other, where the database's `IN (...)` query would
    raise (SQLite: OverflowError, PostgreSQL: out of range). Found by the form fuzz."""

    def clean(self, value):
        key = self.queryset.model._meta.pk
        low, high = connection.ops.integer_field_range(key.get_internal_type())
        for pk in value if isinstance(value, (list, tuple)) else ():
            try:
                number = int(str(pk).strip())
            except ValueError:
                continue  # not a number: the usual check below says so
            if (low is not None and number < low) or (high is not None and number > high):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super().clean(value)


class StaffForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField()
    phone = forms.CharField(max_length=40, required=False)
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    locations = ModelsField(
        queryset=Location.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        help_text="Where this person works. At least one.",
    )

    def clean_role(self) -> Role:
        return Role[self.cleaned_data["role"]]


class StaffCreateForm(StaffForm):
    username = forms.CharField(
        max_length=150, help_text="Letters, digits and @/./+/-/_ only. Used to log in."
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        label="Initial password",
        help_text=password_validation.password_validators_help_text_html(),
    )

    field_order = ["username", "first_name", "last_name", "email", "phone", "role", "locations"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken.")
        return username

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            probe = User(
                username=cleaned.get("username", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
                email=cleaned.get("email", ""),
            )
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class StaffEditForm(StaffForm):
    is_active = forms.BooleanField(
        required=False, label="Active", help_text="Untick to stop this person logging in."
    )


class LicenceForm(forms.ModelForm):
    class Meta:
        model = Licence
        fields = ["state", "number", "expires_on"]
        widgets = {"expires_on": DateInput()}
        labels = {"number": "Licence number", "expires_on": "Expires on"}


class CertificationForm(forms.ModelForm):
    class Meta:
        model = DNCertification
        fields = ["course", "hours", "certified_on", "valid_until"]
        widgets = {"certified_on": DateInput(), "valid_until": DateInput()}
        labels = {"hours": "Training hours", "valid_until": "Valid until (inclusive)"}


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = ["name", "address", "phone", "time_zone", "is_active"]
        labels = {"is_active": "Open (accepting bookings)"}


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name"]
        labels = {"name": "New room name"}
