"""Staff pages of the intake: send a link, revoke it, the pending intakes and their review."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.common.access import requires
from clinic.common.forms import apply_errors, form_submit, saved
from patients.intake import selectors, services
from patients.intake.forms import ReturnForm, SendLinkForm
from patients.intake.models import Intake, PatientLink
from patients.intake.questionnaire import answers_check
from patients.intake.review import comparison
from patients.models import Patient


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@requires("intake.add_patientlink")
@require_http_methods(["GET", "POST"])
def link_send(request: HttpRequest, pk) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    form = SendLinkForm(request.POST or None, patient=patient)
    return form_submit(
        request,
        form,
        lambda data: services.intake_link_send(
            patient=patient,
            channel=data["channel"],
            sent_by=request.user,
            base_url=_base_url(request),
        ),
        on_success=lambda link: saved(
            request,
            "intake:send",
            patient.pk,
            message=f"Intake link sent by {link.get_channel_display().lower()} to "
            f"{link.sent_to}; it is valid until "
            f"{timezone.localtime(link.expires_at):%Y-%m-%d %H:%M}.",
        ),
        on_invalid=lambda: render(
            request,
            "patients/intake/send.html",
            {
                "patient": patient,
                "form": form,
                "links": selectors.links_of(patient),
                "now": timezone.now(),
            },
            status=400 if request.method == "POST" else 200,
        ),
    )


@requires("intake.change_patientlink")
@require_POST
def link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(PatientLink.objects.select_related("patient"), pk=pk)
    if services.link_revoke(link=link, by=request.user):
        messages.success(request, "The link is revoked: it no longer opens.")
    else:
        messages.info(request, "That link was already used, revoked, locked or expired.")
    return redirect("intake:send", pk=link.patient_id)


@requires("intake.view_intake")
@require_GET
def intake_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.intakes_pending(), 50).get_page(request.GET.get("page"))
    return render(request, "patients/intake/list.html", {"page": page})


@requires("intake.view_intake")
@require_GET
def intake_review(request: HttpRequest, pk) -> HttpResponse:
    return _review_page(request, get_object_or_404(selectors.intake_for_review(pk)))


def _review_page(request, intake: Intake, return_form=None, status=200) -> HttpResponse:
    patient = intake.patient
    checked = answers_check(intake.answers, patient=patient, taken_on=intake.taken_on)
    previous = selectors.screening_before(intake)
    return render(
        request,
        "patients/intake/review.html",
        {
            "intake": intake,
            "patient": patient,
            "checked": checked,
            "sections": comparison(checked, previous) if checked.ok else None,
            "previous": previous,
            "return_form": return_form or ReturnForm(),
            "can_review": request.user.has_perm("intake.review_intake")
            and intake.status == Intake.Status.PENDING,
        },
        status=status,
    )


@requires("intake.review_intake")
@require_POST
def intake_accept(request: HttpRequest, pk) -> HttpResponse:
    intake = get_object_or_404(selectors.intake_for_review(pk))
    try:
        services.intake_accept(intake=intake, reviewer=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("intake:review", pk=intake.pk)
    messages.success(
        request,
        f"Intake accepted: the screening and consent of {intake.taken_on:%Y-%m-%d} are on "
        f"{intake.patient}'s record.",
    )
    return redirect(intake.patient)


@requires("intake.review_intake")
@require_POST
def intake_return(request: HttpRequest, pk) -> HttpResponse:
    intake = get_object_or_404(selectors.intake_for_review(pk))
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.intake_return(
                intake=intake,
                reviewer=request.user,
                note=form.cleaned_data["note"],
                base_url=_base_url(request),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "note" in error.error_dict:
                apply_errors(form, error)
            else:
                messages.error(request, " ".join(error.messages))
                return redirect("intake:review", pk=intake.pk)
        else:
            messages.success(
                request, "Intake returned: the patient was sent a new link with your note."
            )
            return redirect("intake:list")
    return _review_page(request, intake, return_form=form, status=400)
