"""Celery tasks for reports: thin wrappers around clinic.reports.services."""

from __future__ import annotations

from celery import shared_task

from clinic.reports import services


@shared_task(
    acks_late=True,
    soft_time_limit=services.EXPORT_SOFT_TIME_LIMIT,
    time_limit=services.EXPORT_TIME_LIMIT,
)
def export_job_run_task(job_id: str) -> str:
    """Write one export job's file. Harmless to run twice: the job is claimed first."""
    return services.export_job_run(job_id=job_id)


@shared_task(soft_time_limit=120, time_limit=180)
def export_jobs_purge_task() -> int:
    """Daily: delete export files older than 7 days."""
    return services.export_jobs_purge()


@shared_task(soft_time_limit=30, time_limit=60)
def export_jobs_sweep_task() -> int:
    """Every minute: send again the export jobs left pending (a broker outage) or whose worker
    died."""
    return services.export_jobs_sweep()
