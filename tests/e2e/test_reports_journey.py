"""A manager filters each report, sees its chart, exports CSV, XLSX and PDF, follows a large
export to its download, and asks the audit view who saw a patient last week."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import PatientAccessLog
from tests.booking.factories import AppointmentFactory
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }


def noon(days_ago: int) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def download(page, name: str):
    with page.expect_download() as info:
        page.get_by_role("link", name=name).click()
    return info.value


def test_manager_reports_exports_and_audit(
    page, login, manager, therapist, front_desk, location, settings, private_storage, monkeypatch
):
    for days_ago, status in ((3, "completed"), (4, "no_show"), (5, "completed")):
        AppointmentFactory(
            therapist=therapist, location=location, status=status, starts_at=noon(days_ago)
        )
    patient = PatientFactory(first_name="Iris", last_name="Quill")
    seen = PatientAccessLog.objects.create(patient=patient, user=therapist)
    PatientAccessLog.objects.filter(pk=seen.pk).update(accessed_at=noon(2))

    login(manager.username)
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Reports").click()
    page.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_role("link", name=re.compile("^Activity")).click()
    page.get_by_label("Location").select_option(label=location.name)
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("img", name="Activity chart")).to_be_visible()
    # Drawn by static/js/charts.js (no inline script under the CSP).
    assert page.evaluate("() => !!Chart.getChart(document.getElementById('report-chart'))")
    expect(page.get_by_role("cell", name="33.3%")).to_be_visible()  # one no-show in three
    assert download(page, "Export CSV").suggested_filename.endswith(".csv")
    assert download(page, "Export XLSX").suggested_filename.endswith(".xlsx")
    pdf = download(page, "Export PDF")
    with open(pdf.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"

    for title in ("Sessions", "Outcomes", "Safety", "Overrides", "Compliance"):
        page.goto("/reports/")
        page.get_by_role("link", name=re.compile(f"^{title}")).click()
        page.get_by_label("Therapist").select_option(
            label=therapist.get_full_name() or therapist.username
        )
        page.get_by_role("button", name="Apply filters").click()
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        assert download(page, "Export CSV").suggested_filename.endswith(".csv")
    page.goto("/reports/safety/")
    expect(page.get_by_role("img", name="Safety chart")).to_be_visible()
    assert download(page, "Export PDF").suggested_filename.endswith(".pdf")

    # A large export: over the threshold it becomes a job; the page polls its progress.
    settings.REPORTS_EXPORT_ASYNC_ROWS = 2
    queued = []
    monkeypatch.setattr(
        "clinic.reports.tasks.export_job_run_task.apply_async",
        lambda args, **options: queued.append(args[0]),
    )
    page.goto("/reports/activity/")
    page.get_by_role("link", name="Export CSV").click()
    expect(page.get_by_text("Status: Waiting")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Export progress")).to_have_attribute(
        "aria-valuenow", "0"
    )
    from clinic.reports.jobs import export_job_run

    assert export_job_run(job_id=queued[0]) == "done"
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Export progress")).to_have_attribute(
        "aria-valuenow", "100"
    )
    csv_file = download(page, "Download CSV")
    with open(csv_file.path(), encoding="utf-8") as handle:
        assert len(handle.read().strip().splitlines()) == 4

    # Who saw this patient last week?
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Reports").click()
    page.get_by_role("link", name="Audit").click()
    page.get_by_label("From").fill((timezone.localdate() - dt.timedelta(days=7)).isoformat())
    page.get_by_label("Patient ID").fill(str(patient.pk))
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text(f"({therapist.username}): 1 time")).to_be_visible()
    assert download(page, "Export XLSX").suggested_filename.endswith(".xlsx")
    page.get_by_label("Patient ID").fill("not-an-id")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("Enter a valid UUID.")).to_be_visible()
