"""Withdrawing a consent: a confirmation page with the date and the reason, then the service."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clinic.common.access import requires
from clinic.common.forms import form_submit, saved
from clinic.common.widgets import DateInput
from patients.consent_services import consent_withdraw
from patients.models import Consent, Patient


class ConsentWithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(label="Date the patient withdrew consent", widget=DateInput())
    reason = forms.CharField(
        label="Reason",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="In the patient's words if you can. It goes on the record and the audit log.",
        error_messages={"required": "Say why the consent is withdrawn."},
    )


@requires("patients.add_consent")
@require_http_methods(["GET", "POST"])
def consent_withdraw_view(request: HttpRequest, pk, consent_pk) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    consent = get_object_or_404(
        Consent.objects.select_related("text", "withdrawn_by"), pk=consent_pk, patient=patient
    )
    form = ConsentWithdrawForm(request.POST or None, initial={"withdrawn_on": timezone.localdate()})

    def page() -> HttpResponse:
        return render(
            request,
            "patients/consent_withdraw.html",
            {"patient": patient, "consent": consent, "form": form},
        )

    if consent.withdrawn_on is not None:  # the page says so; a second POST changes nothing
        return page()
    return form_submit(
        request,
        form,
        lambda data: consent_withdraw(
            consent=consent,
            user=request.user,
            withdrawn_on=data["withdrawn_on"],
            reason=data["reason"],
        ),
        on_success=lambda _: saved(
            request,
            patient,
            message=f"The consent signed {consent.signed_on:%Y-%m-%d} is withdrawn: no DN "
            "treatment until the patient signs a new one.",
        ),
        on_invalid=page,
    )
