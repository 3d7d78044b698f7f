"""Celery tasks for reports: thin wrappers around clinic.reports.services."""

from __future__ import annotations

from celery import shared_task

from clinic.reports import services


@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1900)
def export_job_run_task(job_id: str) -> str:
    """Write one export job's file. Harmless to run twice: the job is claimed first."""
    return services.export_job_run(job_id=job_id)


@shared_task(soft_time_limit=120, time_limit=180)
def export_jobs_purge_task() -> int:
    """Daily: delete export files older than 7 days."""
    return services.export_jobs_purge()
