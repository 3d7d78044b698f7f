"""Export writers: CSV and XLSX stream a report's rows as they come; PDF renders the page.

`write_csv(report, filters, fileobj)` and `write_xlsx(report, filters, path)` are the
functions the benchmark calls: rows come from `.iterator()` (values_list, no per-row query)
and are written one by one, so memory stays flat however many rows there are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Callable, Iterator

from django.template.loader import render_to_string
from django.utils import timezone

from clinic.reports.base import Report
from clinic.reports.filters import Filters

PROGRESS_EVERY = 1000

Progress = Callable[[int], None] | None


# OWASP "CSV injection": a spreadsheet reads a cell starting with one of these as a formula.
FORMULA_STARTS = frozenset("=+-@\t\r")


def is_formula_like(value) -> bool:
    """Text a spreadsheet would run as a formula. Numbers (-3) are never formula-like."""
    return isinstance(value, str) and value[:1] in FORMULA_STARTS


def _cell(value):
    """CSV cell: formula-like text gets a leading apostrophe, so it is shown, never run."""
    if is_formula_like(value):
        return "'" + value
    return value


def _tracked(rows: Iterator[tuple], progress: Progress) -> Iterator[tuple]:
    n = 0
    for row in rows:
        yield row
        n += 1
        if progress and n % PROGRESS_EVERY == 0:
            progress(n)
    if progress:
        progress(n)


def write_csv(report: Report, filters: Filters, fileobj, *, progress: Progress = None) -> int:
    """Write the report as CSV to a text or binary file object; returns the number of rows."""
    text = (
        fileobj
        if isinstance(fileobj, io.TextIOBase)
        else io.TextIOWrapper(fileobj, encoding="utf-8", newline="", write_through=True)
    )
    writer = csv.writer(text)
    writer.writerow(report.columns)
    n = 0
    for row in _tracked(report.rows(filters), progress):
        writer.writerow([_cell(v) for v in row])
        n += 1
    text.flush()
    if text is not fileobj:
        text.detach()
    return n


def csv_stream(report: Report, filters: Filters) -> Iterator[str]:
    """CSV lines for a StreamingHttpResponse (small exports download at once)."""

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    yield writer.writerow(report.columns)
    for row in report.rows(filters):
        yield writer.writerow([_cell(v) for v in row])


def write_xlsx(report: Report, filters: Filters, path, *, progress: Progress = None) -> int:
    """Write the report as XLSX (openpyxl write-only mode) to `path`; returns the row count."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=report.title[:31])
    sheet.append([_xlsx_value(sheet, c) for c in report.columns])
    n = 0
    for row in _tracked(report.rows(filters), progress):
        sheet.append([_xlsx_value(sheet, v) for v in row])
        n += 1
    workbook.save(path)
    return n


def _xlsx_text(sheet, value: str):
    """Formula-like text as a text cell (never a formula) with Excel's quote prefix, so that
    editing the cell keeps it text. The value itself is unchanged: no visible apostrophe."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _xlsx_value(sheet, value):
    if is_formula_like(value):
        return _xlsx_text(sheet, str(value))
    kind = type(value)
    if kind is dt.datetime and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    if kind is uuid.UUID:
        return str(value)
    return value


def write_pdf(report: Report, filters: Filters, fileobj, *, base_url: str = "/") -> int:
    """The report page (summary and table) as a PDF (WeasyPrint). Reports with pdf=True only."""
    from weasyprint import HTML

    page = report.page(filters)
    html = render_to_string(
        "pdf/report.html",
        {"report": report, "filters": filters, "page": page, "generated_at": timezone.localtime()},
    )
    HTML(string=html, base_url=base_url).write_pdf(fileobj)
    return len(page["table"]["rows"])
