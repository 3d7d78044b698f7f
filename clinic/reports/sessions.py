"""Reports on DN session notes: session rows, Outcomes and Safety (issue 6 models)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterator

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    DateField,
    F,
    IntegerField,
    OuterRef,
    Q,
    SmallIntegerField,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from clinic.reports import rollups
from clinic.reports.base import CHUNK, PAGE_ROWS, Report, register
from clinic.reports.filters import Filters
from clinic.reports.reference import (
    BOYCE_2020_MAJOR_PER_100_BELOW,
    BOYCE_2020_MINOR_PER_100,
    BRADY_2014_MILD_PER_100,
    BRADY_2014_PER_100,
)
from clinic.reports.rollup_models import CourseRollup
from clinic.staff.models import User
from needling.plans.selectors import COURSE_STATUSES
from needling.sessions.models import NPRS_MCID, AdverseKind, SessionRecord, Severity
from needling.sessions.selectors import (
    adverse_events_between,
    needle_incidents_of,
    notes_between,
)

CPT_CODES = ("20560", "20561")


def sessions_in(f: Filters, *, signed_only: bool = False):
    """The notes in the filters' range (the sessions capability's selector)."""
    return notes_between(
        f.start,
        f.end,
        location_id=f.location_id,
        practitioner_id=f.therapist_id,
        signed_only=signed_only,
    )


def per_100(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.2f}" if whole else "–"


def activity_session_tables(f: Filters) -> list[dict]:
    """Sessions per therapist per week and the CPT code counts of signed sessions: two
    queries over the daily roll-up, whatever the range (the weekly groups' first PAGE_ROWS
    with their number, and the CPT totals).

    The weekly table shows its first PAGE_ROWS rows (a year of sixty therapists is 3,000
    rows); the caption says how many there are and how to narrow them."""
    weekly, total, counts = rollups.session_weekly_first(f, limit=PAGE_ROWS)
    return [
        {
            "caption": "DN sessions per therapist per week (week starting Monday)",
            "columns": ("Week of", "Therapist", "Sessions"),
            "rows": [
                (
                    r["week"].strftime("%Y-%m-%d"),
                    r["practitioner__username"],
                    r["drafts"] + r["signed"],
                )
                for r in weekly
            ],
            "total": total,
            "narrow": "choose a therapist or a shorter range to see the rest",
        },
        {
            "caption": "CPT codes of signed sessions",
            "columns": ("CPT code", "Meaning", "Sessions"),
            "rows": [
                ("20560", "1 or 2 muscles", counts["cpt_20560"]),
                ("20561", "3 or more muscles", counts["cpt_20561"]),
            ],
        },
    ]


@register
class SessionsReport(Report):
    slug = "sessions"
    title = "Sessions"
    description = "One row per DN session note: the export for billing and audits."
    columns = (
        "Session",
        "Date",
        "Location",
        "Therapist",
        "Patient last name",
        "Patient first name",
        "Status",
        "CPT code",
        "NPRS before",
        "NPRS after",
        "Needles opened",
        "Needles disposed",
        "Signed at",
    )
    fields = (
        "id",
        "session_date",
        "location__name",
        "practitioner__username",
        "patient__last_name",
        "patient__first_name",
        "status",
        "cpt_code",
        "nprs_before",
        "nprs_after",
        "needles_opened",
        "needles_disposed",
        "signed_at",
    )

    def rows(self, f: Filters) -> Iterator[tuple]:
        # Rows go out as the database sends them: no per-row work beyond the writer's.
        qs = sessions_in(f).order_by("session_date", "pk").values_list(*self.fields)
        return qs.iterator(chunk_size=CHUNK)

    def count(self, f: Filters) -> int:
        return sessions_in(f).count()

    def page(self, f: Filters) -> dict:
        # One query over the daily roll-up: the weekly counts; the totals are their sums.
        weekly = [
            {"week": r["week"], "n": r["drafts"] + r["signed"], "signed": r["signed"]}
            for r in rollups.session_weekly(f, by_therapist=False)
        ]
        counts = {"total": sum(r["n"] for r in weekly), "signed": sum(r["signed"] for r in weekly)}
        rows = []
        for row in (
            sessions_in(f).order_by("-session_date", "-pk").values_list(*self.fields)[:PAGE_ROWS]
        ):
            rows.append(
                (
                    str(row[0])[:8],
                    *row[1:12],
                    timezone.localtime(row[12]).strftime("%Y-%m-%d %H:%M") if row[12] else "",
                )
            )
        return {
            "summary": [
                ("Sessions", counts["total"]),
                ("Signed", counts["signed"]),
                ("Drafts", counts["total"] - counts["signed"]),
            ],
            "chart": {
                "type": "line",
                "data": {
                    "labels": [r["week"].strftime("%Y-%m-%d") for r in weekly],
                    "datasets": [{"label": "Sessions per week", "data": [r["n"] for r in weekly]}],
                },
            }
            if weekly
            else None,
            "table": {
                "columns": self.columns,
                "rows": rows,
                "caption": "Sessions, newest first",
                "total": counts["total"],
            },
        }


def _in_range(f: Filters) -> Q:
    """Courses of the roll-up lying wholly inside the filters: every signed note of the plan
    is in the range, at the location and by the therapist asked for."""
    whole = Q(first_day__gte=f.start, last_day__lte=f.end)
    if f.location_id:
        whole &= Q(location_id=f.location_id)
    if f.therapist_id:
        whole &= Q(practitioner_id=f.therapist_id)
    return whole


def _sql(text: str, params: tuple, field) -> RawSQL:
    """An SQL expression of the course table's own columns (fixed names, never input);
    every value is a parameter."""
    return RawSQL(text, params, output_field=field)  # noqa: S611


def _span_contains(day: dt.date) -> RawSQL:
    """The course's first to last day contains ``day`` (PostgreSQL: the expression of the
    GiST index ``report_course_span``, clinic 0014)."""
    table = connection.ops.quote_name(CourseRollup._meta.db_table)
    return _sql(
        f"daterange({table}.first_day, {table}.last_day, '[]') @> %s::date", (day,), BooleanField()
    )


def _across(f: Filters, *, visits: bool) -> tuple[list[Q], list[Q]]:
    """The other courses that may have notes inside the filters, in parts that do not
    overlap, each read from an index on its own: (those worked out from the course rows'
    visit arrays, those worked out from their notes).

    The courses across the start of the range (by last day) and those starting inside it and
    ending after it (by first day) whose notes are all at the location and by the therapist
    asked for come from their visit arrays (``visits``: PostgreSQL). The others come from
    their notes: under a location or therapist filter, the courses with notes at several
    locations or by several therapists; without ``visits``, every course across an edge."""
    edges = [
        # Across the start: on PostgreSQL through the index of the courses' spans, whose
        # estimate of how many contain a day is close (from the two dates alone the planner
        # guessed four times too many, and read the whole table for the visit arrays).
        (Q(_span_contains(f.start)) if visits else Q(last_day__gte=f.start))
        & Q(first_day__lt=f.start),
        Q(first_day__gte=f.start, first_day__lte=f.end, last_day__gt=f.end),
    ]
    # Every note at the location and by the therapist asked for; some maybe elsewhere.
    exact, mixed, where = Q(), Q(), Q()
    if f.location_id:
        exact &= Q(location_id=f.location_id)
        mixed |= Q(location_id__isnull=True)
        where &= Q(location_id__isnull=True) | Q(location_id=f.location_id)
    if f.therapist_id:
        exact &= Q(practitioner_id=f.therapist_id)
        mixed |= Q(practitioner_id__isnull=True)
        where &= Q(practitioner_id__isnull=True) | Q(practitioner_id=f.therapist_id)
    if not visits:
        notes = [edge & where for edge in edges]
        if mixed:
            notes.append(Q(first_day__gte=f.start, last_day__lte=f.end) & mixed & where)
        return [], notes
    overlapping = Q(first_day__lte=f.end, last_day__gte=f.start)
    return [edge & exact for edge in edges], ([overlapping & mixed & where] if mixed else [])


def _counted_courses():
    """Courses of plans whose outcome counts (approved, or approved and since superseded)."""
    return CourseRollup.objects.filter(plan_status__in=COURSE_STATUSES)


def _edge_values(f: Filters, *, detail: bool) -> dict:
    """For a course across an edge (``_across``), what its notes inside the filters give:
    the first NPRS before and the last NPRS after (in the order day, time written, id; a
    missing NPRS is skipped), and with ``detail`` the first and last day and the number of
    notes. One look-up each in the index of signed notes by plan (a handful of the plan's
    notes, not the range's)."""
    notes = sessions_in(f, signed_only=True).filter(plan_id=OuterRef("plan_id")).order_by()
    forward = ("session_date", "created_at", "id")
    backward = tuple(f"-{c}" for c in forward)
    values = {
        "c_before": Subquery(
            notes.filter(nprs_before__isnull=False).order_by(*forward).values("nprs_before")[:1]
        ),
        "c_after": Subquery(
            notes.filter(nprs_after__isnull=False).order_by(*backward).values("nprs_after")[:1]
        ),
    }
    if detail:
        values["c_day1"] = Subquery(notes.order_by(*forward).values("session_date")[:1])
        values["c_day2"] = Subquery(notes.order_by(*backward).values("session_date")[:1])
        values["c_sessions"] = Subquery(
            notes.values("plan_id").annotate(n=Count("*")).values("n"),
            output_field=IntegerField(),
        )
    return values


def _visit_values(f: Filters, *, detail: bool) -> dict:
    """For a course across an edge whose notes are all inside the filters but for their
    days, what its notes inside the range give, from its visit arrays (PostgreSQL,
    ``rollups.VISIT_COLUMNS``) instead of its notes: the first note on or after the start
    and the last on or before the end are found by a binary search of the sorted days
    (``width_bucket``); the first NPRS before from the first of them on and the last NPRS
    after up to the last of them are filled in on every note, and are kept when they were
    recorded inside the range. With ``detail``, the first and last day and the number of
    notes too."""
    table = connection.ops.quote_name(CourseRollup._meta.db_table)
    days = f"{table}.visit_days"
    day_before = f.start - dt.timedelta(days=1)
    first = f"(width_bucket(%s::date, {days}) + 1)"  # parameter: the day before the start
    last = f"width_bucket(%s::date, {days})"  # parameter: the end
    values = {
        "c_before": _sql(
            f"CASE WHEN {table}.before_next_day[{first}] <= %s::date "
            f"THEN {table}.before_next[{first}] END",
            (day_before, f.end, day_before),
            SmallIntegerField(),
        ),
        "c_after": _sql(
            f"CASE WHEN {table}.after_prev_day[{last}] >= %s::date "
            f"THEN {table}.after_prev[{last}] END",
            (f.end, f.start, f.end),
            SmallIntegerField(),
        ),
    }
    if detail:
        values["c_day1"] = _sql(f"{days}[{first}]", (day_before,), DateField())
        values["c_day2"] = _sql(f"{days}[{last}]", (f.end,), DateField())
        values["c_sessions"] = _sql(f"{last} - {first} + 1", (f.end, day_before), IntegerField())
    return values


def _course_rows(f: Filters, *, detail: bool) -> tuple[str, tuple]:
    """One row per course in the filters' range (both databases): plan, condition code and
    text, the plan's therapist's id, the NPRS at both ends (either may be missing), and
    with ``detail`` the patient's names, the first and last day and the sessions. The whole
    courses come from the roll-up as they are, the others from their visit arrays
    (``_visit_values``, PostgreSQL) or their notes (``_edge_values``); none joins a plan or
    a condition (the roll-up carries them)."""
    plan = {
        "c_plan": F("plan_id"),
        "c_code": F("condition_code"),
        "c_condition": F("condition_text"),
        "c_therapist": F("plan_practitioner_id"),
    }
    if detail:
        plan |= {"c_last": F("plan__patient__last_name"), "c_first": F("plan__patient__first_name")}
    whole = {"c_before": F("nprs_first"), "c_after": F("nprs_last")}
    if detail:
        whole |= {"c_day1": F("first_day"), "c_day2": F("last_day"), "c_sessions": F("sessions")}
    by_visits, by_notes = _across(f, visits=connection.vendor == "postgresql")
    # One values() call each, so that every part selects its columns in the same order.
    parts = [_counted_courses().filter(_in_range(f)).values(**plan, **whole)]
    if by_visits:
        visit = _visit_values(f, detail=detail)
        parts += [_counted_courses().filter(q).values(**plan, **visit) for q in by_visits]
    if by_notes:
        edge = _edge_values(f, detail=detail)
        parts += [_counted_courses().filter(q).values(**plan, **edge) for q in by_notes]
    sql, params = [], []
    for part in parts:
        part_sql, part_params = part.order_by().query.sql_with_params()
        sql.append(part_sql)
        params.extend(part_params)
    return " UNION ALL ".join(sql), tuple(params)


def courses(f: Filters) -> list[dict]:
    """Treatment courses: an approved plan's signed sessions in the range with an NPRS
    before and after, one row each from the database (one query), in plan order."""
    sql, params = _course_rows(f, detail=True)
    plan_field = SessionRecord._meta.get_field("plan").target_field
    names = dict(User.objects.values_list("pk", "username"))
    result = []
    with connection.cursor() as cursor:
        # Fixed text around the ORM's own SQL; every value is in params.
        cursor.execute(
            f"SELECT * FROM ({sql}) AS c WHERE c.c_before IS NOT NULL "  # noqa: S608
            "AND c.c_after IS NOT NULL ORDER BY c.c_plan",
            params,
        )
        for plan, code, text, therapist, last, first, a, b, day1, day2, n in cursor:
            change = a - b
            result.append(
                {
                    "plan": plan_field.to_python(plan),
                    "condition": f"{code} {text}",
                    "therapist": names.get(therapist),
                    "patient": f"{last}, {first}",
                    "first_day": _date(day1),
                    "last_day": _date(day2),
                    "sessions": n,
                    "first": a,
                    "last": b,
                    "change": change,
                    "mcid": change >= NPRS_MCID,
                }
            )
    return result


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def course_count(f: Filters) -> int:
    sql, params = _course_rows(f, detail=False)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM ({sql}) AS c "  # noqa: S608
            "WHERE c.c_before IS NOT NULL AND c.c_after IS NOT NULL",
            params,
        )
        return cursor.fetchone()[0]


def course_changes(f: Filters) -> dict[str, dict[tuple[str, object], dict[int, int]]]:
    """How many courses changed by each number of points, per condition ("code text") and
    per therapist (one query: the courses once, counted two ways). A change is a whole number
    from -10 to 10, so the medians come from these counts without reading every course."""
    sql, params = _course_rows(f, detail=False)
    user = connection.ops.quote_name(User._meta.db_table)
    # The change is worked out once per course: a course missing an NPRS at either end has
    # none. The courses are read once and counted both ways.
    changes = (
        "SELECT r.c_code, r.c_condition, r.c_therapist, "  # noqa: S608
        f"r.c_before - r.c_after AS change FROM ({sql}) AS r "
        "WHERE r.c_before IS NOT NULL AND r.c_after IS NOT NULL"
    )
    if connection.vendor == "postgresql":
        # In one pass (GROUPING SETS); a CTE read twice took a third longer at 100% scale.
        # The names are joined to the therapists' groups alone.
        grouped = (
            "SELECT GROUPING(c.c_code) AS per_therapist, c.c_code, c.c_condition, "  # noqa: S608
            f"c.c_therapist, c.change, COUNT(*) AS n FROM ({changes}) AS c GROUP BY "
            "GROUPING SETS ((c.c_code, c.c_condition, c.change), (c.c_therapist, c.change))"
        )
        query = (
            "SELECT CASE WHEN g.per_therapist = 0 THEN 'condition' ELSE 'therapist' END, "  # noqa: S608
            "CASE WHEN g.per_therapist = 0 THEN g.c_code ELSE u.username END, "
            f"g.c_condition, g.change, g.n FROM ({grouped}) AS g "
            f"LEFT JOIN {user} AS u ON g.per_therapist = 1 AND u.id = g.c_therapist"
        )
    else:
        # SQLite has no grouping sets: a CTE, read twice.
        query = (
            f"WITH c AS ({changes}) "  # noqa: S608
            "SELECT 'condition', c.c_code, c.c_condition, c.change, COUNT(*) FROM c "
            "GROUP BY c.c_code, c.c_condition, c.change "
            "UNION ALL "
            "SELECT 'therapist', u.username, NULL, c.change, COUNT(*) FROM c "
            f"JOIN {user} AS u ON u.id = c.c_therapist GROUP BY u.username, c.change"
        )
    found: dict[str, dict] = {"condition": defaultdict(dict), "therapist": defaultdict(dict)}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for kind, key, text, points, n in cursor:
            name = f"{key} {text}" if kind == "condition" else key
            found[kind][name][points] = n
    return found


def median_of_counts(counts: dict[int, int]):
    """``statistics.median`` of the values that ``counts`` (value -> how many) describes."""
    n = sum(counts.values())
    if not n:
        raise statistics.StatisticsError("no median for empty data")
    wanted = (n // 2,) if n % 2 else (n // 2 - 1, n // 2)
    found, seen = [], 0
    for value in sorted(counts):
        while len(found) < len(wanted) and wanted[len(found)] < seen + counts[value]:
            found.append(value)
        seen += counts[value]
    return found[0] if len(found) == 1 else (found[0] + found[1]) / 2


def shown_median(counts: dict[int, int]):
    """``median_of_counts`` as the page shows it: a whole number without ".0" (the median of
    an even number of courses is a mean, 2.0 beside 2 in one column read as two kinds of
    value), a half as it is."""
    value = median_of_counts(counts)
    return int(value) if value == int(value) else value


def _outcome_rows(grouped: dict[str, dict[int, int]]) -> list[tuple]:
    rows = []
    for key in sorted(grouped):
        changes = grouped[key]
        n = sum(changes.values())
        met = sum(k for points, k in changes.items() if points >= NPRS_MCID)
        rows.append((key, n, met, f"{met * 100 / n:.0f}%", shown_median(changes)))
    return rows


@register
class OutcomesReport(Report):
    slug = "outcomes"
    title = "Outcomes"
    description = (
        "Share of treatment courses whose NPRS improved by at least the MCID "
        f"({NPRS_MCID} points), and the median change, per condition and per therapist."
    )
    columns = (
        "Plan",
        "Patient",
        "Condition",
        "Therapist",
        "First session",
        "Last session",
        "Sessions",
        "NPRS first",
        "NPRS last",
        "Change",
        "MCID reached",
    )

    def rows(self, f: Filters) -> Iterator[tuple]:
        for c in courses(f):
            yield (
                str(c["plan"]),
                c["patient"],
                c["condition"],
                c["therapist"],
                c["first_day"],
                c["last_day"],
                c["sessions"],
                c["first"],
                c["last"],
                c["change"],
                "yes" if c["mcid"] else "no",
            )

    def count(self, f: Filters) -> int:
        return course_count(f)

    def page(self, f: Filters) -> dict:
        # One query: the courses' changes counted per condition and per therapist.
        changes = course_changes(f)
        overall: dict[int, int] = defaultdict(int)
        for per_change in changes["condition"].values():
            for points, n in per_change.items():
                overall[points] += n
        total = sum(overall.values())
        met = sum(n for points, n in overall.items() if points >= NPRS_MCID)
        columns = ("Courses", "Reached MCID", "Share", "Median change (points)")
        therapist_rows = _outcome_rows(changes["therapist"])
        return {
            "summary": [
                ("Courses with NPRS recorded", total),
                ("Reached the MCID", f"{met} ({met * 100 / total:.0f}%)" if total else "–"),
                ("Median change", shown_median(overall) if total else "–"),
            ],
            "chart": {
                "type": "bar",
                "data": {
                    "labels": [r[0] for r in therapist_rows],
                    "datasets": [
                        {
                            "label": "% of courses reaching the MCID",
                            "data": [round(r[2] * 100 / r[1]) for r in therapist_rows],
                        }
                    ],
                },
            }
            if therapist_rows
            else None,
            "table": {
                "columns": ("Condition", *columns),
                "rows": _outcome_rows(changes["condition"]),
                "caption": "Per condition",
            },
            "extra_tables": [
                {
                    "columns": ("Therapist", *columns),
                    "rows": therapist_rows,
                    "caption": "Per therapist",
                }
            ],
        }


@register
class SafetyReport(Report):
    slug = "safety"
    title = "Safety"
    description = (
        "Adverse events per 100 sessions beside published rates; needle-count incidents; "
        "major events."
    )
    pdf = True
    columns = ("Date", "Location", "Therapist", "Patient", "Event", "Severity", "Major", "Note")

    def events(self, f: Filters):
        return adverse_events_between(
            f.start,
            f.end,
            location_id=f.location_id,
            practitioner_id=f.therapist_id,
            signed_only=True,
        )

    def rows(
        self, f: Filters, *, major_only: bool = False, limit: int | None = None
    ) -> Iterator[tuple]:
        """Every event, streamed (exports); or the first ``limit`` in one plain query (a
        page: a streamed query is a server-side cursor on PostgreSQL, three round trips)."""
        labels = dict(AdverseKind.choices)
        events = self.events(f).filter(is_major=True) if major_only else self.events(f)
        qs = events.order_by("session__session_date", "pk").values_list(
            "session__session_date",
            "session__location__name",
            "session__practitioner__username",
            "session__patient__last_name",
            "session__patient__first_name",
            "kind",
            "severity",
            "is_major",
            "note",
        )
        found = qs.iterator(chunk_size=CHUNK) if limit is None else qs[:limit]
        for day, loc, who, last, first, kind, severity, major, note in found:
            yield (
                day,
                loc,
                who,
                f"{last}, {first}",
                labels.get(kind, kind),
                severity,
                "yes" if major else "no",
                note,
            )

    def count(self, f: Filters) -> int:
        return self.events(f).count()

    def page(self, f: Filters) -> dict:
        # Two queries over the daily roll-ups: signed notes (with those having a minor or a
        # major event), and the events by kind and severity; then the two lists.
        counts = rollups.session_counts(f)
        sessions = counts["signed"]
        table, chart = _events_by_kind(rollups.event_counts(f), sessions)
        incidents, incident_count = _needle_incidents(f)
        major = list(self.rows(f, major_only=True, limit=PAGE_ROWS))
        return {
            "summary": [
                ("Signed sessions", sessions),
                (
                    "Sessions with a minor event per 100",
                    f"{per_100(counts['minor_sessions'], sessions)} "
                    f"(Brady 2014 mild: {BRADY_2014_MILD_PER_100}; "
                    f"Boyce 2020 minor: {BOYCE_2020_MINOR_PER_100})",
                ),
                (
                    "Sessions with a major event per 100",
                    f"{per_100(counts['major_sessions'], sessions)} "
                    f"(Boyce 2020: under {BOYCE_2020_MAJOR_PER_100_BELOW})",
                ),
                ("Needle-count incidents", incident_count),
            ],
            "chart": chart,
            "table": table,
            "extra_tables": [
                {
                    "caption": "Needle-count incidents",
                    "columns": ("Date", "Therapist", "Patient", "Opened", "Disposed", "Note"),
                    "rows": incidents,
                },
                {"caption": "Major events", "columns": self.columns, "rows": major},
            ],
        }


def _events_by_kind(by_kind: dict, sessions: int) -> tuple[dict, dict]:
    """The safety report's table of events by kind and severity, and its chart beside the
    published rates; a kind with no events and no published rate is left out."""
    severities = [s for s, _ in Severity.choices]
    rows, ours, reference_rates, labels = [], [], [], []
    for kind, label in AdverseKind.choices:
        counts = [by_kind.get((kind, s), 0) for s in severities]
        total = sum(counts)
        reference = BRADY_2014_PER_100.get(kind)
        if not total and reference is None:
            continue
        shown = reference if reference is not None else "–"
        rows.append((label, *counts, total, per_100(total, sessions), shown))
        labels.append(label)
        ours.append(round(total * 100 / sessions, 2) if sessions else 0)
        reference_rates.append(reference or 0)
    table = {
        "columns": (
            "Event",
            *[s.capitalize() for s in severities],
            "Total",
            "Per 100 sessions",
            "Brady 2014 per 100",
        ),
        "rows": rows,
        "caption": "Adverse events by type and severity",
    }
    chart = {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {"label": "This clinic, per 100 sessions", "data": ours},
                {"label": "Brady 2014, per 100 treatments", "data": reference_rates},
            ],
        },
    }
    return table, chart


def _needle_incidents(f: Filters) -> tuple[list[tuple], int]:
    """The first PAGE_ROWS needle-count incidents in the range, oldest first, and how many
    there are (a count query only when the list is full)."""
    incidents = needle_incidents_of(sessions_in(f, signed_only=True))
    first = list(
        incidents.order_by("session_date", "pk").values_list(
            "session_date",
            "practitioner__username",
            "patient__last_name",
            "needles_opened",
            "needles_disposed",
            "needle_incident_note",
        )[:PAGE_ROWS]
    )
    return first, len(first) if len(first) < PAGE_ROWS else incidents.count()
