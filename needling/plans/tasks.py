"""The PDF job's Celery side: the render task, its sending, and the sweep that sends again.

Thin: the task takes a document id and calls needling.plans.documents. `plan_document_enqueue`
is called on commit by the services (approval, retry); a broker outage leaves the job pending
and `plan_documents_sweep` sends it again.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from clinic.common.broker import PUBLISH_RETRY_POLICY, broker_errors
from needling.plans import documents
from needling.plans.models import DocumentStatus, PlanDocument

log = logging.getLogger(__name__)

SWEEP_PENDING_AFTER = dt.timedelta(minutes=1)
# A job still "running" this long after it started lost its worker (the hard time limit is
# far shorter): the sweep hands it back to the queue.
SWEEP_RUNNING_AFTER = dt.timedelta(minutes=10)
MAX_RETRIES = 4


def backoff(retries: int) -> int:
    """Seconds before the next attempt: 10, 20, 40, 80 (at most 10 minutes)."""
    return min(600, 10 * 2**retries)


@shared_task(
    bind=True,
    max_retries=MAX_RETRIES,
    acks_late=True,
    soft_time_limit=60,
    time_limit=90,
)
def plan_document_render_task(self, document_id: int) -> str:
    """Render the PDF of one job (by id). Harmless to run twice: the job is claimed first."""
    try:
        return documents.plan_document_render(document_id=document_id)
    except documents.RenderError as exc:
        if self.request.retries >= self.max_retries:
            log.error("PDF job %s failed for good: %s", document_id, exc)
            documents.plan_document_fail(document_id=document_id, error=str(exc))
            return "failed"
        if self.request.is_eager:
            # No worker to retry later (development without Redis, tests): try again now.
            return self.apply(args=(document_id,), retries=self.request.retries + 1).result
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(soft_time_limit=30, time_limit=60)
def plan_documents_sweep_task() -> int:
    """Periodic: send again the PDF jobs left pending (for example after a broker outage)."""
    return plan_documents_sweep()


def plan_document_enqueue(*, document_id: int) -> bool:
    """Send the render task. A broker outage is logged, not raised: the job stays pending
    and the periodic sweep sends it again. True when the task was handed to the broker."""
    PlanDocument.objects.filter(pk=document_id, status=DocumentStatus.PENDING).update(
        enqueued_at=timezone.now()
    )
    try:
        plan_document_render_task.apply_async(
            args=(document_id,), retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except broker_errors() as exc:
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
