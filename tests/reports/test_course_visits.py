"""PostgreSQL: the outcomes report works out the courses across an edge of its range from
the course rows' visit arrays, and finds those across its start through the GiST index of
the courses' spans.

With the two dates alone (``last_day >= start AND first_day < start``) the planner multiplies
two independent guesses and expected about four times too many courses across the start; once
the report read the visit arrays from the table, that estimate made it read the whole table
(32 ms at 100% scale; docs/performance.md, issue 16, fifth pass). The index of the spans has
statistics of its own (of a range expression), so its estimate is close and the planner uses
it by itself. The values are checked against the rows in ``test_course_rollups``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.reports.filters import Filters
from clinic.reports.sessions import OutcomesReport

pytestmark = pytest.mark.django_db

COURSES = 20_000


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the visit arrays and the span index are PostgreSQL's")


def outcomes_sql(f: Filters) -> tuple[str, list]:
    with CaptureQueriesContext(connection) as queries:
        OutcomesReport().page(f)
    (sql,) = [q["sql"] for q in queries.captured_queries if "report_course" in q["sql"]]
    return sql


@pytest.fixture
def many_courses():
    """COURSES course rows of 6 to 18 weekly visits, starting any day of eight years, then
    ANALYZE: the shape of a clinic's courses (the table has no foreign keys to satisfy)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO report_course (plan_id, first_day, last_day, sessions, nprs_first, "
            "nprs_last, location_id, practitioner_id, plan_status, plan_practitioner_id, "
            "condition_code, condition_text, visit_days, before_next, before_next_day, "
            "after_prev, after_prev_day) "
            "SELECT gen_random_uuid(), c.first, c.first + 7 * (c.n - 1), c.n, 7, 3, 1, 1, "
            "'approved', 1, 'M54.2', 'Cervicalgia', d.days, d.befores, d.days, d.afters, "
            "d.days FROM (SELECT DATE '2019-01-01' + (i * 2917 / %s) AS first, "
            "6 + i %% 13 AS n FROM generate_series(1, %s) AS i) AS c, LATERAL (SELECT "
            "ARRAY_AGG(c.first + 7 * k ORDER BY k) AS days, ARRAY_AGG(7::smallint) AS befores, "
            "ARRAY_AGG(3::smallint) AS afters FROM generate_series(0, c.n - 1) AS k) AS d",
            [COURSES, COURSES],
        )
        cursor.execute("ANALYZE report_course")


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_courses_across_the_start_are_found_through_the_span_index(many_courses):
    f = Filters(start=dt.date(2025, 12, 8), end=dt.date(2026, 12, 7))
    plan = _plan(outcomes_sql(f))
    # Nothing forbidden: the planner's own choice, from its own estimate. (How it reads the
    # courses wholly inside the range is not this test's business: in a table just filled,
    # with no visibility map, a scan of the table can beat the index.)
    assert "report_course_span" in plan, plan
    lines = plan.splitlines()
    for n, line in enumerate(lines):
        if "Seq Scan on report_course" in line:
            assert "first_day < " not in lines[n + 1], plan  # not the courses across the start


def test_without_filters_no_note_is_read():
    # Every course across an edge comes from its visit arrays.
    sql = outcomes_sql(Filters(start=dt.date(2025, 12, 8), end=dt.date(2026, 12, 7)))
    assert "needling_sessionrecord" not in sql
    assert "width_bucket" in sql


def test_under_a_location_filter_only_courses_at_several_locations_read_their_notes():
    sql = outcomes_sql(Filters(start=dt.date(2025, 12, 8), end=dt.date(2026, 12, 7), location_id=1))
    assert "width_bucket" in sql
    notes = [part for part in sql.split(" UNION ALL ") if "needling_sessionrecord" in part]
    assert len(notes) == 1
    assert '"report_course"."location_id" IS NULL' in notes[0]
