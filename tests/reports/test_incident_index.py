"""The safety report's two lists read their partial indexes: the needle-count incidents in
ORDER BY order, the major events from the index of major events.

The incident list first tested `needles_opened <> needles_disposed`, a comparison of two
columns that PostgreSQL cannot estimate: it expected nearly every note of the year to match,
and walked another index in date order filtering them all instead of reading the partial
index (36 ms at a million notes to find none; docs/performance.md). It now tests columns
that have statistics (a signed note whose counts differ always carries an incident note), so
after ANALYZE the planner knows the incidents are few and reads the partial index by itself.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.reports.filters import Filters
from clinic.reports.sessions import SafetyReport

pytestmark = pytest.mark.django_db

CLONES = 400


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


def _columns(model, skip: set[str]) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column not in skip]


@pytest.fixture
def signed_notes(therapist, location):
    """CLONES + 1 signed notes without an incident, a day apart in 2026, then ANALYZE: the
    statistics a clinic's database has (one note signed through the services, copied in SQL
    with appointments of their own)."""
    from clinic.booking.models import Appointment
    from needling.sessions.models import SessionRecord
    from tests.sessions.helpers import complete_and_sign, opened_session

    note = complete_and_sign(opened_session(therapist=therapist, location=location), therapist)
    shifted = {"starts_at", "ends_at"}
    kept = _columns(Appointment, {"id", *shifted})
    note_kept = _columns(SessionRecord, {"id", "appointment_id", "session_date"})
    with connection.cursor() as cursor:  # column names from the models, values as parameters
        cursor.execute(
            f"WITH made AS (INSERT INTO clinic_appointment ({', '.join(kept)}, starts_at, "  # noqa: S608
            f"ends_at) SELECT {', '.join(kept)}, starts_at - n * interval '1 day', "
            "ends_at - n * interval '1 day' FROM clinic_appointment, "
            "generate_series(1, %s) AS n WHERE id = %s RETURNING id, starts_at) "
            f"INSERT INTO needling_sessionrecord (id, appointment_id, session_date, "
            f"{', '.join(note_kept)}) SELECT gen_random_uuid(), made.id, "
            f"(made.starts_at AT TIME ZONE 'America/Los_Angeles')::date, "
            f"{', '.join('s.' + c for c in note_kept)} FROM made, needling_sessionrecord AS s "
            "WHERE s.id = %s",
            [CLONES, note.appointment_id, note.pk],
        )
        cursor.execute("ANALYZE needling_sessionrecord")
    assert SessionRecord.objects.filter(status="signed").count() == CLONES + 1


def test_the_planner_knows_incidents_are_few_and_reads_the_partial_index(signed_notes):
    sql = incident_list_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # Nothing forbidden: the planner's own choice, from its own estimate.
    assert "using session_incident_idx" in plan, plan
    estimate = int(plan.split("rows=", 1)[1].split()[0])
    assert estimate < 10, plan  # it expected every note of the year with the old test


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
        others = [name for (name,) in cursor.fetchall() if name != "session_incident_idx"]
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using session_incident_idx" in plan, plan
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
