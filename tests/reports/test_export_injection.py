"""Spreadsheet (CSV/formula) injection: exported text that a spreadsheet would run as a
formula is shown as text instead, in CSV and XLSX, downloaded at once or as a job; numbers
stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from clinic.reports import exports
from clinic.reports.base import Report
from clinic.reports.filters import Filters
from clinic.reports.models import ExportJob
from tests.booking.factories import AppointmentFactory
from tests.factories import PatientFactory

JUNE = Filters(start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30))
NAME = '=HYPERLINK("x")'
ATTACKS = [NAME, "+1+2", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


class Rows(Report):
    """A report of fixed rows, to put every formula start and every number kind in a cell."""

    slug = "fixed"
    title = "Fixed"
    columns = ("text", "int", "decimal", "float")

    def __init__(self, rows):
        self._rows = rows

    def rows(self, filters):
        return iter(self._rows)


FIXED = [(text, -3, Decimal("-1.5"), -0.25) for text in ATTACKS] + [("plain, safe", 0, 1, 2.5)]


def test_csv_prefixes_formula_text_with_an_apostrophe_and_leaves_numbers_alone():
    buffer = io.BytesIO()
    exports.write_csv(Rows(FIXED), JUNE, buffer)
    lines = list(csv.reader(io.StringIO(buffer.getvalue().decode(), newline="")))
    assert [row[0] for row in lines[1:]] == ["'" + a for a in ATTACKS] + ["plain, safe"]
    assert {tuple(row[1:]) for row in lines[1:-1]} == {("-3", "-1.5", "-0.25")}
    streamed = "".join(exports.csv_stream(Rows(FIXED), JUNE))
    assert streamed == buffer.getvalue().decode()


def test_xlsx_writes_formula_text_as_quoted_text_cells_and_numbers_as_numbers(tmp_path):
    path = tmp_path / "fixed.xlsx"
    exports.write_xlsx(Rows(FIXED), JUNE, path)
    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # not one formula in the file
    rows = list(load_workbook(path).active.iter_rows(min_row=2))
    texts = [row[0] for row in rows]
    # The text is kept as typed (no visible apostrophe), typed as text with the quote prefix.
    assert [c.value for c in texts] == ATTACKS + ["plain, safe"]
    assert [(c.data_type, c.quotePrefix) for c in texts[:-1]] == [("s", True)] * len(ATTACKS)
    assert {(r[1].value, r[2].value, r[3].value) for r in rows[:-1]} == {(-3, -1.5, -0.25)}
    assert {r[1].data_type for r in rows} == {"n"}


@pytest.fixture
def hostile_visit(frozen, therapist, location):
    patient = PatientFactory(last_name=NAME, first_name="-2+3")
    AppointmentFactory(
        patient=patient,
        therapist=therapist,
        location=location,
        status="completed",
        starts_at=dt.datetime(2026, 6, 10, 17, tzinfo=dt.UTC),
    )
    return patient


def _csv_patients(body: bytes) -> list[str]:
    lines = list(csv.reader(io.StringIO(body.decode(), newline="")))
    column = lines[0].index("Patient")
    return [row[column] for row in lines[1:]]


def _xlsx_patients(body: bytes):
    workbook = load_workbook(io.BytesIO(body))
    rows = list(workbook.active.iter_rows())
    column = [c.value for c in rows[0]].index("Patient")
    return [row[column] for row in rows[1:]]


QUERY = {"start": "2026-06-01", "end": "2026-06-30"}


@pytest.mark.django_db
def test_a_patient_named_as_a_formula_downloads_as_text(hostile_visit, manager_client):
    url = reverse("reports:export", kwargs={"slug": "activity", "format": "csv"})
    response = manager_client.get(url, QUERY)
    assert response.status_code == 200
    assert _csv_patients(b"".join(response.streaming_content)) == [f"'{NAME}, -2+3"]

    url = reverse("reports:export", kwargs={"slug": "activity", "format": "xlsx"})
    response = manager_client.get(url, QUERY)
    assert response.status_code == 200
    (cell,) = _xlsx_patients(response.content)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (f"{NAME}, -2+3", "s", True)


@pytest.mark.django_db
@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_a_patient_named_as_a_formula_is_text_in_a_background_export(
    format, hostile_visit, manager_client, settings, django_capture_on_commit_callbacks
):
    settings.REPORTS_EXPORT_ASYNC_ROWS = 0  # every export becomes a job
    url = reverse("reports:export", kwargs={"slug": "activity", "format": format})
    with django_capture_on_commit_callbacks(execute=True):
        assert manager_client.get(url, QUERY).status_code == 302
    job = ExportJob.objects.get()
    assert job.status == "done"
    download = manager_client.get(reverse("reports:job_download", kwargs={"pk": job.pk}))
    body = b"".join(download.streaming_content)
    if format == "csv":
        assert _csv_patients(body) == [f"'{NAME}, -2+3"]
    else:
        (cell,) = _xlsx_patients(body)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (f"{NAME}, -2+3", "s", True)
