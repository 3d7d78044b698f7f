"""Session note pages: open a visit from its appointment, write, sign, addenda, the manager's
flag list and the patient's outcomes partial.

Every read of a note is written to SessionAccessLog. Notes outside what the user may read
give 404; the front desk has no permission to read any (403) and sees only "visit logged" on
the appointment page.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.booking import selectors as booking_selectors
from clinic.common.access import requires
from clinic.common.forms import apply_errors, form_submit, saved
from needling.plans import services as plan_services
from needling.sessions import selectors, services
from needling.sessions.forms import (
    AddendumForm,
    AdverseEventForm,
    SessionForm,
    SessionStartForm,
    SiteForm,
)
from needling.sessions.models import NPRS_MCID, AdverseEvent, SessionRecord, SessionSite

PAGE_SIZE = 25
VIEW = "needling.view_sessionrecord"
ADD = "needling.add_sessionrecord"
CHANGE = "needling.change_sessionrecord"
SIGN = "needling.sign_sessionrecord"
ADDENDUM = "needling.add_sessionaddendum"
MANAGE = "needling.view_sessionaccesslog"


def _own_draft(request: HttpRequest, pk) -> SessionRecord:
    """A draft note the user wrote, else 404."""
    return get_object_or_404(
        SessionRecord.objects.select_related("location"),
        pk=pk,
        practitioner=request.user,
        status=SessionRecord.Status.DRAFT,
    )


@requires(ADD, "clinic.practise_dn")
@require_http_methods(["GET", "POST"])
def session_start(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    appointment = booking_selectors.appointment_for(request.user, appointment_pk)
    if not services.may_open(appointment, request.user):
        raise PermissionDenied("Only the therapist of a DN appointment opens its session.")
    existing = selectors.session_of(appointment)
    if existing is not None:
        return redirect(existing)
    options = selectors.session_start_options(appointment)
    form = SessionStartForm(
        request.POST or None,
        plans=options.plans,
        has_today=options.todays is not None,
        initial={"same_day": "today" if options.todays else "unchanged"},
    )

    def start(data: dict) -> SessionRecord:
        use_today = data["same_day"] == "today"
        return services.session_start(
            appointment=appointment,
            plan=options.plan(data["plan"]),
            user=request.user,
            screening_confirmed_unchanged=not use_today,
            questionnaire=options.todays if use_today else None,
            on=options.on,
        )

    return form_submit(
        request,
        form,
        start,
        on_success=lambda session: saved(
            request,
            "needling:session_edit",
            session.pk,
            message="Session opened. Record the visit, then sign it.",
        ),
        on_invalid=lambda: _start_page(request, appointment, options, form),
    )


def _start_page(request: HttpRequest, appointment, options, form) -> HttpResponse:
    patient = appointment.patient
    screening_url = (
        reverse("patients:screening_new", args=[patient.pk])
        + "?"
        + urlencode({"next": request.path})
    )
    context = {
        "appointment": appointment,
        "patient": patient,
        "plans": options.plans,
        "form": form,
        "todays_questionnaire": options.todays,
        "screening_url": screening_url,
        "to_reconfirm": services.overrides_to_reconfirm(
            plans=options.plans, practitioner=request.user, on=options.on
        ),
        "can_override": plan_services.may_override(request.user, on=timezone.localdate()),
    }
    return render(request, "needling/sessions/session_start.html", context)


def _site_forms(session: SessionRecord, data=None) -> list[tuple[SessionSite, SiteForm]]:
    pairs = []
    for site in session.sites.all():
        initial = {
            "needled": True,
            "needle_gauge": site.needle_gauge,
            "needle_length_mm": site.needle_length_mm,
            "needles": site.needles,
            "insertions": site.insertions,
            "technique": site.technique,
            "frequency_hz": site.frequency_hz,
            "minutes": site.minutes,
            "twitch_response": site.twitch_response,
            "depth_mm": site.depth_mm,
        }
        pairs.append((site, SiteForm(data, prefix=f"site-{site.pk}", initial=initial)))
    return pairs


def _at(session: SessionRecord, value: dt.time | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.combine(session.session_date, value, tzinfo=session.location.zone)


def _local_time(session: SessionRecord, value: dt.datetime | None) -> dt.time | None:
    return value.astimezone(session.location.zone).time().replace(second=0) if value else None


@requires(CHANGE)
@require_http_methods(["GET", "POST"])
@never_cache
def session_edit(request: HttpRequest, pk) -> HttpResponse:
    session = get_object_or_404(
        selectors.session_page().filter(
            practitioner=request.user, status=SessionRecord.Status.DRAFT
        ),
        pk=pk,
    )
    services.session_access(session=session, user=request.user)
    data = request.POST if request.method == "POST" else None
    form = SessionForm(
        data,
        initial={
            "started_at": _local_time(session, session.started_at),
            "ended_at": _local_time(session, session.ended_at),
            "nprs_before": session.nprs_before,
            "nprs_after": session.nprs_after,
            "patient_response": session.patient_response,
            "tolerance": session.tolerance,
            "complementary": session.complementary,
            "needles_opened": session.needles_opened,
            "needles_disposed": session.needles_disposed,
            "needle_incident_note": session.needle_incident_note,
        },
    )
    site_forms = _site_forms(session, data)
    if request.method == "POST":
        valid = form.is_valid() and all(f.is_valid() for _, f in site_forms)
        if valid:
            fields = dict(form.cleaned_data)
            fields["started_at"] = _at(session, fields["started_at"])
            fields["ended_at"] = _at(session, fields["ended_at"])
            try:
                for site, site_form in site_forms:
                    site_data = dict(site_form.cleaned_data)
                    if not site_data.pop("needled"):
                        services.session_site_remove(site=site, user=request.user)
                        continue
                    services.session_site_update(site=site, user=request.user, **site_data)
                services.session_update(session=session, user=request.user, **fields)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                if "sign" in request.POST:
                    return redirect("needling:session_sign", pk=session.pk)
                messages.success(request, "The note is saved as a draft.")
                return redirect("needling:session_edit", pk=session.pk)
    context = {
        "session": session,
        "form": form,
        "site_forms": site_forms,
        "event_form": AdverseEventForm(),
        "events": list(session.adverse_events.all()),
    }
    return render(request, "needling/sessions/session_edit.html", context, status=200)


@requires(CHANGE)
@require_POST
def adverse_event_add(request: HttpRequest, pk) -> HttpResponse:
    session = _own_draft(request, pk)
    form = AdverseEventForm(request.POST)
    if form.is_valid():
        try:
            services.adverse_event_add(session=session, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, "; ".join(error.messages))
        else:
            messages.success(request, "Adverse event recorded.")
    else:
        messages.error(
            request,
            "Adverse event not recorded: "
            + "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items()),
        )
    return redirect("needling:session_edit", pk=session.pk)


@requires(CHANGE)
@require_POST
def adverse_event_remove(request: HttpRequest, pk, event_pk: int) -> HttpResponse:
    session = _own_draft(request, pk)
    event = get_object_or_404(AdverseEvent, pk=event_pk, session=session)
    services.adverse_event_remove(event=event, user=request.user)
    messages.success(request, "Adverse event removed.")
    return redirect("needling:session_edit", pk=session.pk)


@requires(SIGN)
@require_http_methods(["GET", "POST"])
def session_sign(request: HttpRequest, pk) -> HttpResponse:
    session = get_object_or_404(
        selectors.session_page().filter(
            practitioner=request.user, status=SessionRecord.Status.DRAFT
        ),
        pk=pk,
    )
    services.session_access(session=session, user=request.user)
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.session_sign(session=session, user=request.user)
        except ValidationError as error:
            errors = (
                [
                    f"{'' if name == '__all__' else name.replace('_', ' ').capitalize() + ': '}{m}"
                    for name, msgs in error.message_dict.items()
                    for m in msgs
                ]
                if hasattr(error, "error_dict")
                else error.messages
            )
        else:
            messages.success(request, "The note is signed and locked.")
            return redirect(session)
    return render(
        request,
        "needling/sessions/session_sign.html",
        {"session": session, "errors": errors},
        status=400 if errors else 200,
    )


@requires(VIEW)
@require_http_methods(["GET", "POST"])
@never_cache
def session_detail(request: HttpRequest, pk) -> HttpResponse:
    session = get_object_or_404(
        selectors.session_page().filter(pk__in=selectors.visible_sessions(request.user)), pk=pk
    )
    services.session_access(session=session, user=request.user)
    form = AddendumForm(request.POST or None)
    if request.method == "POST" and not request.user.has_perm(ADDENDUM):
        raise PermissionDenied("You cannot add addenda.")

    def page() -> HttpResponse:
        context = {
            "session": session,
            "form": form,
            "can_edit": not session.is_signed and session.practitioner_id == request.user.pk,
            "can_addendum": session.is_signed and request.user.has_perm(ADDENDUM),
        }
        return render(request, "needling/sessions/session_detail.html", context)

    return form_submit(
        request,
        form,
        lambda data: services.session_addendum_add(
            session=session, user=request.user, text=data["text"]
        ),
        on_success=lambda _: saved(request, session, message="Addendum added."),
        on_invalid=page,
    )


@requires(MANAGE)
@require_GET
def session_flags(request: HttpRequest) -> HttpResponse:
    # Queries: count + page of flagged notes with patient, practitioner, location.
    page = Paginator(selectors.flagged_for_manager(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "needling/sessions/session_flags.html",
        {"page": page, "cutoff": selectors.overdue_cutoff()},
    )


@requires(VIEW)
@require_GET
@never_cache
def patient_outcomes(request: HttpRequest, patient_pk) -> HttpResponse:
    """The outcomes chart and the sessions with their sites (an htmx partial)."""
    from patients.models import Patient

    patient = get_object_or_404(Patient, pk=patient_pk)
    sessions = list(
        selectors.patient_sessions(patient).filter(pk__in=selectors.visible_sessions(request.user))
    )
    services.sessions_access(sessions=sessions, user=request.user)
    outcomes = list(patient.outcomes.order_by("taken_on", "created_at"))
    series: dict[str, list[dict]] = {"nprs": [], "psfs": [], "ndi": [], "odi": []}
    baselines: dict[str, float] = {}
    for outcome in outcomes:
        point = {"x": outcome.taken_on.isoformat(), "y": float(outcome.score)}
        series.setdefault(outcome.measure, []).append(point)
        if outcome.is_baseline and outcome.measure not in baselines:
            baselines[outcome.measure] = float(outcome.score)
    nprs_before = [
        {"x": s.session_date.isoformat(), "y": s.nprs_before}
        for s in sessions
        if s.nprs_before is not None
    ]
    nprs_after = [
        {"x": s.session_date.isoformat(), "y": s.nprs_after}
        for s in sessions
        if s.nprs_after is not None
    ]
    baseline = baselines.get("nprs")
    if baseline is None and nprs_before:
        baseline = float(nprs_before[0]["y"])
    chart = {
        "nprs_measures": series["nprs"],
        "nprs_before": nprs_before,
        "nprs_after": nprs_after,
        "nprs_baseline": baseline,
        "nprs_mcid": NPRS_MCID,
        "other": {m: series[m] for m in ("psfs", "ndi", "odi") if series[m]},
        "other_baselines": {m: baselines[m] for m in ("psfs", "ndi", "odi") if m in baselines},
    }
    has_data = bool(series["nprs"] or nprs_before or nprs_after or chart["other"])
    context = {
        "patient": patient,
        "sessions": list(reversed(sessions)),
        "chart": chart,
        "has_data": has_data,
        "mcid": NPRS_MCID,
        "target": None if baseline is None else max(baseline - NPRS_MCID, 0),
    }
    return render(request, "needling/sessions/_outcomes.html", context)
