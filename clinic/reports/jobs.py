"""Export jobs as the worker runs them: claimed by a conditional UPDATE, written, failed,
and purged after 7 days. Sending them is clinic.reports.tasks."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from clinic.reports.filters import Filters
from clinic.reports.models import ExportFormat, ExportJob, ExportStatus
from clinic.reports.registry import get_report

log = logging.getLogger(__name__)

KEEP_DAYS = 7
# The export task's time limits (clinic/reports/tasks.py). A job still running after the hard
# limit has lost its worker (killed, out of memory): the sweep hands it back.
EXPORT_SOFT_TIME_LIMIT = 1800
EXPORT_TIME_LIMIT = 1900
SWEEP_PENDING_AFTER = dt.timedelta(minutes=1)
SWEEP_RUNNING_AFTER = dt.timedelta(seconds=EXPORT_TIME_LIMIT + 60)


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
