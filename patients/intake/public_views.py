"""The patient's pages behind a link: no login (allow-listed in PUBLIC_URL_NAMES); the token,
then the date of birth, are the check.

A link that was never issued, was used, revoked or locked, or has expired gets one and the
same page (404) that says nothing about the patient. After the date of birth matches, the
session holds the link's id; every step checks the link is still usable.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.common.forms import apply_errors
from patients import services as patient_services
from patients.forms import FINDING_LISTS, FOLLOW_UPS, QuestionnaireForm, finding_formsets
from patients.intake import services
from patients.intake.forms import DateOfBirthForm, PatientConsentForm
from patients.intake.models import MAX_DOB_ATTEMPTS, PatientLink
from patients.intake.questionnaire import (
    CONSENT_STEP,
    QUESTION_STEPS,
    STEPS,
    Checked,
    answers_check,
    apply_service_errors,
    draft_merge,
    step_get,
)
from patients.intake.throttle import client_ip, link_open_allowed
from patients.intake.tokens import TOKEN_MAX_LENGTH

SESSION_KEY = "intake_link_id"


def public(view):
    """No login, never cached, not indexed. The URL may hold a token: the Referer goes only
    to this site (same-origin; "no-referrer" would make the browser send "Origin: null" with
    the forms' POSTs, which the CSRF check refuses)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return login_not_required(never_cache(wrapped))


def unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "patients/intake/unavailable.html", status=404)


def too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "patients/intake/too_many.html", status=429)
    response["Retry-After"] = "600"
    return response


def _usable_link(token: str, purpose: str) -> PatientLink | None:
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    link = services.link_find(token)
    if link is None or link.purpose != purpose or not link.is_usable():
        return None
    return link


def _session_link(request: HttpRequest) -> PatientLink | None:
    pk = request.session.get(SESSION_KEY)
    if not isinstance(pk, int):
        return None
    link = (
        PatientLink.objects.select_related("patient")
        .filter(pk=pk, purpose=PatientLink.Purpose.INTAKE)
        .first()
    )
    if link is None or not link.is_usable():
        request.session.pop(SESSION_KEY, None)
        return None
    return link


def _first_open_step(link: PatientLink) -> int:
    start = link.draft.get("start")
    if isinstance(start, int) and step_get(start) is not None:
        return start
    done = set(link.draft.get("done", []))
    for step in STEPS:
        if step.number not in done:
            return step.number
    return CONSENT_STEP.number


@public
@require_http_methods(["GET", "POST"])
def intake_open(request: HttpRequest, token: str) -> HttpResponse:
    if not link_open_allowed(request, token):
        return too_many(request)
    link = _usable_link(token, PatientLink.Purpose.INTAKE)
    if link is None:
        return unavailable(request)
    form = DateOfBirthForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                matched = services.link_check_date_of_birth(
                    link=link, date_of_birth=form.cleaned_data["date_of_birth"]
                )
            except services.LinkUnusable:
                return unavailable(request)
            if matched:
                request.session.cycle_key()
                request.session[SESSION_KEY] = link.pk
                return redirect("intake:step", number=_first_open_step(link))
            if link.locked_at:
                return unavailable(request)
            left = MAX_DOB_ATTEMPTS - link.failed_attempts
            form.add_error(
                "date_of_birth",
                f"That date of birth does not match. {left} {'try' if left == 1 else 'tries'} "
                "left before this link is locked.",
            )
    return render(request, "patients/intake/open.html", {"form": form}, status=status)


def _step_context(link, step, checked, consent_form=None, text=None) -> dict:
    done = set(link.draft.get("done", []))
    context = {
        "link": link,
        "step": step,
        "steps": STEPS,
        "done": done,
        "previous_step": step.number - 1 if step.number > 1 else None,
        "consent_form": consent_form,
        "text": text,
    }
    if checked is not None:
        form = checked.form
        if step.kind == "questions":
            context["questions"] = [
                (form[name], [form[c] for c in FOLLOW_UPS.get(name, ())])
                for name in step.names
                if name in FOLLOW_UPS or name not in {c for k in FOLLOW_UPS.values() for c in k}
            ]
        elif step.kind == "findings":
            context["lists"] = [
                (f.key, form[f.parent], f.row_name, checked.formsets[f.key]) for f in FINDING_LISTS
            ]
        context["form"] = form
    return context


def _checked_for_display(link, step):
    """The form bound to the draft when this step was answered before (its messages show),
    else unbound (a step not yet seen shows no messages)."""
    today = timezone.localdate()
    done = set(link.draft.get("done", []))
    if step.number in done:
        return answers_check(link.draft.get("answers", {}), patient=link.patient, taken_on=today)
    form = QuestionnaireForm(initial={"taken_on": today}, patient=link.patient)
    return Checked(form, finding_formsets(None))


@public
@require_http_methods(["GET", "POST"])
def intake_step(request: HttpRequest, number: int) -> HttpResponse:
    if SESSION_KEY not in request.session:
        return render(request, "patients/intake/session_ended.html", status=404)
    link = _session_link(request)
    step = step_get(number)
    if link is None or step is None:
        return unavailable(request)
    if step.kind == "consent":
        return _consent_step(request, link)
    status = 200
    if request.method == "POST":
        draft = dict(link.draft)
        draft["answers"] = draft_merge(draft.get("answers", {}), request.POST, step)
        draft["done"] = sorted(set(draft.get("done", [])) | {step.number})
        draft.pop("start", None)
        try:
            services.link_draft_save(link=link, draft=draft)
        except services.LinkUnusable:
            return unavailable(request)
        checked = answers_check(
            draft["answers"], patient=link.patient, taken_on=timezone.localdate()
        )
        if "back" in request.POST and step.number > 1:
            return redirect("intake:step", number=step.number - 1)
        if not checked.step_has_errors(step):
            return redirect("intake:step", number=step.number + 1)
        status = 400
    else:
        checked = _checked_for_display(link, step)
    return render(
        request, "patients/intake/step.html", _step_context(link, step, checked), status=status
    )


def _consent_step(request: HttpRequest, link: PatientLink) -> HttpResponse:
    text = patient_services.consent_text_current()
    if text is None:
        return render(request, "patients/intake/no_consent_text.html", status=503)
    today = timezone.localdate()
    minor = services.is_minor(link.patient, today)
    saved = link.draft.get("consent", {})
    initial = {"text_version": text.version, **{k: v for k, v in saved.items() if k != "confirmed"}}
    if minor:
        initial["signer"] = "guardian"
    form = PatientConsentForm(request.POST or None, initial=initial, minor=minor)
    status = 200
    if request.method == "POST":
        status = 400
        answered = _consent_post(request, link, form, text, today)
        if answered is not None:
            return answered
        form.data = form.data.copy()
        form.data["text_version"] = text.version
    context = _step_context(link, CONSENT_STEP, None, consent_form=form, text=text)
    context["minor"] = minor
    return render(request, "patients/intake/step.html", context, status=status)


def _consent_post(request, link: PatientLink, form, text, today) -> HttpResponse | None:
    """Save the consent step's draft, then send the whole intake if the answers and the
    consent are in order; None to show the step again with the form's errors."""
    draft = dict(link.draft)
    draft["consent"] = {
        k: request.POST.get(k, "")[:200] for k in ("signer", "signed_name", "guardian_relationship")
    }
    try:
        services.link_draft_save(link=link, draft=draft)
    except services.LinkUnusable:
        return unavailable(request)
    if "back" in request.POST:
        return redirect("intake:step", number=CONSENT_STEP.number - 1)
    answers = draft.get("answers", {})
    checked = answers_check(answers, patient=link.patient, taken_on=today)
    if not checked.ok:
        return _answers_to_fix(request, link, draft, checked)
    if not form.is_valid():
        return None
    data = form.cleaned_data
    if data["text_version"] != text.version:
        form.add_error(
            None,
            "The consent text was updated while this page was open. Please read it again below.",
        )
        return None
    try:
        services.intake_submit(
            link=link,
            answers=answers,
            consent_text=text,
            signer=data["signer"],
            signed_name=data["signed_name"],
            guardian_relationship=data["guardian_relationship"],
            ip=client_ip(request),
        )
    except services.LinkUnusable:
        return unavailable(request)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            apply_errors(form, error)
        else:
            apply_service_errors(checked, error)
            form.add_error(None, error)
        return None
    request.session.pop(SESSION_KEY, None)
    return redirect("intake:done")


def _answers_to_fix(request, link: PatientLink, draft: dict, checked) -> HttpResponse:
    """Back to the first question step with a problem, every step marked as visited."""
    first = next((s for s in QUESTION_STEPS if checked.step_has_errors(s)), QUESTION_STEPS[0])
    draft["done"] = sorted(set(draft.get("done", [])) | {s.number for s in QUESTION_STEPS})
    services.link_draft_save(link=link, draft=draft)
    messages.error(
        request, f"Some answers in “{first.title}” need attention before you can send them."
    )
    return redirect("intake:step", number=first.number)


@public
@require_http_methods(["GET"])
def intake_done(request: HttpRequest) -> HttpResponse:
    return render(request, "patients/intake/done.html")


@public
@require_http_methods(["GET", "POST"])
def appointment_link(request: HttpRequest, token: str) -> HttpResponse:
    if not link_open_allowed(request, token):
        return too_many(request)
    link = _usable_link(token, PatientLink.Purpose.APPOINTMENT)
    if link is None:
        return unavailable(request)
    from clinic.booking.models import Appointment

    appointment = Appointment.objects.select_related("location", "appointment_type").get(
        pk=link.appointment_id
    )
    error = ""
    if request.method == "POST":
        answer = request.POST.get("answer", "")
        try:
            done = services.appointment_link_answer(link=link, answer=answer, ip=client_ip(request))
        except services.LinkUnusable:
            return unavailable(request)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return render(
                request,
                "patients/intake/appointment_done.html",
                {"answer": done, "appointment": appointment},
            )
    wanted = request.GET.get("answer", "")
    return render(
        request,
        "patients/intake/appointment.html",
        {
            "appointment": appointment,
            "wanted": wanted if wanted in (services.CONFIRM, services.CANCEL) else "",
            "error": error,
            "action": request.path,
        },
        status=400 if error else 200,
    )
