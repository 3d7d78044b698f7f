"""The PDF plan: rendering (WeasyPrint) and the render job whose state is a table row.

Flow: plan_approve creates a PlanDocument (pending) and, once the transaction commits, calls
needling.plans.tasks.plan_document_enqueue, which sends the Celery task. The task calls
plan_document_render, which claims the row with a conditional UPDATE (pending -> running),
screens the plan again with today's facts, refuses to print a plan that is no longer clear
(failed, with the reason), and otherwise stores the PDF privately and marks the row done.
A broker outage at approval time leaves the row pending; the periodic sweep (in tasks)
sends it again. Running the task twice yields one document: the second run finds nothing
to claim.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from clinic.staff.models import DNCertification
from needling.plans.models import DocumentStatus, PlanDocument, PlanStatus, TreatmentPlan
from needling.plans.presenters import finding_views, site_views, sites_chart
from needling.plans.screening import PlanScreening, plan_overrides, plan_sites, screen_plan

log = logging.getLogger(__name__)
MAX_ERROR_CHARS = 2000


class RenderError(Exception):
    """A rendering attempt failed in a way worth retrying; the job is pending again."""


def _claim(document_id: int) -> bool:
    claimed = PlanDocument.objects.filter(pk=document_id, status=DocumentStatus.PENDING).update(
        status=DocumentStatus.RUNNING,
        attempts=F("attempts") + 1,
        started_at=timezone.now(),
        error="",
    )
    return claimed == 1


def _finish(document_id: int, *, status: str, error: str = "", file_name: str = "") -> None:
    PlanDocument.objects.filter(pk=document_id, status=DocumentStatus.RUNNING).update(
        status=status,
        error=error[:MAX_ERROR_CHARS],
        file_name=file_name,
        finished_at=timezone.now(),
        **({"enqueued_at": timezone.now()} if status == DocumentStatus.PENDING else {}),
    )


def plan_document_render(*, document_id: int) -> str:
    """Render one job. Returns the job's status afterwards.

    Raises RenderError (job back to pending) when rendering itself failed; the task retries.
    """
    if not _claim(document_id):
        return PlanDocument.objects.filter(pk=document_id).values_list("status", flat=True).first()
    document = PlanDocument.objects.select_related("plan").get(pk=document_id)
    plan = load_plan_for_document(document.plan_id)
    if plan.status != PlanStatus.APPROVED:
        _finish(
            document_id,
            status=DocumentStatus.FAILED,
            error="The plan was superseded by a newer version: print the current version.",
        )
        return DocumentStatus.FAILED
    try:
        screening = screen_plan(plan)
        if not screening.is_clear:
            _finish(document_id, status=DocumentStatus.FAILED, error=refusal(screening))
            return DocumentStatus.FAILED
        pdf = render_plan_pdf(plan, screening)
        name = store_pdf(plan, pdf)
    except Exception as exc:
        _finish(document_id, status=DocumentStatus.PENDING, error=f"{type(exc).__name__}: {exc}")
        raise RenderError(str(exc)) from exc
    _finish(document_id, status=DocumentStatus.DONE, file_name=name)
    return DocumentStatus.DONE


def plan_document_fail(*, document_id: int, error: str) -> None:
    """Give up on a job after its last retry (pending or running -> failed)."""
    PlanDocument.objects.filter(
        pk=document_id, status__in=[DocumentStatus.PENDING, DocumentStatus.RUNNING]
    ).update(
        status=DocumentStatus.FAILED,
        error=f"Rendering failed after several attempts. {error}"[:MAX_ERROR_CHARS],
        finished_at=timezone.now(),
    )


def refusal(screening: PlanScreening) -> str:
    """Why a plan that is no longer clear is not printed."""
    result = screening.result
    if result is None:
        return "Not printed: the plan has no sites."
    if result.decision == "blocked":
        reasons = [f"{f.rule}: {f.message}" for f in result.findings if f.severity == "absolute"]
        return "Not printed: the plan is now blocked. " + " ".join(reasons)
    reasons = [f"{f.rule}: {f.message}" for f in result.findings if f.overridden is False]
    return "Not printed: the plan now needs an override. " + " ".join(reasons)


def load_plan_for_document(plan_id) -> TreatmentPlan:
    from django.db.models import Prefetch

    from needling.plans.models import PlanOverride, PlanSite

    return (
        TreatmentPlan.objects.select_related(
            "patient", "condition", "practitioner", "location", "approved_by"
        )
        .prefetch_related(
            Prefetch("sites", queryset=PlanSite.objects.select_related("muscle")),
            Prefetch("overrides", queryset=PlanOverride.objects.select_related("recorded_by")),
        )
        .get(pk=plan_id)
    )


def pdf_file_name(plan: TreatmentPlan) -> str:
    return f"plans/{plan.pk}/dn-plan-v{plan.version}.pdf"


def store_pdf(plan: TreatmentPlan, pdf: bytes) -> str:
    """Save under the private storage, replacing an earlier file of the same job."""
    name = pdf_file_name(plan)
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(pdf))


def pdf_context(plan: TreatmentPlan, screening: PlanScreening) -> dict:
    sites = plan_sites(plan)
    # The overrides that lift findings now: those made on the screening the plan is judged on.
    overrides = [o for o in plan_overrides(plan) if o.screening_id == screening.screening_id]
    views = site_views(screening.result, sites)
    certification = (
        DNCertification.objects.filter(
            user=plan.practitioner_id,
            certified_on__lte=plan.planned_date,
            valid_until__gte=plan.planned_date,
        )
        .order_by("-valid_until")
        .first()
    )
    patient_facts = screening.case["patient"]
    consent_on = patient_facts.get("consent_signed_on")
    return {
        "plan": plan,
        "patient": plan.patient,
        "clinic_name": settings.CLINIC_NAME,
        "certification": certification,
        "site_views": views,
        "findings": finding_views(screening.result, sites, overrides),
        "overrides": overrides,
        "ignored_overrides": screening.result.ignored_overrides if screening.result else (),
        "result": screening.result,
        "consent_signed_on": dt.date.fromisoformat(consent_on) if consent_on else None,
        "consent_valid_until": (
            dt.date.fromisoformat(consent_on) + dt.timedelta(days=365) if consent_on else None
        ),
        "screened_on": patient_facts.get("screened_on"),
        "lung_risk": any(site.muscle.lung_risk for site in sites),
        "chart": sites_chart(views),
        "rendered_at": timezone.now(),
        "age": plan.patient.age_on(plan.planned_date),
    }


def render_plan_html(plan: TreatmentPlan, screening: PlanScreening) -> str:
    return render_to_string("pdf/plan.html", pdf_context(plan, screening))


PLAN_STYLESHEET = "templates/pdf/plan.css"
_weasyprint = threading.local()


def _pdf_setup():
    """(font configuration, plan stylesheet), made once per thread and reused by every render.

    WeasyPrint otherwise builds a FontConfiguration (a Fontconfig/Pango font map that loads
    the fonts again) and parses the stylesheet for each document. Neither holds any plan
    data: the HTML, with the footer that names the plan, is rendered afresh each time. Per
    thread because Pango font maps are not meant to be shared between threads. Editing
    plan.css needs a restart of the worker.
    """
    setup = getattr(_weasyprint, "setup", None)
    if setup is None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        stylesheet = CSS(filename=str(settings.BASE_DIR / PLAN_STYLESHEET), font_config=font_config)
        setup = _weasyprint.setup = (font_config, stylesheet)
    return setup


def render_plan_pdf(plan: TreatmentPlan, screening: PlanScreening) -> bytes:
    from weasyprint import HTML

    html = render_plan_html(plan, screening)
    font_config, stylesheet = _pdf_setup()
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[stylesheet], font_config=font_config
    )
