"""Celery tasks for needling: thin wrappers around needling.documents."""

from __future__ import annotations

import logging

from celery import shared_task

from needling import documents

log = logging.getLogger(__name__)

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
    return documents.plan_documents_sweep()
