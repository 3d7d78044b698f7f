"""Export jobs: create, run (claimed by a conditional UPDATE), fail, and purge after 7 days."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clinic.models import User
from clinic.reports.base import get_report
from clinic.reports.filters import Filters
from clinic.reports.models import ExportFormat, ExportJob, ExportStatus

log = logging.getLogger(__name__)

KEEP_DAYS = 7
# The export task's time limits (clinic/reports/tasks.py). A job still running after the hard
# limit has lost its worker (killed, out of memory): the sweep hands it back.
EXPORT_SOFT_TIME_LIMIT = 1800
EXPORT_TIME_LIMIT = 1900
SWEEP_PENDING_AFTER = dt.timedelta(minutes=1)
SWEEP_RUNNING_AFTER = dt.timedelta(seconds=EXPORT_TIME_LIMIT + 60)


def export_threshold() -> int:
    """Exports with more rows than this run as a background job."""
    return getattr(settings, "REPORTS_EXPORT_ASYNC_ROWS", 5000)


@transaction.atomic
def export_job_create(
    *, manager: User, report: str, filters: Filters, format: str, rows_total: int
) -> ExportJob:
    if get_report(report) is None:
        raise ValidationError({"report": "Unknown report."})
    if format not in ExportFormat.values:
        raise ValidationError({"format": "Choose CSV, XLSX or PDF."})
    job = ExportJob(
        manager=manager,
        report=report,
        filters=filters.to_json(),
        format=format,
        rows_total=rows_total,
    )
    job.full_clean()
    job.save()
    transaction.on_commit(lambda: export_job_enqueue(job_id=job.pk))
    return job


def export_job_enqueue(*, job_id) -> bool:
    """Send the export task. A broker outage is logged, not raised: the job stays pending and
    export_jobs_sweep sends it again. True when the task was handed to the broker."""
    from clinic.broker import PUBLISH_RETRY_POLICY, broker_errors
    from clinic.reports.tasks import export_job_run_task

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


def export_job_run(*, job_id) -> str:
    """Claim the job (pending -> running), write the file to private storage, mark it done."""
    from clinic.reports import exports

    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING, started_at=timezone.now(), error=""
    )
    if not claimed:
        return "skipped"
    job = ExportJob.objects.get(pk=job_id)
    report = get_report(job.report)
    filters = Filters.from_json(job.filters)
    total = job.rows_total

    def progress(n: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(rows_done=min(n, total) if total else 0)

    suffix = f".{job.format}"
    handle, tmp = tempfile.mkstemp(suffix=suffix)
    os.close(handle)
    try:
        if job.format == ExportFormat.CSV:
            with open(tmp, "wb") as out:
                exports.write_csv(report, filters, out, progress=progress)
        elif job.format == ExportFormat.XLSX:
            exports.write_xlsx(report, filters, tmp, progress=progress)
        else:
            with open(tmp, "wb") as out:
                exports.write_pdf(report, filters, out)
        # One file per job: a run whose worker died may have left one; this run replaces it.
        name = f"exports/{job.pk}{suffix}"
        default_storage.delete(name)
        with open(tmp, "rb") as src:
            name = default_storage.save(name, File(src))
    except Exception as exc:
        log.exception("Export job %s failed", job.pk)
        export_job_fail(job_id=job.pk, error=str(exc) or exc.__class__.__name__)
        return "failed"
    finally:
        os.unlink(tmp)
    ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE, file_name=name, rows_done=total, finished_at=timezone.now()
    )
    return "done"


def export_job_fail(*, job_id, error: str) -> None:
    ExportJob.objects.filter(pk=job_id).exclude(status=ExportStatus.DONE).update(
        status=ExportStatus.FAILED, error=error[:2000], finished_at=timezone.now()
    )


def export_jobs_purge(*, now: dt.datetime | None = None) -> int:
    """Delete export files and job rows older than 7 days; returns how many jobs went."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=KEEP_DAYS)
    gone = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff).only("pk", "file_name"):
        if job.file_name:
            default_storage.delete(job.file_name)
        job.delete()
        gone += 1
    return gone
