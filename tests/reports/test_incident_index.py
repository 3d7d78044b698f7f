"""The safety report's two lists read their partial indexes: the needle-count incidents in
ORDER BY order, the major events from the index of major events.

On the index over session_date alone PostgreSQL preferred walking session_report_idx in
(session_date, id) order and filtering every note of the year, because it expects most notes
to match `needles_opened <> needles_disposed` (65 ms at 100,000 notes to find none; see
docs/performance.md). The partial index now has the list's order, (session_date, id).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.reports.filters import Filters
from clinic.reports.sessions import SafetyReport

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("partial-index plans are PostgreSQL's")


def incident_list_sql() -> str:
    f = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    with CaptureQueriesContext(connection) as queries:
        SafetyReport().page(f)
    (sql,) = [
        q["sql"]
        for q in queries.captured_queries
        if "needle_incident_note" in q["sql"] and "LIMIT" in q["sql"]
    ]
    return sql


def test_the_incident_list_is_read_in_order_from_the_partial_index():
    sql = incident_list_sql()
    with connection.cursor() as cursor:
        # Forbid every other way to produce the rows in order (a scan of another index, a
        # sort after the partial index): the plan shows whether the partial index can serve
        # the WHERE and the ORDER BY ... LIMIT on its own.
        for setting in ("seqscan", "sort", "incremental_sort", "bitmapscan"):
            cursor.execute(f"SET LOCAL enable_{setting} = off")
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'needling_sessionrecord'"
        )
        others = [name for (name,) in cursor.fetchall() if name != "session_needle_incident_idx"]
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using session_needle_incident_idx" in plan, plan
    assert "Sort" not in plan, plan
    assert not [name for name in others if f" {name} " in plan], plan


def test_the_major_event_list_reads_the_partial_index_of_major_events():
    # Major events are rare: without the partial index the list read every adverse
    # event (a sequential scan, ~20 ms at a million notes; docs/performance.md).
    f = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    with CaptureQueriesContext(connection) as queries:
        SafetyReport().page(f)
    (sql,) = [
        q["sql"] for q in queries.captured_queries if '"is_major"' in q["sql"].split("WHERE")[-1]
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "adverse_major_idx" in plan, plan
