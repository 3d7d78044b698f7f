"""The PDF plan: rendering (WeasyPrint) and the render job whose state is a table row.

Flow: plan_approve creates a PlanDocument (pending) and, once the transaction commits, calls
plan_document_enqueue, which sends the Celery task. The task (needling.tasks) calls
plan_document_render, which claims the row with a conditional UPDATE (pending -> running),
screens the plan again with today's facts, refuses to print a plan that is no longer clear
(failed, with the reason), and otherwise stores the PDF privately and marks the row done.
A broker outage at approval time leaves the row pending; plan_documents_sweep (periodic)
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
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from clinic.models import DNCertification
from needling.models import DocumentStatus, PlanDocument, PlanStatus, TreatmentPlan
from needling.presenters import finding_views, site_views, sites_chart
from needling.screening_db import PlanScreening, plan_overrides, plan_sites, screen_plan

log = logging.getLogger(__name__)

SWEEP_PENDING_AFTER = dt.timedelta(minutes=1)
# A job still "running" this long after it started lost its worker (the hard time limit is
# far shorter): the sweep hands it back to the queue.
SWEEP_RUNNING_AFTER = dt.timedelta(minutes=10)
MAX_ERROR_CHARS = 2000
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}


class RenderError(Exception):
    """A rendering attempt failed in a way worth retrying; the job is pending again."""


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (OperationalError, RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


def plan_document_enqueue(*, document_id: int) -> bool:
    """Send the render task. A broker outage is logged, not raised: the job stays pending
    and the periodic sweep sends it again. True when the task was handed to the broker."""
    from needling.tasks import plan_document_render_task

    PlanDocument.objects.filter(pk=document_id, status=DocumentStatus.PENDING).update(
        enqueued_at=timezone.now()
    )
    try:
        # Few publish retries: the user's approval must not hang on a dead broker; the sweep
        # tries again every minute.
        plan_document_render_task.apply_async(
            args=(document_id,), retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except _broker_errors() as exc:
        log.warning("PDF job %s stays pending: the broker is unreachable (%s)", document_id, exc)
        return False
    return True


def plan_documents_sweep(*, now: dt.datetime | None = None) -> int:
    """Send again the jobs pending for over a minute (and hand back jobs whose worker died).
    Returns how many jobs were sent."""
    now = now or timezone.now()
    PlanDocument.objects.filter(
        status=DocumentStatus.RUNNING, started_at__lt=now - SWEEP_RUNNING_AFTER
    ).update(status=DocumentStatus.PENDING, error="The worker stopped; rendering again.")
    stale = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - SWEEP_PENDING_AFTER)
    ids = list(
        PlanDocument.objects.filter(stale, status=DocumentStatus.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    sent = 0
    for document_id in ids:
        if plan_document_enqueue(document_id=document_id):
            sent += 1
    return sent


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


@transaction.atomic
def plan_document_retry(*, document: PlanDocument, user) -> bool:
    """Queue a failed job again (failed -> pending); False when it was not failed."""
    updated = PlanDocument.objects.filter(pk=document.pk, status=DocumentStatus.FAILED).update(
        status=DocumentStatus.PENDING, error="", finished_at=None, enqueued_at=timezone.now()
    )
    if updated:
        transaction.on_commit(lambda: plan_document_enqueue(document_id=document.pk))
    return updated == 1


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

    from needling.models import PlanOverride, PlanSite

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
