"""The catalogue of reports: every report module registers its reports here.

Views, exports and jobs look reports up by slug through this module; the report modules
themselves (clinic.reports.reports, clinic.reports.sessions) only define them.
"""

from __future__ import annotations

from clinic.reports import reports, sessions  # noqa: F401 - importing them registers the reports
from clinic.reports.base import REGISTRY, Report


def get_report(slug: str) -> Report | None:
    return REGISTRY.get(slug)


def all_reports() -> list[Report]:
    return list(REGISTRY.values())
