"""Patient pages: list and search, registration, the record, screening, consent, clinical
entries. Every view declares its permission; objects are looked up by UUID and 404 otherwise."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.common.access import requires
from clinic.common.forms import form_submit, saved
from patients import icd10, selectors, services
from patients.alerts import anticoagulant_text, screening_alerts
from patients.bodychart import body_chart
from patients.forms import (
    FINDING_LISTS,
    FOLLOW_UPS,
    SECTIONS,
    ConditionForm,
    ConditionResolveForm,
    ConsentForm,
    ConsentTextForm,
    OutcomeForm,
    PainMapForm,
    PatientForm,
    PatientRegisterForm,
    PatientSearchForm,
    QuestionnaireForm,
    apply_finding_errors,
    finding_formsets,
    findings_check,
    pain_field_name,
)
from patients.models import (
    Condition,
    Consent,
    ConsentText,
    Patient,
    PatientAccessLog,
)
from patients.readiness import dn_readiness, readiness_from
from patients.vocabulary import PainArea, pain_area_sides

PAGE_SIZE = 25
CLINICAL = "patients.view_clinical_record"


def _patient(pk) -> Patient:
    return get_object_or_404(Patient.objects.select_related("preferred_location"), pk=pk)


def _refuse_if_archived(request: HttpRequest, patient: Patient) -> HttpResponse | None:
    if patient.is_archived:
        messages.error(request, f"{patient} is archived. Restore the record before adding to it.")
        return redirect(patient)
    return None


# --- List, registration, record ------------------------------------------------------------


@requires("patients.view_patient")
@require_GET
def patient_list(request: HttpRequest) -> HttpResponse:
    form = PatientSearchForm(request.GET or None)
    query, archived = "", False
    if form.is_valid():
        query, archived = form.cleaned_data["q"], form.cleaned_data["archived"]
    today = timezone.localdate()
    patients = selectors.patient_list(query=query, archived=archived, today=today)
    paginator = Paginator(patients, PAGE_SIZE)
    if query:  # the count is cached: the page then reads the same rows, ordered for speed
        paginator.object_list = selectors.order_few_matches(patients, paginator.count)
    page = paginator.get_page(request.GET.get("page"))
    rows = [
        (
            patient,
            readiness_from(
                screened_on=patient.latest_screened_on,
                consent_signed_on=patient.latest_consent_signed_on,
                on=today,
            ),
        )
        for patient in page.object_list
    ]
    query_string = urlencode(
        {k: v for k, v in (("q", query), ("archived", "on" if archived else "")) if v}
    )
    return render(
        request,
        "patients/patient_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query,
            "archived": archived,
            "query_string": query_string,
        },
    )


@requires("patients.add_patient")
@require_http_methods(["GET", "POST"])
def patient_register(request: HttpRequest) -> HttpResponse:
    form = PatientRegisterForm(request.POST or None)
    return form_submit(
        request,
        form,
        lambda data: services.patient_register(
            created_by=request.user, **{k: v for k, v in data.items() if k != "save_anyway"}
        ),
        on_success=lambda patient: saved(request, patient, message=f"{patient} is registered."),
        on_invalid=lambda: render(request, "patients/patient_register.html", {"form": form}),
    )


def patient_findings_for(patient: Patient, *, on) -> list:
    provider = getattr(settings, "PATIENT_FINDINGS_PROVIDER", None)
    return import_string(provider)(patient, on=on) if provider else []


@requires("patients.view_patient")
@require_GET
@never_cache
def patient_detail(request: HttpRequest, pk) -> HttpResponse:
    clinical = request.user.has_perm(CLINICAL)
    patient = selectors.patient_page_record(pk, clinical=clinical)
    services.access_record(patient=patient, user=request.user)
    today = timezone.localdate()
    questionnaires = list(patient.questionnaires.all())
    current = selectors.latest_questionnaire(patient, on=today)
    consents = list(patient.consents.all())
    context = {
        "patient": patient,
        "clinical": clinical,
        "today": today,
        "age": patient.age_on(today),
        "readiness": dn_readiness(patient, on=today),
        "current_screening": current,
        "questionnaires": questionnaires,
        "consents": consents,
    }
    if clinical:
        # The screening engine's patient-level findings for today (through a settings hook:
        # patients never imports needling), then the raw answers behind them.
        context["findings"] = patient_findings_for(patient, on=today)
        context["alerts"] = screening_alerts(current, patient=patient, on=today)
        pain_maps = list(patient.pain_maps.all())
        context["pain_maps"] = pain_maps
        current_map = pain_maps[0] if pain_maps else None
        context["current_pain_map"] = current_map
        if current_map is not None:
            scores = {(a.area, a.side): a.nprs for a in current_map.areas.all()}
            context["pain_chart"] = body_chart(scores=scores)
        context["conditions"] = list(patient.conditions.all())
        context["outcomes"] = list(patient.outcomes.all())
    return render(request, "patients/patient_detail.html", context)


@requires("patients.change_patient")
@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, pk) -> HttpResponse:
    patient = _patient(pk)
    clinical = request.user.has_perm(CLINICAL)
    form = PatientForm(request.POST or None, instance=patient, clinical=clinical)
    return form_submit(
        request,
        form,
        lambda data: services.patient_update(
            patient=Patient.objects.get(pk=patient.pk), **{name: data[name] for name in form.fields}
        ),
        on_success=lambda _: saved(request, patient, message=f"Saved {patient}."),
        on_invalid=lambda: render(
            request, "patients/patient_form.html", {"form": form, "patient": patient}
        ),
    )


@requires("patients.change_patient")
@require_http_methods(["GET", "POST"])
def patient_archive(request: HttpRequest, pk) -> HttpResponse:
    patient = _patient(pk)
    if request.method == "POST":
        if services.patient_archive(patient=patient):
            messages.success(request, f"{patient} is archived. The record is kept.")
        else:
            messages.info(request, f"{patient} was already archived.")
        return redirect(patient)
    return render(request, "patients/patient_archive.html", {"patient": patient})


@requires("patients.change_patient")
@require_POST
def patient_restore(request: HttpRequest, pk) -> HttpResponse:
    patient = _patient(pk)
    if services.patient_restore(patient=patient):
        messages.success(request, f"{patient} is restored.")
    else:
        messages.info(request, f"{patient} was not archived.")
    return redirect(patient)


@requires("patients.view_patientaccesslog")
@require_GET
def patient_access_log(request: HttpRequest, pk) -> HttpResponse:
    patient = _patient(pk)
    page = Paginator(selectors.access_log_for(patient), 50).get_page(request.GET.get("page"))
    return render(request, "patients/access_log.html", {"patient": patient, "page": page})


# --- Screening ------------------------------------------------------------------------------


@requires("patients.add_screeningquestionnaire")
@require_http_methods(["GET", "POST"])
def screening_new(request: HttpRequest, pk) -> HttpResponse:
    patient = _patient(pk)
    refused = _refuse_if_archived(request, patient)
    if refused:
        return refused
    today = timezone.localdate()
    previous = selectors.latest_questionnaire(patient, on=today)
    if request.method != "POST":
        initial = {"taken_on": today}
        if previous is not None:
            initial.update(QuestionnaireForm.initial_from(previous))
        form = QuestionnaireForm(initial=initial, patient=patient)
        formsets = finding_formsets(None, initial_from=previous)
        return _screening_page(request, patient, form, formsets, previous, status=200)
    form = QuestionnaireForm(request.POST, patient=patient)
    formsets = finding_formsets(request.POST)
    findings, valid = findings_check(form, formsets)
    if valid:
        try:
            questionnaire = services.questionnaire_record(
                patient=patient,
                taken_by=request.user,
                taken_on=form.cleaned_data["taken_on"],
                answers=form.answers(),
                findings=findings,
            )
        except ValidationError as error:
            apply_finding_errors(formsets, error, form)
        else:
            messages.success(request, f"Screening of {questionnaire.taken_on:%Y-%m-%d} saved.")
            # Back to where the form was opened from (e.g. a DN session's same-day check).
            return redirect(_safe_next(request) or patient)
    return _screening_page(request, patient, form, formsets, previous, status=400)


def _safe_next(request: HttpRequest) -> str:
    back = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return ""


def _screening_page(request, patient, form, formsets, previous, *, status: int) -> HttpResponse:
    sections = [
        (title, [(form[name], [form[c] for c in FOLLOW_UPS.get(name, ())]) for name in names])
        for title, names in SECTIONS
    ]
    lists = [(f.key, form[f.parent], f.row_name, formsets[f.key]) for f in FINDING_LISTS]
    return render(
        request,
        "patients/screening_form.html",
        {
            "patient": patient,
            "form": form,
            "sections": sections,
            "lists": lists,
            "previous": previous,
        },
        status=status,
    )


@requires("patients.view_screeningquestionnaire")
@require_GET
def screening_detail(request: HttpRequest, pk, screening_pk) -> HttpResponse:
    patient = _patient(pk)
    questionnaire = get_object_or_404(
        selectors.questionnaires_with_findings(), pk=screening_pk, patient=patient
    )
    services.access_record(
        patient=patient, user=request.user, action=PatientAccessLog.Action.SCREENING
    )
    latest = selectors.latest_questionnaire(patient, on=timezone.localdate())
    q = questionnaire
    form = QuestionnaireForm(patient=patient)
    answers = [
        (form.fields[name].label, "Yes" if getattr(q, name) else "No")
        for _, names in SECTIONS
        for name in names
        if hasattr(q, name) and name not in FOLLOW_UPS
    ]
    lists = [(f.title, list(getattr(q, f.key).all())) for f in FINDING_LISTS]
    return render(
        request,
        "patients/screening_detail.html",
        {
            "patient": patient,
            "q": q,
            "is_current": latest == q,
            "answers": answers,
            "lists": lists,
            "anticoagulant": anticoagulant_text(q) if q.anticoagulant_drug else "",
        },
    )


# --- Consent --------------------------------------------------------------------------------


@requires("patients.add_consent")
@require_http_methods(["GET", "POST"])
def consent_new(request: HttpRequest, pk) -> HttpResponse:
    patient = _patient(pk)
    refused = _refuse_if_archived(request, patient)
    if refused:
        return refused
    text = services.consent_text_current()
    if text is None:
        messages.error(request, "No consent text is published yet: ask a manager to publish one.")
        return redirect(patient)
    today = timezone.localdate()
    minor = patient.age_on(today) < 18
    initial = {
        "text_version": text.version,
        "signed_on": today,
        "signer": "guardian" if minor else "patient",
    }
    form = ConsentForm(request.POST or None, initial=initial)

    def record(data: dict) -> Consent:
        if data["text_version"] != text.version:
            raise ValidationError(
                f"A new version ({text.version}) of the consent text was published while this "
                "page was open. Let the signer read the text below, then record the consent."
            )
        return services.consent_record(
            patient=patient,
            text=text,
            signed_on=data["signed_on"],
            signer=data["signer"],
            signed_name=data["signed_name"],
            guardian_relationship=data["guardian_relationship"],
            interpreter_name=data["interpreter_name"],
            witness=request.user,
        )

    def page() -> HttpResponse:
        if form.is_bound:  # the signer reads the text in force now
            form.data = form.data.copy()
            form.data["text_version"] = text.version
        return render(
            request,
            "patients/consent_form.html",
            {"patient": patient, "form": form, "text": text, "minor": minor},
            status=400 if form.is_bound else 200,
        )

    return form_submit(
        request,
        form,
        record,
        on_success=lambda consent: saved(
            request,
            patient,
            message=f"Consent recorded, valid until {consent.valid_until:%Y-%m-%d}. "
            "Offer the patient a copy.",
        ),
        on_invalid=page,
    )


def consent_pdf_bytes(consent: Consent, *, base_url: str) -> bytes:
    from django.conf import settings
    from weasyprint import HTML

    html = render_to_string(
        "pdf/consent.html",
        {"consent": consent, "patient": consent.patient, "clinic_name": settings.CLINIC_NAME},
    )
    return HTML(string=html, base_url=base_url).write_pdf()


@requires("patients.view_consent")
@require_GET
def consent_pdf(request: HttpRequest, pk, consent_pk) -> HttpResponse:
    patient = _patient(pk)
    consent = get_object_or_404(
        Consent.objects.select_related("text", "witness", "patient"), pk=consent_pk, patient=patient
    )
    pdf = consent_pdf_bytes(consent, base_url=request.build_absolute_uri("/"))
    services.access_record(
        patient=patient, user=request.user, action=PatientAccessLog.Action.CONSENT_PDF
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"dn-consent-{patient.last_name}-{consent.signed_on:%Y-%m-%d}.pdf"
    safe = "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in filename)
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    response["Cache-Control"] = "no-store, private"
    return response


@requires("patients.view_consenttext")
@require_GET
def consent_text_list(request: HttpRequest) -> HttpResponse:
    texts = ConsentText.objects.select_related("published_by").order_by("-version")
    page = Paginator(texts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "patients/consent_text_list.html", {"page": page})


@requires("patients.view_consenttext")
@require_GET
def consent_text_detail(request: HttpRequest, version: int) -> HttpResponse:
    text = get_object_or_404(ConsentText.objects.select_related("published_by"), version=version)
    latest = services.consent_text_current()
    return render(
        request,
        "patients/consent_text_detail.html",
        {"text": text, "is_current": latest is not None and latest.pk == text.pk},
    )


@requires("patients.add_consenttext")
@require_http_methods(["GET", "POST"])
def consent_text_new(request: HttpRequest) -> HttpResponse:
    current = services.consent_text_current()
    initial = {"title": current.title, "body": current.body} if current else {}
    form = ConsentTextForm(request.POST or None, initial=initial)
    return form_submit(
        request,
        form,
        lambda data: services.consent_text_publish(
            title=data["title"], body=data["body"], published_by=request.user
        ),
        on_success=lambda text: saved(
            request, text, message=f"Version {text.version} is published; consents use it now."
        ),
        on_invalid=lambda: render(
            request, "patients/consent_text_form.html", {"form": form, "current": current}
        ),
    )


# --- Conditions, pain map, outcomes --------------------------------------------------------------


@requires("patients.add_condition")
@require_http_methods(["GET", "POST"])
def condition_new(request: HttpRequest, pk) -> HttpResponse:
    patient = _patient(pk)
    refused = _refuse_if_archived(request, patient)
    if refused:
        return refused
    form = ConditionForm(request.POST or None)
    return form_submit(
        request,
        form,
        lambda data: services.condition_add(patient=patient, recorded_by=request.user, **data),
        on_success=lambda condition: saved(request, patient, message=f"Added {condition}."),
        on_invalid=lambda: render(
            request,
            "patients/condition_form.html",
            {"patient": patient, "form": form, "common_codes": icd10.common_codes()},
        ),
    )


@requires("patients.add_condition")
@require_GET
def icd10_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    return render(
        request,
        "patients/_icd10_results.html",
        {"results": icd10.search(query), "query": query},
    )


@requires("patients.change_condition")
@require_http_methods(["GET", "POST"])
def condition_resolve(request: HttpRequest, pk, condition_pk: int) -> HttpResponse:
    patient = _patient(pk)
    condition = get_object_or_404(Condition, pk=condition_pk, patient=patient)
    form = ConditionResolveForm(request.POST or None, initial={"resolved_on": timezone.localdate()})

    def resolved(done: bool) -> HttpResponse:
        if done:
            messages.success(request, f"{condition} marked resolved.")
        else:
            messages.info(request, f"{condition} was already resolved.")
        return redirect(patient)

    return form_submit(
        request,
        form,
        lambda data: services.condition_resolve(
            condition=condition, resolved_on=data["resolved_on"]
        ),
        on_success=resolved,
        on_invalid=lambda: render(
            request,
            "patients/condition_resolve.html",
            {"patient": patient, "condition": condition, "form": form},
        ),
    )


@requires("patients.add_painmap")
@require_http_methods(["GET", "POST"])
def pain_map_new(request: HttpRequest, pk) -> HttpResponse:
    patient = _patient(pk)
    refused = _refuse_if_archived(request, patient)
    if refused:
        return refused
    form = PainMapForm(request.POST or None, initial={"recorded_on": timezone.localdate()})
    return form_submit(
        request,
        form,
        lambda data: services.pain_map_record(
            patient=patient,
            recorded_on=data["recorded_on"],
            recorded_by=request.user,
            areas=form.areas(),
        ),
        on_success=lambda _: saved(request, patient, message="Pain map saved."),
        on_invalid=lambda: _pain_map_page(request, patient, form),
    )


def _pain_map_page(request: HttpRequest, patient: Patient, form: PainMapForm) -> HttpResponse:
    groups = []
    for area, label in PainArea.choices:
        groups.append(
            (label, [form[pain_field_name(area, side)] for side in pain_area_sides(area)])
        )
    scores = {}
    for area, _ in PainArea.choices:
        for side in pain_area_sides(area):
            value = str(form[pain_field_name(area, side)].value() or "")
            # isdecimal, not isdigit: "¹" is a digit that int() refuses.
            if value.isascii() and value.isdecimal():
                scores[(area, side)] = int(value)
    return render(
        request,
        "patients/pain_map_form.html",
        {
            "patient": patient,
            "form": form,
            "groups": groups,
            "chart": body_chart(scores=scores, interactive=True),
        },
        status=400 if form.is_bound else 200,
    )


@requires("patients.add_outcomemeasure")
@require_http_methods(["GET", "POST"])
def outcome_new(request: HttpRequest, pk) -> HttpResponse:
    patient = _patient(pk)
    refused = _refuse_if_archived(request, patient)
    if refused:
        return refused
    form = OutcomeForm(
        request.POST or None,
        patient=patient,
        initial={"taken_on": timezone.localdate(), "is_baseline": True},
    )
    return form_submit(
        request,
        form,
        lambda data: services.outcome_record(
            patient=patient,
            recorded_by=request.user,
            measure=data["measure"],
            score=data["score"],
            taken_on=data["taken_on"],
            is_baseline=data["is_baseline"],
            condition=data["condition"],
            detail=data["detail"],
        ),
        on_success=lambda outcome: saved(request, patient, message=f"Recorded {outcome}."),
        on_invalid=lambda: render(
            request, "patients/outcome_form.html", {"patient": patient, "form": form}
        ),
    )
