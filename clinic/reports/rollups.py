# ruff: noqa: S608 - the SQL here is built from fixed table and column names, never from input
"""Report roll-ups: the triggers that keep them in step, rebuild, check, and the reads.

The tables are in ``clinic.reports.rollup_models``. Every change to a roll-up is a *delta*
worked out from the rows a statement changed: for the rows after the statement, +1 for each
count they make; for the rows before it, -1. The same SQL text serves both databases:

- PostgreSQL: ``AFTER ... FOR EACH STATEMENT`` triggers with transition tables
  (``REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows``), so one COPY of 50,000 rows or
  one bulk UPDATE is one grouped upsert, not 50,000;
- SQLite: ``AFTER ... FOR EACH ROW`` triggers, with ``new_rows``/``old_rows`` being the
  one-row relation ``(SELECT NEW.col AS col, ...)``.

A note counts an adverse event only while it is signed, and "notes with a minor (major)
event" depends on the note and all its events; so a change to a note takes its events as they
are, and a change to events takes their notes as they are, before (the events now, less the
new rows, plus the old rows) and after. Deltas are added with ``ON CONFLICT DO UPDATE SET
n = table.n + excluded.n``: concurrent writers each add their own, and the CHECK constraints
(counts >= 0) refuse a delta that would make a count negative instead of storing a wrong one.

``rollup_rebuild()`` recomputes every table from the rows (after a restore, or a change to
the definitions); ``rollup_check()`` compares the tables with a fresh count and returns the
differences (``manage.py rollups --check``). A delta that reached the rows but not the
roll-ups could only come from a trigger that was disabled, which the check would show.

The reads (``appointment_counts``, ``session_counts``, ``session_weekly``,
``session_weekly_first``, ``event_counts``) give the reports their totals: the whole weeks of
a range from the weekly tables, the other days from the daily ones (``weeks_inside``).
Appointments are rolled up per UTC day; a report's range is local days, so the whole UTC days
inside it come from the roll-ups and the partial UTC days at either edge are counted from the
appointments.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, DateField, F, Func, Q, Sum

from clinic.reports.rollup_models import (
    APPOINTMENT_COUNTS,
    SESSION_COUNTS,
    AdverseEventDay,
    AppointmentDay,
    AppointmentWeek,
    SessionDay,
    SessionWeek,
)

APPOINTMENTS = "clinic_appointment"
SESSIONS = "needling_sessionrecord"
EVENTS = "needling_adverseevent"
COLUMNS = {
    APPOINTMENTS: ("starts_at", "location_id", "therapist_id", "status"),
    SESSIONS: ("id", "session_date", "location_id", "practitioner_id", "status", "cpt_code"),
    EVENTS: ("id", "session_id", "kind", "severity", "is_major"),
}
OPS = ("insert", "update", "delete")


def _utc_day(column: str, vendor: str) -> str:
    if vendor == "postgresql":
        return f"(({column}) AT TIME ZONE 'UTC')::date"
    return f"date({column})"


def _upsert(table: str, key: tuple[str, ...], counts: tuple[str, ...], select: str) -> str:
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    columns = ", ".join((*key, *counts))
    return (
        f"INSERT INTO {table} ({columns}) {select} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
    )


def _grouped(key: tuple[str, ...], counts: tuple[str, ...], source: str) -> str:
    """SELECT key, SUM(count)... FROM (source) grouped, without the all-zero groups."""
    sums = ", ".join(f"SUM(d.{c})" for c in counts)
    nonzero = " OR ".join(f"SUM(d.{c}) <> 0" for c in counts)
    keys = ", ".join(f"d.{k}" for k in key)
    return (
        f"SELECT {keys}, {sums} FROM ({source}) AS d WHERE 1 = 1 GROUP BY {keys} HAVING {nonzero}"
    )


def week_of(day: str, vendor: str) -> str:
    """The Monday of the week of the date ``day`` (an SQL expression), in plain SQL of each
    database (a trigger must not depend on a function Django registers on its connections)."""
    if vendor == "postgresql":
        return f"(DATE_TRUNC('week', ({day})::timestamp))::date"
    return f"date({day}, '-' || ((CAST(strftime('%w', {day}) AS INTEGER) + 6) % 7) || ' days')"


def _by_week(source: str, key: tuple[str, ...], counts: tuple[str, ...], vendor: str) -> str:
    """The rows of a daily ``source`` (its key starting with ``day``) under their week."""
    rest = ", ".join(f"w.{c} AS {c}" for c in (*key[1:], *counts))
    return f"SELECT {week_of('w.day', vendor)} AS week, {rest} FROM ({source}) AS w"


def _week_key(key: tuple[str, ...]) -> tuple[str, ...]:
    return ("week", *key[1:])


# -- appointments ---------------------------------------------------------------------------

APPOINTMENT_KEY = ("day", "location_id", "therapist_id")


def _appointment_side(rows: str, sign: int, vendor: str) -> str:
    counts = ", ".join(
        f"CASE WHEN a.status = '{s}' THEN {sign} ELSE 0 END AS {s}" for s in APPOINTMENT_COUNTS
    )
    return (
        f"SELECT {_utc_day('a.starts_at', vendor)} AS day, a.location_id AS location_id, "
        f"a.therapist_id AS therapist_id, {counts} FROM {rows} AS a"
    )


def appointment_select(new: str, old: str, vendor: str, *, weekly: bool = False) -> str:
    source = f"{_appointment_side(new, 1, vendor)} UNION ALL {_appointment_side(old, -1, vendor)}"
    if weekly:
        source = _by_week(source, APPOINTMENT_KEY, APPOINTMENT_COUNTS, vendor)
        return _grouped(_week_key(APPOINTMENT_KEY), APPOINTMENT_COUNTS, source)
    return _grouped(APPOINTMENT_KEY, APPOINTMENT_COUNTS, source)


# -- session notes and adverse events -------------------------------------------------------

SESSION_KEY = ("day", "location_id", "practitioner_id")
EVENT_KEY = (*SESSION_KEY, "kind", "severity", "is_major")


def _session_side(sessions: str, events: str, sign: int) -> str:
    signed = "s.status = 'signed'"

    def has(flag: str) -> str:
        return (
            f"CASE WHEN {signed} AND EXISTS (SELECT 1 FROM {events} AS e WHERE "
            f"e.session_id = s.id AND {flag}) THEN {sign} ELSE 0 END"
        )

    return (
        "SELECT s.session_date AS day, s.location_id AS location_id, "
        "s.practitioner_id AS practitioner_id, "
        f"CASE WHEN s.status = 'draft' THEN {sign} ELSE 0 END AS drafts, "
        f"CASE WHEN {signed} THEN {sign} ELSE 0 END AS signed, "
        f"CASE WHEN {signed} AND s.cpt_code = '20560' THEN {sign} ELSE 0 END AS cpt_20560, "
        f"CASE WHEN {signed} AND s.cpt_code = '20561' THEN {sign} ELSE 0 END AS cpt_20561, "
        f"{has('NOT e.is_major')} AS minor_sessions, "
        f"{has('e.is_major')} AS major_sessions "
        f"FROM {sessions} AS s"
    )


def session_select(
    after: tuple[str, str], before: tuple[str, str], vendor: str = "", *, weekly: bool = False
) -> str:
    """(sessions, events) after the statement, and before it; per week when ``weekly``."""
    source = f"{_session_side(*after, 1)} UNION ALL {_session_side(*before, -1)}"
    if weekly:
        source = _by_week(source, SESSION_KEY, SESSION_COUNTS, vendor)
        return _grouped(_week_key(SESSION_KEY), SESSION_COUNTS, source)
    return _grouped(SESSION_KEY, SESSION_COUNTS, source)


def _event_side(sessions: str, events: str, sign: int) -> str:
    return (
        "SELECT s.session_date AS day, s.location_id AS location_id, "
        "s.practitioner_id AS practitioner_id, e.kind AS kind, e.severity AS severity, "
        f"e.is_major AS is_major, {sign} AS events "
        f"FROM {sessions} AS s JOIN {events} AS e ON e.session_id = s.id "
        "WHERE s.status = 'signed'"
    )


def event_select(after: tuple[str, str], before: tuple[str, str]) -> str:
    source = f"{_event_side(*after, 1)} UNION ALL {_event_side(*before, -1)}"
    return _grouped(EVENT_KEY, ("events",), source)


# -- the statements a trigger runs ----------------------------------------------------------


def _empty(table: str) -> str:
    return f"(SELECT {', '.join(COLUMNS[table])} FROM {table} WHERE 1 = 0)"


def _row(prefix: str, table: str) -> str:
    """SQLite: the NEW or OLD row as a one-row relation."""
    return "(SELECT " + ", ".join(f"{prefix}.{c} AS {c}" for c in COLUMNS[table]) + ")"


def _relations(table: str, op: str, vendor: str) -> tuple[str, str]:
    postgres = vendor == "postgresql"
    new = ("new_rows" if postgres else _row("NEW", table)) if op != "delete" else _empty(table)
    old = ("old_rows" if postgres else _row("OLD", table)) if op != "insert" else _empty(table)
    return new, old


def _session_upserts(after: tuple[str, str], before: tuple[str, str], vendor: str, weeks: bool):
    """The session notes' daily upsert, and its weekly one when ``weeks``."""
    sql = [
        _upsert("report_session_day", SESSION_KEY, SESSION_COUNTS, session_select(after, before))
    ]
    if weeks:
        sql.append(
            _upsert(
                "report_session_week",
                _week_key(SESSION_KEY),
                SESSION_COUNTS,
                session_select(after, before, vendor, weekly=True),
            )
        )
    return sql


def trigger_statements(
    table: str,
    op: str,
    vendor: str,
    *,
    courses: bool = True,
    weeks: bool = True,
    visits: bool = True,
) -> list[str]:
    """The SQL statements the trigger on ``table`` for ``op`` runs (both databases); without
    the course table's when ``courses`` is false, without the weekly tables' when ``weeks``
    is false and without the courses' visit arrays when ``visits`` is false (the migrations
    that came before them)."""
    new, old = _relations(table, op, vendor)
    if table == APPOINTMENTS:
        sql = [
            _upsert(
                "report_appointment_day",
                APPOINTMENT_KEY,
                APPOINTMENT_COUNTS,
                appointment_select(new, old, vendor),
            )
        ]
        if weeks:
            sql.append(
                _upsert(
                    "report_appointment_week",
                    _week_key(APPOINTMENT_KEY),
                    APPOINTMENT_COUNTS,
                    appointment_select(new, old, vendor, weekly=True),
                )
            )
        return sql
    if table == SESSIONS:
        return [
            *(course_statements(op, vendor, visits=visits) if courses else []),
            *_session_upserts((new, EVENTS), (old, EVENTS), vendor, weeks),
            _upsert(
                "report_adverse_event_day",
                EVENT_KEY,
                ("events",),
                event_select((new, EVENTS), (old, EVENTS)),
            ),
        ]
    # Adverse events: their notes as they are; the events before = now - new + old.
    touched = f"(SELECT n.session_id FROM {new} AS n UNION SELECT o.session_id FROM {old} AS o)"
    notes = f"(SELECT * FROM {SESSIONS} WHERE id IN {touched})"
    before = (
        f"(SELECT id, session_id, is_major FROM {EVENTS} WHERE session_id IN {touched} "
        f"AND id NOT IN (SELECT n.id FROM {new} AS n) "
        f"UNION ALL SELECT o.id, o.session_id, o.is_major FROM {old} AS o)"
    )
    return [
        *_session_upserts((notes, EVENTS), (notes, before), vendor, weeks),
        _upsert(
            "report_adverse_event_day",
            EVENT_KEY,
            ("events",),
            event_select((SESSIONS, new), (SESSIONS, old)),
        ),
    ]


def _course_source_triggers(vendor: str, courses: bool, visits: bool = True) -> list[str]:
    """The triggers on plans and conditions that rewrite the courses of the plans an update
    touched; dropped when ``courses`` is false."""
    sql = []
    for table in COURSE_SOURCES:
        name = f"report_course_{table}_update"
        if vendor == "postgresql":
            sql.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            sql.append(f"DROP FUNCTION IF EXISTS {name}()")
            if not courses:
                continue
            body = ";\n".join(course_statements("update", vendor, table, visits=visits))
            sql.append(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{body};\nRETURN NULL;\nEND;\n$$"
            )
            sql.append(
                f"CREATE TRIGGER {name} AFTER UPDATE ON {table} REFERENCING NEW TABLE AS "
                f"new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
        else:
            sql.append(f"DROP TRIGGER IF EXISTS {name}")
            if not courses:
                continue
            body = ";\n".join(course_statements("update", vendor, table))
            sql.append(
                f"CREATE TRIGGER {name} AFTER UPDATE ON {table} FOR EACH ROW BEGIN\n{body};\nEND"
            )
    return sql


def _postgres_install(courses: bool, weeks: bool, visits: bool) -> list[str]:
    sql = []
    for table in COLUMNS:
        for op in OPS:
            name = f"report_rollup_{table}_{op}"
            body = ";\n".join(
                trigger_statements(
                    table, op, "postgresql", courses=courses, weeks=weeks, visits=visits
                )
            )
            refs = {
                "insert": "NEW TABLE AS new_rows",
                "update": "NEW TABLE AS new_rows OLD TABLE AS old_rows",
                "delete": "OLD TABLE AS old_rows",
            }[op]
            sql.append(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{body};\nRETURN NULL;\nEND;\n$$"
            )
            sql.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            sql.append(
                f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} REFERENCING {refs} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    return sql + _course_source_triggers("postgresql", courses, visits)


def _sqlite_install(courses: bool, weeks: bool) -> list[str]:
    sql = []
    for table in COLUMNS:
        for op in OPS:
            name = f"report_rollup_{table}_{op}"
            body = ";\n".join(trigger_statements(table, op, "sqlite", courses=courses, weeks=weeks))
            sql.append(f"DROP TRIGGER IF EXISTS {name}")
            sql.append(
                f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} FOR EACH ROW BEGIN\n"
                f"{body};\nEND"
            )
    return sql + _course_source_triggers("sqlite", courses)


def install_sql(
    vendor: str, *, courses: bool = True, weeks: bool = True, visits: bool = True
) -> list[str]:
    """The triggers as they are now; without the course roll-up's statements (``courses``),
    the weekly tables' (``weeks``) or the courses' visit arrays (``visits``, PostgreSQL) for
    the migrations that came before them."""
    if vendor == "postgresql":
        return _postgres_install(courses, weeks, visits)
    return _sqlite_install(courses, weeks)


def uninstall_sql(vendor: str) -> list[str]:
    sql = []
    for table in COLUMNS:
        for op in OPS:
            name = f"report_rollup_{table}_{op}"
            if vendor == "postgresql":
                sql.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                sql.append(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                sql.append(f"DROP TRIGGER IF EXISTS {name}")
    return sql + _course_source_triggers(vendor, courses=False)


# -- treatment courses (one row per plan) ---------------------------------------------------

COURSES = "report_course"
COURSE_COLUMNS = (
    "plan_id",
    "first_day",
    "last_day",
    "sessions",
    "nprs_first",
    "nprs_last",
    "location_id",
    "practitioner_id",
    "plan_status",
    "plan_practitioner_id",
    "condition_code",
    "condition_text",
)


PLANS = "needling_treatmentplan"
CONDITIONS = "patients_condition"
# The tables whose updates change what a course row carries of its plan (its status, its
# therapist) and of the plan's condition (code and text): their triggers rewrite the courses
# of the plans touched. Inserts make no course (a new plan has no notes; a condition is
# recorded before its plan) and deletes cannot reach one (notes protect their plan).
COURSE_SOURCES = (PLANS, CONDITIONS)


# PostgreSQL only: each course's signed notes in order (day, time written, id), as arrays of
# one element per note, so that the outcomes report finds what the notes of a course inside any
# range give without reading them. Not model fields (SQLite has no arrays): only the triggers,
# the rebuild and the report's SQL touch them.
#   visit_days       the notes' days, sorted (a binary search finds a range's first and last)
#   before_next      the first NPRS before recorded on this note or a later one
#   before_next_day  the day of that note
#   after_prev       the last NPRS after recorded on this note or an earlier one
#   after_prev_day   the day of that note
VISIT_COLUMNS = ("visit_days", "before_next", "before_next_day", "after_prev", "after_prev_day")


def course_columns(vendor: str, *, visits: bool = True) -> tuple[str, ...]:
    """The course table's columns the triggers write: with the visit arrays on PostgreSQL
    (``visits`` false: as before clinic 0014, which added them)."""
    return COURSE_COLUMNS + (VISIT_COLUMNS if visits and vendor == "postgresql" else ())


def _nprs(column: str, direction: str) -> str:
    """The plan's first (ASC) or last (DESC) ``column`` that is recorded on a signed note."""
    order = ", ".join(f"x.{c} {direction}" for c in ("session_date", "created_at", "id"))
    return (
        f"(SELECT x.{column} FROM {SESSIONS} AS x WHERE x.plan_id = s.plan_id "
        f"AND x.status = 'signed' AND x.{column} IS NOT NULL ORDER BY {order} LIMIT 1)"
    )


_COURSE_GROUPS = (
    "CASE WHEN MIN(s.location_id) = MAX(s.location_id) THEN MIN(s.location_id) END, "
    "CASE WHEN MIN(s.practitioner_id) = MAX(s.practitioner_id) "
    "THEN MIN(s.practitioner_id) END, "
    "p.status, p.practitioner_id, c.icd10_code, c.description"
)
_COURSE_JOINS = (
    f"JOIN {PLANS} AS p ON p.id = s.plan_id JOIN {CONDITIONS} AS c ON c.id = p.condition_id"
)
_COURSE_GROUP_BY = "GROUP BY s.plan_id, p.status, p.practitioner_id, c.icd10_code, c.description"


def _filled_notes(only: str) -> str:
    """Signed notes of plans, each with the first NPRS before recorded on it or after it and
    the last NPRS after recorded on it or before it, and those notes' days (PostgreSQL).

    A running count of the recorded NPRS before, from the last note back, is the same for a
    note and the notes up to the next recorded one, and only that one in the run has it
    recorded: the run's maximum is the value filled back. The NPRS after is filled forward
    the same way, with the count from the first note on."""
    asc = "s.session_date, s.created_at, s.id"
    desc = "s.session_date DESC, s.created_at DESC, s.id DESC"
    counted = (
        "SELECT s.plan_id, s.session_date, s.created_at, s.id, s.location_id, "
        "s.practitioner_id, s.nprs_before, s.nprs_after, "
        f"COUNT(s.nprs_before) OVER (PARTITION BY s.plan_id ORDER BY {desc}) AS run_before, "
        f"COUNT(s.nprs_after) OVER (PARTITION BY s.plan_id ORDER BY {asc}) AS run_after "
        f"FROM {SESSIONS} AS s WHERE s.status = 'signed' AND s.plan_id IS NOT NULL{only}"
    )
    before = "PARTITION BY s.plan_id, s.run_before"
    after = "PARTITION BY s.plan_id, s.run_after"
    return (
        "SELECT s.*, "
        f"MAX(s.nprs_before) OVER ({before}) AS b_next, "
        "MAX(CASE WHEN s.nprs_before IS NOT NULL THEN s.session_date END) "
        f"OVER ({before}) AS b_next_day, "
        f"MAX(s.nprs_after) OVER ({after}) AS a_prev, "
        "MAX(CASE WHEN s.nprs_after IS NOT NULL THEN s.session_date END) "
        f"OVER ({after}) AS a_prev_day "
        f"FROM ({counted}) AS s"
    )


def course_select(plans: str | None, vendor: str, *, visits: bool = True) -> str:
    """Each plan's course over all its signed notes, with what the outcomes report groups
    and filters it by (the plan's status and therapist, its condition's code and text), and
    on PostgreSQL the visit arrays (``VISIT_COLUMNS``; not with ``visits`` false); only the
    plans in ``plans`` (a subquery of plan ids) when given."""
    only = f" AND s.plan_id IN {plans}" if plans else ""
    if visits and vendor == "postgresql":
        asc = "s.session_date, s.created_at, s.id"
        desc = "s.session_date DESC, s.created_at DESC, s.id DESC"
        return (
            "SELECT s.plan_id, MIN(s.session_date), MAX(s.session_date), COUNT(*), "
            f"(ARRAY_AGG(s.b_next ORDER BY {asc}))[1], (ARRAY_AGG(s.a_prev ORDER BY {desc}))[1], "
            f"{_COURSE_GROUPS}, "
            f"ARRAY_AGG(s.session_date ORDER BY {asc}), ARRAY_AGG(s.b_next ORDER BY {asc}), "
            f"ARRAY_AGG(s.b_next_day ORDER BY {asc}), ARRAY_AGG(s.a_prev ORDER BY {asc}), "
            f"ARRAY_AGG(s.a_prev_day ORDER BY {asc}) "
            f"FROM ({_filled_notes(only)}) AS s {_COURSE_JOINS} {_COURSE_GROUP_BY}"
        )
    return (
        "SELECT s.plan_id, MIN(s.session_date), MAX(s.session_date), COUNT(*), "
        f"{_nprs('nprs_before', 'ASC')}, {_nprs('nprs_after', 'DESC')}, {_COURSE_GROUPS} "
        f"FROM {SESSIONS} AS s {_COURSE_JOINS} "
        f"WHERE s.status = 'signed' AND s.plan_id IS NOT NULL{only} {_COURSE_GROUP_BY}"
    )


def course_insert(plans: str | None, vendor: str, *, visits: bool = True) -> str:
    """INSERT of the courses of ``plans`` (every plan's when None) into the course table."""
    columns = ", ".join(course_columns(vendor, visits=visits))
    return f"INSERT INTO {COURSES} ({columns}) {course_select(plans, vendor, visits=visits)}"


def _touched_plans(table: str, op: str, vendor: str) -> str:
    """The ids of the plans whose courses a statement on ``table`` may have changed."""
    postgres = vendor == "postgresql"
    sides = {"insert": ["new"], "update": ["new", "old"], "delete": ["old"]}[op]
    relations = [(f"{side}_rows" if postgres else side.upper()) for side in sides]

    def ids(column: str) -> str:
        if postgres:
            return " UNION ".join(f"SELECT {column} FROM {r}" for r in relations)
        return " UNION ".join(f"SELECT {r}.{column}" for r in relations)

    if table == SESSIONS:
        return f"({ids('plan_id')})"
    if table == PLANS:
        return f"({ids('id')})"
    return f"(SELECT id FROM {PLANS} WHERE condition_id IN ({ids('id')}))"


def course_statements(
    op: str, vendor: str, table: str = SESSIONS, *, visits: bool = True
) -> list[str]:
    """Rewrite the courses of the plans a statement on notes (or plans, or conditions)
    touched. On PostgreSQL the plan rows are locked first (FOR NO KEY UPDATE, which a note's
    foreign key check does not wait for), so two transactions writing notes of one plan
    rewrite its course one after the other, the second from a fresh snapshot that has the
    first one's notes."""
    plans = _touched_plans(table, op, vendor)
    sql = []
    if vendor == "postgresql":
        sql.append(
            f"PERFORM 1 FROM needling_treatmentplan WHERE id IN {plans} "
            "ORDER BY id FOR NO KEY UPDATE"
        )
    sql.append(f"DELETE FROM {COURSES} WHERE plan_id IN {plans}")
    sql.append(course_insert(plans, vendor, visits=visits))
    return sql


# -- rebuild and check ----------------------------------------------------------------------


def _full_selects(
    vendor: str, *, weeks: bool = True
) -> dict[str, tuple[tuple[str, ...], tuple[str, ...], str]]:
    """table -> (key, counts, SELECT of the true counts over all the rows); without the
    weekly tables when ``weeks`` is false (the migration before them)."""
    sessions = ((SESSIONS, EVENTS), (_empty(SESSIONS), EVENTS))
    selects = {
        "report_appointment_day": (
            APPOINTMENT_KEY,
            APPOINTMENT_COUNTS,
            appointment_select(APPOINTMENTS, _empty(APPOINTMENTS), vendor),
        ),
        "report_appointment_week": (
            _week_key(APPOINTMENT_KEY),
            APPOINTMENT_COUNTS,
            appointment_select(APPOINTMENTS, _empty(APPOINTMENTS), vendor, weekly=True),
        ),
        "report_session_day": (SESSION_KEY, SESSION_COUNTS, session_select(*sessions)),
        "report_session_week": (
            _week_key(SESSION_KEY),
            SESSION_COUNTS,
            session_select(*sessions, vendor, weekly=True),
        ),
        "report_adverse_event_day": (
            EVENT_KEY,
            ("events",),
            event_select((SESSIONS, EVENTS), (SESSIONS, _empty(EVENTS))),
        ),
    }
    return selects if weeks else {k: v for k, v in selects.items() if not k.endswith("_week")}


def rollup_rebuild(
    *, courses: bool = True, weeks: bool = True, only: tuple[str, ...] = ()
) -> dict[str, int]:
    """Recompute the roll-up tables from the rows, in one transaction; rows per table
    (``courses=False``, ``weeks=False``: the daily ones only, as the migration that made
    them had no course or weekly tables yet; ``only``: just these tables)."""
    written = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for table, (key, counts, select) in _full_selects(connection.vendor, weeks=weeks).items():
            if only and table not in only:
                continue
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute(f"INSERT INTO {table} ({', '.join((*key, *counts))}) {select}")
            written[table] = cursor.rowcount
        if courses and (not only or COURSES in only):
            cursor.execute(f"DELETE FROM {COURSES}")
            cursor.execute(course_insert(None, connection.vendor))
            written[COURSES] = cursor.rowcount
    return written


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple
    stored: tuple | None
    counted: tuple | None


def _plain(value):
    """A key value as both databases and both sides of the check give it."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def rollup_check(limit: int = 50) -> list[Difference]:
    """Differences between the stored roll-ups (all-zero rows left out) and a fresh count."""
    found: list[Difference] = []
    with connection.cursor() as cursor:
        for table, (key, counts, select) in _full_selects(connection.vendor).items():
            columns = ", ".join((*key, *counts))
            nonzero = " OR ".join(f"{c} <> 0" for c in counts)
            stored = f"SELECT {columns} FROM {table} WHERE {nonzero}"
            rows: dict[tuple, list] = defaultdict(lambda: [None, None])
            for side, first, second in ((0, stored, select), (1, select, stored)):
                cursor.execute(f"SELECT * FROM ({first}) AS a EXCEPT SELECT * FROM ({second}) AS b")
                for row in cursor.fetchall()[:limit]:
                    rows[tuple(_plain(v) for v in row[: len(key)])][side] = tuple(row[len(key) :])
            found += [Difference(table, k, v[0], v[1]) for k, v in sorted(rows.items(), key=str)]
        stored = f"SELECT {', '.join(course_columns(connection.vendor))} FROM {COURSES}"
        counted = course_select(None, connection.vendor)
        rows = defaultdict(lambda: [None, None])
        for side, first, second in ((0, stored, counted), (1, counted, stored)):
            cursor.execute(f"SELECT * FROM ({first}) AS a EXCEPT SELECT * FROM ({second}) AS b")
            for row in cursor.fetchall()[:limit]:
                rows[(_plain(row[0]),)][side] = tuple(_plain(v) for v in row[1:])
        found += [Difference(COURSES, k, v[0], v[1]) for k, v in sorted(rows.items(), key=str)]
    return found[:limit]


# -- reads ----------------------------------------------------------------------------------


def _utc_days(start_at: dt.datetime, end_before: dt.datetime) -> tuple[dt.date, dt.date] | None:
    """The whole UTC days inside [start_at, end_before): (first, last), or None."""
    start = start_at.astimezone(dt.UTC)
    end = end_before.astimezone(dt.UTC)
    first = start.date() if start.time() == dt.time.min else start.date() + dt.timedelta(days=1)
    last = end.date() - dt.timedelta(days=1)
    return (first, last) if first <= last else None


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def weeks_inside(first: dt.date, last: dt.date):
    """The whole weeks (Monday to Sunday) inside the days ``first`` to ``last``, as the
    Mondays of the first and last of them (or None), and the ranges of days outside them."""
    monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    sunday = last - dt.timedelta(days=(last.weekday() + 1) % 7)
    if sunday < monday:
        return None, [(first, last)]
    edges = []
    if first < monday:
        edges.append((first, monday - dt.timedelta(days=1)))
    if sunday < last:
        edges.append((sunday + dt.timedelta(days=1), last))
    return (monday, sunday - dt.timedelta(days=6)), edges


class WeekOf(Func):
    """The Monday of a date's week, as the triggers work it out (``week_of``)."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):
        day, params = compiler.compile(self.source_expressions[0])
        # A literal % doubled: the query goes through parameter formatting.
        return week_of("{day}", connection.vendor).replace("%", "%%").format(day=day), params


def _days_in(ranges) -> Q:
    q = Q()
    for first, last in ranges:
        q |= Q(day__gte=first, day__lte=last)
    return q


def _union(parts) -> tuple[str, tuple]:
    """The SQL of querysets' rows one after the other (UNION ALL), with their parameters."""
    sql, params = [], []
    for part in parts:
        part_sql, part_params = part.order_by().query.sql_with_params()
        sql.append(part_sql)
        params.extend(part_params)
    return " UNION ALL ".join(sql), tuple(params)


def _counted_rows(day_model, week_model, first, last, who: str, counts, *, location_id, who_id):
    """Rows (r_week, r_location, r_who, r_<count>...) of the days ``first`` to ``last``:
    the whole weeks from ``week_model``, the other days from ``day_model`` under their week;
    ``who`` is the therapist's column (therapist or practitioner)."""
    weeks, edges = weeks_inside(first, last)
    columns = {"r_location": F("location_id"), "r_who": F(f"{who}_id")}
    columns |= {f"r_{c}": F(c) for c in counts}
    parts = []
    if weeks:
        parts.append(
            week_model.objects.filter(week__gte=weeks[0], week__lte=weeks[1]).values(
                r_week=F("week"), **columns
            )
        )
    if edges:
        parts.append(
            day_model.objects.filter(_days_in(edges)).values(r_week=WeekOf("day"), **columns)
        )
    if location_id:
        parts = [p.filter(location_id=location_id) for p in parts]
    if who_id:
        parts = [p.filter(**{f"{who}_id": who_id}) for p in parts]
    return _union(parts)


def appointment_counts(f) -> dict[int, dict[str, int]]:
    """therapist id -> {status: count} for the filters' range (two queries): the whole UTC
    days inside it from the roll-ups (their whole weeks from the weekly table), with the
    appointments of the partial UTC days at its edges."""
    from clinic.booking.models import Appointment

    start_at, end_before = f.start_at(), f.end_before()
    whole = _utc_days(start_at, end_before)
    edges = Appointment.objects.all()
    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(APPOINTMENT_COUNTS, 0))
    if whole is None:
        edges = edges.filter(starts_at__gte=start_at, starts_at__lt=end_before)
    else:
        first, last = whole
        edges = edges.filter(
            Q(starts_at__gte=start_at, starts_at__lt=_midnight(first))
            | Q(starts_at__gte=_midnight(last + dt.timedelta(days=1)), starts_at__lt=end_before)
        )
        rows, params = _counted_rows(
            AppointmentDay, AppointmentWeek, first, last, "therapist", APPOINTMENT_COUNTS,
            location_id=f.location_id, who_id=f.therapist_id,
        )  # fmt: skip
        sums = ", ".join(f"SUM(r.r_{c})" for c in APPOINTMENT_COUNTS)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT r.r_who, {sums} FROM ({rows}) AS r GROUP BY r.r_who", params)
            for therapist_id, *counts in cursor.fetchall():
                for s, n in zip(APPOINTMENT_COUNTS, counts, strict=True):
                    totals[therapist_id][s] += int(n or 0)
    if f.location_id:
        edges = edges.filter(location_id=f.location_id)
    if f.therapist_id:
        edges = edges.filter(therapist_id=f.therapist_id)
    for row in edges.values("therapist_id", "status").annotate(n=Count("pk")):
        totals[row["therapist_id"]][row["status"]] += row["n"]
    return {k: v for k, v in totals.items() if any(v.values())}


CPT_COUNTS = ("cpt_20560", "cpt_20561")


def _session_rows(f) -> tuple[str, tuple]:
    return _counted_rows(
        SessionDay, SessionWeek, f.start, f.end, "practitioner", SESSION_COUNTS,
        location_id=f.location_id, who_id=f.therapist_id,
    )  # fmt: skip


def session_counts(f) -> dict[str, int]:
    """{drafts, signed, cpt_20560, ...} summed over the range (one query)."""
    rows, params = _session_rows(f)
    sums = ", ".join(f"SUM(r.r_{c})" for c in SESSION_COUNTS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sums} FROM ({rows}) AS r", params)
        found = cursor.fetchone()
    return {c: int(n or 0) for c, n in zip(SESSION_COUNTS, found, strict=True)}


def session_weekly(f, *, by_therapist: bool) -> list[dict]:
    """Per week (and therapist's username): sessions, signed, CPT counts (one query)."""
    from clinic.staff.models import User

    rows, params = _session_rows(f)
    sums = ", ".join(f"SUM(r.r_{c})" for c in SESSION_COUNTS)
    if by_therapist:
        user = connection.ops.quote_name(User._meta.db_table)
        sql = (
            f"SELECT r.r_week, u.username, {sums} FROM ({rows}) AS r "
            f"JOIN {user} AS u ON u.id = r.r_who GROUP BY r.r_week, u.username "
            "ORDER BY r.r_week, u.username"
        )
    else:
        sql = f"SELECT r.r_week, {sums} FROM ({rows}) AS r GROUP BY r.r_week ORDER BY r.r_week"
    group = ["week", "practitioner__username"] if by_therapist else ["week"]
    out = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            counts = {
                c: int(n or 0) for c, n in zip(SESSION_COUNTS, row[len(group) :], strict=True)
            }
            if not counts["drafts"] and not counts["signed"]:
                continue
            keys = dict(zip(group, row, strict=False))
            keys["week"] = _week(keys["week"])
            out.append({**keys, **counts})
    return out


def session_weekly_first(f, *, limit: int) -> tuple[list[dict], int, dict[str, int]]:
    """The first ``limit`` rows of ``session_weekly(f, by_therapist=True)``, how many there
    are in all, and the CPT code counts of the range (one query: grouped per week and
    therapist's id, with window sums over the groups for the number of groups and the CPT
    totals, then the names joined to the groups alone, ordered and limited; grouping by the
    username instead sorted every roll-up row of the range by its text)."""
    from clinic.staff.models import User

    rows, params = _session_rows(f)
    sums = ", ".join(f"SUM(r.r_{c}) AS n_{c}" for c in ("drafts", "signed", *CPT_COUNTS))
    groups = (
        f"SELECT r.r_week AS week, r.r_who AS who, {sums} FROM ({rows}) AS r "
        "GROUP BY r.r_week, r.r_who HAVING SUM(r.r_drafts) <> 0 OR SUM(r.r_signed) <> 0"
    )
    user = connection.ops.quote_name(User._meta.db_table)
    totals = ", ".join(f"SUM(g.n_{c}) OVER ()" for c in CPT_COUNTS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT g.week, u.username, g.n_drafts, g.n_signed, COUNT(*) OVER (), {totals} "
            f"FROM ({groups}) AS g JOIN {user} AS u ON u.id = g.who "
            "ORDER BY g.week, u.username LIMIT %s",
            (*params, limit),
        )
        found = cursor.fetchall()
    total = found[0][4] if found else 0
    cpt = {c: int(found[0][5 + i] or 0) if found else 0 for i, c in enumerate(CPT_COUNTS)}
    return (
        [
            {
                "week": _week(r[0]),
                "practitioner__username": r[1],
                "drafts": int(r[2] or 0),
                "signed": int(r[3] or 0),
            }
            for r in found
        ],
        total,
        cpt,
    )


def _week(value) -> dt.date:
    """A truncated week as the ORM gives it (SQLite sends text, PostgreSQL a timestamp)."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return value.date() if isinstance(value, dt.datetime) else value


def event_counts(f) -> dict[tuple[str, str], int]:
    """(kind, severity) -> adverse events of signed notes in the range (one query)."""
    qs = AdverseEventDay.objects.filter(day__gte=f.start, day__lte=f.end)
    if f.location_id:
        qs = qs.filter(location_id=f.location_id)
    if f.therapist_id:
        qs = qs.filter(practitioner_id=f.therapist_id)
    return {
        (r["kind"], r["severity"]): r["n"]
        for r in qs.values("kind", "severity").annotate(n=Sum("events"))
        if r["n"]
    }
