"""Export jobs: the state of a large export lives in this table (as for plan PDFs)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

__all__ = ["ExportJob", "ExportStatus", "ExportFormat"]


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Running"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"
    PDF = "pdf", "PDF"


class ExportJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="export_jobs"
    )
    report = models.CharField(max_length=40)
    filters = models.JSONField(default=dict)
    format = models.CharField(max_length=4, choices=ExportFormat.choices)
    status = models.CharField(
        max_length=8, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Handed to the broker (the sweep sends again a job left pending: a broker outage) and
    # claimed by a worker (the sweep hands back a job whose worker died).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        default_permissions = ()
        permissions = [
            ("view_reports", "Can view manager reports and export them"),
            ("view_audit", "Can search the audit trail and access logs"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")) | Q(rows_total=0),
                name="export_job_progress_bounded",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(file_name=""),
                name="export_job_done_has_file",
            ),
        ]
        indexes = [models.Index(fields=["status", "finished_at"])]

    def __str__(self) -> str:
        return f"{self.report} {self.format} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, int(self.rows_done * 100 / self.rows_total))


from clinic.reports.rollup_models import *  # noqa: E402,F403 - the report roll-ups (issue 16)
from clinic.reports.rollup_models import __all__ as _rollup_names  # noqa: E402

__all__ += _rollup_names
