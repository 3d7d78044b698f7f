"""Treatment plan pages: list, new plan, the editor with its live screening panel (htmx),
overrides, approval, new versions, and the PDF job and download.

Every view declares its permissions; plans are looked up by UUID and 404 otherwise. Plans
belong to the clinic as a whole (as patients do), so any therapist or manager may read them.
Writes go through needling.plans.services; htmx requests get the workspace partial back.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.booking import selectors as booking_selectors
from clinic.booking.times import local_today
from clinic.common.access import requires
from clinic.common.forms import form_submit, is_htmx, saved
from clinic.common.widgets import load_model_choices
from needling.knowledge import suggest_muscles
from needling.knowledge.catalogue import PAIN_AREAS, REGIONS
from needling.knowledge.models import Muscle
from needling.plans import selectors, services
from needling.plans.forms import OverrideForm, PlanForm, SiteForm, SuggestedSiteForm, muscle_label
from needling.plans.models import (
    OVERRIDE_REASON_MIN,
    DocumentStatus,
    PlanDocument,
    PlanSite,
    PlanStatus,
    TreatmentPlan,
)
from needling.plans.presenters import finding_views, result_from_dict, site_views, sites_chart
from needling.plans.screening import screen_plan
from needling.plans.services import plan_document_retry
from patients.models import Patient, PatientAccessLog
from patients.services import access_record

PAGE_SIZE = 25
SUGGESTIONS_SHOWN = 8
VIEW_PLAN = "needling.view_treatmentplan"
ADD_PLAN = "needling.add_treatmentplan"
CHANGE_PLAN = "needling.change_treatmentplan"
APPROVE_PLAN = "needling.approve_treatmentplan"
ADD_OVERRIDE = "needling.add_planoverride"
VIEW_DOCUMENT = "needling.view_plandocument"
PRACTISE = "clinic.practise_dn"
AREA_LABELS = dict(PAIN_AREAS)


def _plan(request: HttpRequest, pk) -> TreatmentPlan:
    """A plan the user may read (selectors.visible_plans), else 404."""
    return get_object_or_404(selectors.visible_plans(request.user, selectors.plan_page()), pk=pk)


def _certified_today(user) -> bool:
    today = timezone.localdate()
    until = user.dn_certified_until(today)
    return until is not None and until >= today


# --- The workspace: sites, suggestions and the screening panel ----------------------------------


def _suggestions(plan: TreatmentPlan, muscles, planned: set[tuple[str, str]]):
    """Muscles to examine from the latest pain map (ranked as muscles.md says), with the
    sides the pain is on. A help, never a gate."""
    pain_map = selectors.latest_pain_map(plan.patient)
    if pain_map is None:
        return None, []
    sides_by_area: dict[str, set[str]] = {}
    for area in pain_map.areas.all():
        sides = {"left", "right"} if area.side in ("midline", "bilateral") else {area.side}
        sides_by_area.setdefault(area.area, set()).update(sides)
    facts = {m.code: m.as_fact() for m in muscles}
    rows = []
    by_code = {m.code: m for m in muscles}
    for suggestion in suggest_muscles(sides_by_area, facts):
        sides: set[str] = set()
        for area in suggestion.matched:
            sides |= sides_by_area[area]
        muscle = by_code[suggestion.muscle.code]
        rows.append(
            {
                "muscle": muscle,
                "matched": [AREA_LABELS.get(a, a) for a in suggestion.matched],
                "refers_to": [AREA_LABELS.get(a, a) for a in muscle.refers_to],
                "sides": [
                    (side, (muscle.code, side) in planned)
                    for side in ("left", "right")
                    if side in sides
                ],
            }
        )
    return pain_map, rows


def _muscle_choices(muscles) -> list:
    """The muscle select, grouped by region (flags in brackets: L lung, D deep, ...)."""
    groups = []
    for region, label in REGIONS:
        options = [(m.code, muscle_label(m)) for m in muscles if m.region == region]
        if options:
            groups.append((label, options))
    return [("", "Choose a muscle"), *groups]


def _workspace_context(
    request: HttpRequest,
    plan: TreatmentPlan,
    *,
    site_form: SiteForm | None = None,
    override_errors: dict[str, OverrideForm] | None = None,
    notice: str = "",
) -> dict:
    editable = _editable(request.user, plan)
    sites = list(plan.sites.all())
    result, decision, to_reconfirm, overrides = _screening(plan)
    findings = finding_views(result, sites, overrides, to_reconfirm=to_reconfirm)
    views = site_views(result, sites)
    context = {
        "plan": plan,
        "editable": editable,
        "decision": decision,
        "result": result,
        "site_views": views,
        "findings": findings,
        "blocking": [f for f in findings if f.severity == "absolute"],
        "relative": [f for f in findings if f.severity == "relative"],
        "precautions": [f for f in findings if f.severity == "precaution"],
        "chart": sites_chart(views, embed_style=False),
        "ignored_overrides": result.ignored_overrides if result else (),
        "overrides": overrides,
        "notice": notice,
        "override_errors": override_errors or {},
    }
    if editable:
        context.update(_editor_context(request.user, plan, sites, site_form))
    return context


def _editable(user, plan: TreatmentPlan) -> bool:
    return (
        plan.status == PlanStatus.DRAFT
        and user.has_perm(CHANGE_PLAN)
        and user.has_perm(PRACTISE)
        and plan.patient.archived_at is None
    )


def _screening(plan: TreatmentPlan) -> tuple:
    """(result, decision, overrides to confirm again, overrides in force): a draft is screened
    now, a locked plan shows the screening it was approved with."""
    overrides = list(plan.overrides.all())
    if plan.status != PlanStatus.DRAFT:
        result = result_from_dict(plan.snapshot["result"])
        return result, result.decision, (), overrides
    screening = screen_plan(plan)
    # Only the overrides made on the screening in force lift anything.
    in_force = [o for o in overrides if o.screening_id == screening.screening_id]
    return screening.result, screening.decision, screening.to_reconfirm, in_force


def _editor_context(user, plan: TreatmentPlan, sites: list, site_form: SiteForm | None) -> dict:
    """What the editor adds to the workspace of a plan the user may change."""
    muscles = list(Muscle.objects.filter(is_active=True).order_by("name"))
    planned = {(s.muscle.code, s.side) for s in sites}
    pain_map, suggestions = _suggestions(plan, muscles, planned)
    form = site_form or SiteForm()
    form.fields["muscle"].choices = _muscle_choices(muscles)
    return {
        "site_form": form,
        "pain_map": pain_map,
        "suggestions": suggestions[:SUGGESTIONS_SHOWN],
        "more_suggestions": suggestions[SUGGESTIONS_SHOWN:],
        "can_override": user.has_perm(ADD_OVERRIDE) and _certified_today(user),
        "can_approve": user.pk == plan.practitioner_id and user.has_perm(APPROVE_PLAN),
        "reason_min": OVERRIDE_REASON_MIN,
    }


def _workspace_response(request, plan, *, status: int = 200, **extra) -> HttpResponse:
    """The workspace partial for htmx; the whole page otherwise (after a POST with errors)."""
    context = _workspace_context(request, plan, **extra)
    if is_htmx(request):
        return render(request, "needling/plans/_plan_workspace.html", context)
    context.update(_page_context(plan))
    return render(request, "needling/plans/plan_detail.html", context, status=status)


def _page_context(plan: TreatmentPlan) -> dict:
    document = getattr(plan, "document", None) if plan.status != PlanStatus.DRAFT else None
    return {"document": document, "next_version": _next_version(plan)}


def _next_version(plan: TreatmentPlan):
    if plan.status != PlanStatus.SUPERSEDED:
        return None
    return TreatmentPlan.objects.filter(previous=plan).only("pk", "version").first()


# --- Pages -----------------------------------------------------------------------------------


@requires(VIEW_PLAN)
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in PlanStatus.values:
        status = ""
    mine = request.GET.get("mine") == "1" and request.user.has_perm(PRACTISE)
    plans = selectors.plan_list(
        user=request.user, status=status, practitioner=request.user if mine else None
    )
    page = Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page"))
    query_string = urlencode(
        {k: v for k, v in (("status", status), ("mine", "1" if mine else "")) if v}
    )
    return render(
        request,
        "needling/plans/plan_list.html",
        {
            "page": page,
            "status": status,
            "mine": mine,
            "statuses": PlanStatus.choices,
            "query_string": query_string,
        },
    )


@requires(ADD_PLAN, PRACTISE)
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest, patient_pk) -> HttpResponse:
    patient = get_object_or_404(Patient.objects.select_related("preferred_location"), pk=patient_pk)
    if patient.archived_at is not None:
        messages.error(request, f"{patient} is archived. Restore the record before planning.")
        return redirect(patient)
    today = timezone.localdate()
    initial = {
        "practitioner": request.user.pk,
        "planned_date": today,
        "location": patient.preferred_location_id,
        "sessions_planned": 4,
    }
    form = PlanForm(request.POST or None, patient=patient, initial=initial)

    def page() -> HttpResponse:
        load_model_choices(form)
        has_conditions = any(value for value, _label in form.fields["condition"].choices)
        return render(
            request,
            "needling/plans/plan_form.html",
            {"form": form, "patient": patient, "has_conditions": has_conditions, "plan": None},
            status=400 if request.method == "POST" else 200,
        )

    return form_submit(
        request,
        form,
        lambda data: services.plan_create(user=request.user, patient=patient, **data),
        on_success=lambda plan: saved(
            request, plan, message="Draft plan created. Add the sites to screen it."
        ),
        on_invalid=page,
    )


@requires(VIEW_PLAN)
@require_GET
@never_cache
def plan_detail(request: HttpRequest, pk) -> HttpResponse:
    plan = _plan(request, pk)
    context = _workspace_context(request, plan)
    context.update(_page_context(plan))
    return render(request, "needling/plans/plan_detail.html", context)


@requires(VIEW_PLAN)
@require_GET
@never_cache
def plan_workspace(request: HttpRequest, pk) -> HttpResponse:
    """The workspace partial alone (htmx refresh of the screening panel)."""
    plan = get_object_or_404(
        selectors.visible_plans(request.user, selectors.plan_workspace()), pk=pk
    )
    return render(request, "needling/plans/_plan_workspace.html", _workspace_context(request, plan))


@requires(CHANGE_PLAN, PRACTISE)
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk) -> HttpResponse:
    # The header form needs the plan's own columns and its patient, not the sites, overrides
    # and seven other joins of the plan page (plan_update locks and re-reads the plan).
    plan = get_object_or_404(
        selectors.visible_plans(request.user, TreatmentPlan.objects.select_related("patient")),
        pk=pk,
    )
    if plan.status != PlanStatus.DRAFT:
        messages.error(request, "An approved plan is locked: make a new version to change it.")
        return redirect(plan)
    form = PlanForm(request.POST or None, instance=plan, patient=plan.patient)
    return form_submit(
        request,
        form,
        lambda data: services.plan_update(plan=plan, user=request.user, **data),
        on_success=lambda _: saved(request, plan, message="Plan details saved."),
        on_invalid=lambda: render(
            request,
            "needling/plans/plan_form.html",
            {
                "form": load_model_choices(form),
                "patient": plan.patient,
                "has_conditions": True,
                "plan": plan,
            },
            status=400 if request.method == "POST" else 200,
        ),
    )


def _refuse_locked(request: HttpRequest, plan: TreatmentPlan) -> HttpResponse | None:
    if plan.status == PlanStatus.DRAFT:
        return None
    text = "An approved plan is locked: make a new version to change it."
    if is_htmx(request):
        return _workspace_response(request, plan, notice=text)
    messages.error(request, text)
    return redirect(plan)


@requires(CHANGE_PLAN, PRACTISE)
@require_POST
def plan_site_add(request: HttpRequest, pk) -> HttpResponse:
    plan = _plan(request, pk)
    refused = _refuse_locked(request, plan)
    if refused:
        return refused
    form = SiteForm(request.POST)
    return form_submit(
        request,
        form,
        lambda data: services.plan_sites_add(
            plan=plan,
            user=request.user,
            sides=form.sides(),
            **{k: v for k, v in data.items() if k != "side"},
        ),
        on_success=lambda _: _changed(request, plan),
        on_invalid=lambda: _workspace_response(request, plan, site_form=form, status=400),
    )


def _changed(request: HttpRequest, plan: TreatmentPlan, message: str = "") -> HttpResponse:
    """After a change to the plan: the workspace read again for htmx, else back to the plan."""
    return saved(
        request,
        plan,
        message=message,
        partial=lambda: _workspace_response(request, _plan(request, plan.pk)),
    )


@requires(CHANGE_PLAN, PRACTISE)
@require_POST
def plan_site_suggested(request: HttpRequest, pk) -> HttpResponse:
    plan = _plan(request, pk)
    refused = _refuse_locked(request, plan)
    if refused:
        return refused
    form = SuggestedSiteForm(request.POST)
    notice = ""
    if form.is_valid():
        muscle = form.cleaned_data["muscle"]
        gauge, length = services.default_needle(muscle.region)
        try:
            services.plan_site_add(
                plan=plan,
                user=request.user,
                muscle=muscle,
                side=form.cleaned_data["side"],
                needle_gauge=gauge,
                needle_length_mm=length,
            )
        except ValidationError as error:
            notice = " ".join(error.messages)
        else:
            return _changed(request, plan)
    else:
        notice = "Choose a suggested muscle and side."
    return _workspace_response(request, plan, notice=notice, status=400)


@requires(CHANGE_PLAN, PRACTISE)
@require_POST
def plan_site_remove(request: HttpRequest, pk, site_pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    site = get_object_or_404(PlanSite, pk=site_pk, plan=plan)
    refused = _refuse_locked(request, plan)
    if refused:
        return refused
    try:
        services.plan_site_remove(plan=plan, user=request.user, site_id=site.pk)
    except ValidationError as error:  # removed meanwhile, or the plan was just approved
        return _workspace_response(
            request, _plan(request, pk), notice=" ".join(error.messages), status=400
        )
    return _changed(request, plan)


@requires(ADD_OVERRIDE, PRACTISE)
@require_POST
def plan_override(request: HttpRequest, pk) -> HttpResponse:
    plan = _plan(request, pk)
    refused = _refuse_locked(request, plan)
    if refused:
        return refused
    form = OverrideForm(request.POST)

    def refused_page() -> HttpResponse:
        # The reason's error shows under the finding's own form; any other problem on top.
        notice = " ".join([*form.non_field_errors(), *form.errors.get("rule", [])])
        errors = {request.POST.get("rule", ""): form}
        return _workspace_response(request, plan, override_errors=errors, notice=notice, status=400)

    return form_submit(
        request,
        form,
        lambda data: services.plan_override_record(plan=plan, user=request.user, **data),
        on_success=lambda _: _changed(request, plan, "Override recorded."),
        on_invalid=refused_page,
    )


@requires(ADD_OVERRIDE, PRACTISE)
@require_POST
def plan_override_reconfirm(request: HttpRequest, pk) -> HttpResponse:
    """Confirm an earlier screening's override again: in the editor, or before a session.

    With ``appointment`` the plan is judged as that day's session by this therapist, and the
    answer goes back to the session's start page.
    """
    plan = _plan(request, pk)
    rule = request.POST.get("rule", "")
    appointment_pk = request.POST.get("appointment", "")
    on = None
    back = plan.get_absolute_url()
    if appointment_pk:
        if not appointment_pk.isdigit():
            raise Http404("No such appointment.")
        appointment = booking_selectors.appointment_for(request.user, int(appointment_pk))
        if appointment.patient_id != plan.patient_id or appointment.therapist_id != request.user.pk:
            raise Http404("No such appointment for this plan.")
        on = local_today(appointment.location.zone)
        back = reverse("needling:session_start", args=[appointment.pk])
    elif plan.status != PlanStatus.DRAFT:
        return redirect(plan)
    try:
        services.plan_override_reconfirm(plan=plan, user=request.user, rule=rule, on=on)
    except ValidationError as error:
        notice = " ".join(error.messages)
        if is_htmx(request) and on is None:
            return _workspace_response(request, plan, notice=notice, status=400)
        messages.error(request, notice)
    else:
        if is_htmx(request) and on is None:
            return _workspace_response(request, _plan(request, pk))
        messages.success(request, f"The override of {rule} is confirmed on the current screening.")
    return redirect(back)


@requires(APPROVE_PLAN, PRACTISE)
@require_http_methods(["GET", "POST"])
def plan_approve(request: HttpRequest, pk) -> HttpResponse:
    plan = _plan(request, pk)
    if plan.status != PlanStatus.DRAFT:
        messages.info(request, "This plan is already approved.")
        return redirect(plan)
    if request.method == "POST":
        try:
            services.plan_approve(plan=plan, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Plan approved and locked. The PDF is being prepared.")
        return redirect(plan)
    context = _workspace_context(request, plan)
    return render(request, "needling/plans/plan_approve.html", context)


@requires(ADD_PLAN, PRACTISE)
@require_http_methods(["GET", "POST"])
def plan_new_version(request: HttpRequest, pk) -> HttpResponse:
    plan = _plan(request, pk)
    if plan.status != PlanStatus.APPROVED:
        messages.info(request, "Only the approved version of a plan can be changed.")
        return redirect(plan)
    if request.method == "POST":
        try:
            new = services.plan_new_version(plan=plan, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(plan)
        messages.success(
            request, f"Version {new.version} is a draft copy; version {plan.version} is superseded."
        )
        return redirect(new)
    return render(request, "needling/plans/plan_new_version.html", {"plan": plan})


# --- The PDF job ---------------------------------------------------------------------------------


def _document(request: HttpRequest, pk) -> PlanDocument:
    """The PDF job of a plan the user may read, else 404."""
    return get_object_or_404(
        PlanDocument.objects.select_related("plan"),
        plan__in=selectors.visible_plans(request.user),
        plan_id=pk,
    )


@requires(VIEW_DOCUMENT)
@require_GET
@never_cache
def plan_document(request: HttpRequest, pk) -> HttpResponse:
    """The job's progress (htmx polls this partial until the job is finished)."""
    document = _document(request, pk)
    return render(
        request, "needling/plans/_plan_document.html", {"document": document, "plan": document.plan}
    )


@requires(CHANGE_PLAN, PRACTISE)
@require_POST
def plan_document_retry_view(request: HttpRequest, pk) -> HttpResponse:
    document = _document(request, pk)
    if plan_document_retry(document=document, user=request.user):
        messages.success(request, "Rendering the PDF again.")
    else:
        messages.info(request, "The PDF job is not in a failed state.")
    return redirect(document.plan)


@requires(VIEW_DOCUMENT)
@require_GET
def plan_document_download(request: HttpRequest, pk) -> FileResponse:
    """The PDF, from private storage, for authorised staff only (never a public URL)."""
    document = _document(request, pk)
    if document.status != DocumentStatus.DONE or not document.file_name:
        raise Http404("The PDF of this plan is not ready.")
    try:
        handle = default_storage.open(document.file_name, "rb")
    except FileNotFoundError:
        raise Http404("The PDF file is missing.") from None
    plan = document.plan
    access_record(patient=plan.patient, user=request.user, action=PatientAccessLog.Action.PLAN_PDF)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"dn-plan-{plan.planned_date:%Y-%m-%d}-v{plan.version}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "no-store, private"
    return response
