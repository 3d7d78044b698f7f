"""Report pages, exports and export jobs. Managers only (clinic.view_reports / view_audit)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from clinic.common.access import requires
from clinic.common.widgets import load_model_choices
from clinic.reports import exports, services
from clinic.reports.base import Report
from clinic.reports.filters import bind
from clinic.reports.models import ExportFormat, ExportJob, ExportStatus
from clinic.reports.registry import all_reports, get_report

VIEW_REPORTS = "clinic.view_reports"

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _report(request: HttpRequest, slug: str) -> Report:
    report = get_report(slug)
    if report is None or not request.user.has_perm(report.permission):
        raise Http404("No such report.")  # a report the user may not read is not there
    return report


def _formats(report: Report) -> list[str]:
    return ["csv", "xlsx", *(["pdf"] if report.pdf else [])]


@requires(VIEW_REPORTS)
@require_GET
def report_index(request: HttpRequest) -> HttpResponse:
    reports = [r for r in all_reports() if request.user.has_perm(r.permission)]
    jobs = ExportJob.objects.filter(manager=request.user)[:10]
    return render(request, "clinic/reports/index.html", {"reports": reports, "jobs": jobs})


@requires(VIEW_REPORTS)
@require_GET
def report_detail(request: HttpRequest, slug: str) -> HttpResponse:
    report = _report(request, slug)
    form, filters = bind(request.GET, audit=report.audit)
    load_model_choices(form)
    context = {"report": report, "form": form, "filters": filters, "formats": _formats(report)}
    if filters is not None:
        context["page"] = report.page(filters)
        context["query_string"] = filters.query_string()
    status = 200 if filters is not None else 400
    return render(request, "clinic/reports/report.html", context, status=status)


@requires(VIEW_REPORTS)
@require_GET
def report_export(request: HttpRequest, slug: str, format: str) -> HttpResponse:
    """Small exports download at once; large ones become a job with a progress page."""
    report = _report(request, slug)
    if format not in _formats(report):
        raise Http404("This report does not export to that format.")
    form, filters = bind(request.GET, audit=report.audit)
    if filters is None:
        context = {"report": report, "form": form, "filters": None, "formats": _formats(report)}
        return render(request, "clinic/reports/report.html", context, status=400)
    stamp = timezone.localdate().isoformat()
    filename = f"{report.slug}-{filters.start}-{filters.end}-{stamp}.{format}"
    if format != ExportFormat.PDF:
        total = report.count(filters)
        if total > services.export_threshold():
            job = services.export_job_create(
                manager=request.user,
                report=report.slug,
                filters=filters,
                format=format,
                rows_total=total,
            )
            return redirect("reports:job", pk=job.pk)
    if format == ExportFormat.CSV:
        response = StreamingHttpResponse(
            exports.csv_stream(report, filters), content_type=CONTENT_TYPES["csv"]
        )
    elif format == ExportFormat.XLSX:
        import io

        buffer = io.BytesIO()
        exports.write_xlsx(report, filters, buffer)
        response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES["xlsx"])
    else:
        import io

        buffer = io.BytesIO()
        exports.write_pdf(report, filters, buffer, base_url=request.build_absolute_uri("/"))
        response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES["pdf"])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    return response


def _job(request: HttpRequest, pk) -> ExportJob:
    job = get_object_or_404(ExportJob, pk=pk, manager=request.user)
    report = get_report(job.report)
    if report is None or not request.user.has_perm(report.permission):
        raise Http404("No such export.")
    return job


@requires(VIEW_REPORTS)
@require_GET
def export_job(request: HttpRequest, pk) -> HttpResponse:
    job = _job(request, pk)
    template = (
        "clinic/reports/_job.html"
        if request.headers.get("HX-Request")
        else "clinic/reports/job.html"
    )
    return render(request, template, {"job": job, "report": get_report(job.report)})


@requires(VIEW_REPORTS)
@require_GET
def export_job_download(request: HttpRequest, pk) -> FileResponse:
    job = _job(request, pk)
    if job.status != ExportStatus.DONE or not job.file_name:
        raise Http404("This export is not ready.")
    try:
        handle = default_storage.open(job.file_name, "rb")
    except FileNotFoundError:
        raise Http404("The export file has been deleted.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{job.report}-{job.created_at:%Y-%m-%d}.{job.format}",
        content_type=CONTENT_TYPES[job.format],
    )
    response["Cache-Control"] = "no-store, private"
    return response
