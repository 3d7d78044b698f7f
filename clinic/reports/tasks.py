"""Celery tasks for report exports, and the sending of them.

Thin: each task takes an id and calls clinic.reports.jobs. `export_job_enqueue` hands a job to
the broker (on commit, from clinic.reports.services); `export_jobs_sweep` sends again the jobs a
broker outage or a dead worker left behind.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from clinic.common.broker import PUBLISH_RETRY_POLICY, broker_errors
from clinic.reports import jobs
from clinic.reports.jobs import SWEEP_PENDING_AFTER, SWEEP_RUNNING_AFTER
from clinic.reports.models import ExportJob, ExportStatus

log = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    soft_time_limit=jobs.EXPORT_SOFT_TIME_LIMIT,
    time_limit=jobs.EXPORT_TIME_LIMIT,
)
def export_job_run_task(job_id: str) -> str:
    """Write one export job's file. Harmless to run twice: the job is claimed first."""
    return jobs.export_job_run(job_id=job_id)


@shared_task(soft_time_limit=120, time_limit=180)
def export_jobs_purge_task() -> int:
    """Daily: delete export files older than 7 days."""
    return jobs.export_jobs_purge()


@shared_task(soft_time_limit=30, time_limit=60)
def export_jobs_sweep_task() -> int:
    """Every minute: send again the export jobs left pending (a broker outage) or whose worker
    died."""
    return export_jobs_sweep()


def export_job_enqueue(*, job_id) -> bool:
    """Send the export task. A broker outage is logged, not raised: the job stays pending and
    export_jobs_sweep sends it again. True when the task was handed to the broker."""

    ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
        enqueued_at=timezone.now()
    )
    try:
        export_job_run_task.apply_async(
            args=(str(job_id),), retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except broker_errors() as exc:
        log.warning("Export job %s stays pending: the broker is unreachable (%s)", job_id, exc)
        return False
    return True


def export_jobs_sweep(*, now: dt.datetime | None = None) -> int:
    """Send again the jobs pending for over a minute, after handing back the jobs whose worker
    died. Returns how many jobs were sent. Each job still runs once: it is claimed first."""
    now = now or timezone.now()
    ExportJob.objects.filter(
        Q(started_at__isnull=True) | Q(started_at__lt=now - SWEEP_RUNNING_AFTER),
        status=ExportStatus.RUNNING,
    ).update(status=ExportStatus.PENDING, rows_done=0, error="The worker stopped; exporting again.")
    stale = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - SWEEP_PENDING_AFTER)
    ids = list(
        ExportJob.objects.filter(stale, status=ExportStatus.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    return sum(1 for job_id in ids if export_job_enqueue(job_id=job_id))
