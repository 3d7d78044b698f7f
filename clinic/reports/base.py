"""The report framework: each report streams its rows and summarises them for a page.

A report is a small object with `columns`, `rows(filters)` (an iterator of tuples, streamed
from the database with `.iterator()` so exports stay flat in memory), `count(filters)` and
`page(filters)` (the numbers, chart and table the page shows, in a fixed number of queries).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from clinic.reports.filters import Filters

CHUNK = 2000
PAGE_ROWS = 100


class Report:
    slug: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str] = ""
    permission: ClassVar[str] = "clinic.view_reports"
    audit: ClassVar[bool] = False  # audit views filter by patient and user
    pdf: ClassVar[bool] = False
    columns: ClassVar[tuple[str, ...]]

    def rows(self, filters: Filters) -> Iterator[tuple]:
        raise NotImplementedError

    def count(self, filters: Filters) -> int:
        raise NotImplementedError

    def page(self, filters: Filters) -> dict:
        """{"summary": [(label, value)], "chart": {...} | None, "table": {...}}."""
        raise NotImplementedError


REGISTRY: dict[str, Report] = {}


def register(cls: type[Report]) -> type[Report]:
    REGISTRY[cls.slug] = cls()
    return cls


def rate(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "–"
