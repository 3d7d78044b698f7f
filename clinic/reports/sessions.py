"""Reports on DN session notes: session rows, Outcomes and Safety (issue 6 models)."""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import F, Q
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
from needling.sessions.models import (
    NPRS_MCID,
    AdverseEvent,
    AdverseKind,
    SessionRecord,
    SessionStatus,
    Severity,
)

CPT_CODES = ("20560", "20561")


def sessions_in(f: Filters, *, signed_only: bool = False):
    qs = SessionRecord.objects.filter(session_date__gte=f.start, session_date__lte=f.end)
    if f.location_id:
        qs = qs.filter(location_id=f.location_id)
    if f.therapist_id:
        qs = qs.filter(practitioner_id=f.therapist_id)
    if signed_only:
        qs = qs.filter(status=SessionStatus.SIGNED)
    return qs


def per_100(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.2f}" if whole else "–"


def activity_session_tables(f: Filters) -> list[dict]:
    """Sessions per therapist per week and the CPT code counts of signed sessions: one
    query over the daily roll-up (the CPT counts are summed from the weekly groups).

    The weekly table shows its first PAGE_ROWS rows (a year of sixty therapists is 3,000
    rows); the caption says how many there are and how to narrow them."""
    weekly = rollups.session_weekly(f, by_therapist=True)
    cpt = {code: sum(r[f"cpt_{code}"] for r in weekly) for code in CPT_CODES}
    weekly_rows = [
        (r["week"].strftime("%Y-%m-%d"), r["practitioner__username"], r["drafts"] + r["signed"])
        for r in weekly
    ]
    return [
        {
            "caption": "DN sessions per therapist per week (week starting Monday)",
            "columns": ("Week of", "Therapist", "Sessions"),
            "rows": weekly_rows[:PAGE_ROWS],
            "total": len(weekly_rows),
            "narrow": "choose a therapist or a shorter range to see the rest",
        },
        {
            "caption": "CPT codes of signed sessions",
            "columns": ("CPT code", "Meaning", "Sessions"),
            "rows": [
                ("20560", "1 or 2 muscles", cpt.get("20560", 0)),
                ("20561", "3 or more muscles", cpt.get("20561", 0)),
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


def courses(f: Filters) -> list[dict]:
    """Treatment courses: an approved plan's signed sessions in the range (one query).

    Change = the first NPRS before minus the last NPRS after (NPRS: lower is better), so a
    positive change is an improvement; the MCID is met at a change of 2 points or more.
    """
    qs = (
        sessions_in(f, signed_only=True)
        .filter(plan__status__in=("approved", "superseded"))
        .order_by("plan_id", "session_date", "created_at")
        .values_list(
            "plan_id",
            "plan__condition__icd10_code",
            "plan__condition__description",
            "plan__practitioner__username",
            "patient__last_name",
            "patient__first_name",
            "session_date",
            "nprs_before",
            "nprs_after",
        )
    )
    found: dict = {}
    for plan, code, description, therapist, last, first, day, before, after in qs.iterator(
        chunk_size=CHUNK
    ):
        course = found.setdefault(
            plan,
            {
                "plan": plan,
                "condition": f"{code} {description}",
                "therapist": therapist,
                "patient": f"{last}, {first}",
                "first_day": day,
                "sessions": 0,
                "first": None,
                "last": None,
            },
        )
        course["sessions"] += 1
        course["last_day"] = day
        if course["first"] is None and before is not None:
            course["first"] = before
        if after is not None:
            course["last"] = after
    result = []
    for course in found.values():
        if course["first"] is None or course["last"] is None:
            continue
        course["change"] = course["first"] - course["last"]
        course["mcid"] = course["change"] >= NPRS_MCID
        result.append(course)
    return result


def _outcome_rows(grouped: dict[str, list[dict]]) -> list[tuple]:
    rows = []
    for key in sorted(grouped):
        items = grouped[key]
        met = sum(1 for c in items if c["mcid"])
        rows.append(
            (
                key,
                len(items),
                met,
                f"{met * 100 / len(items):.0f}%",
                statistics.median(c["change"] for c in items),
            )
        )
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
        return len(courses(f))

    def page(self, f: Filters) -> dict:
        found = courses(f)
        by_condition: dict[str, list] = defaultdict(list)
        by_therapist: dict[str, list] = defaultdict(list)
        for c in found:
            by_condition[c["condition"]].append(c)
            by_therapist[c["therapist"]].append(c)
        met = sum(1 for c in found if c["mcid"])
        columns = ("Courses", "Reached MCID", "Share", "Median change (points)")
        therapist_rows = _outcome_rows(by_therapist)
        return {
            "summary": [
                ("Courses with NPRS recorded", len(found)),
                ("Reached the MCID", f"{met} ({met * 100 / len(found):.0f}%)" if found else "–"),
                ("Median change", statistics.median(c["change"] for c in found) if found else "–"),
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
                "rows": _outcome_rows(by_condition),
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
        qs = AdverseEvent.objects.filter(session__in=sessions_in(f, signed_only=True))
        return qs

    def rows(self, f: Filters, *, major_only: bool = False) -> Iterator[tuple]:
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
        for day, loc, who, last, first, kind, severity, major, note in qs.iterator(
            chunk_size=CHUNK
        ):
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
        # major event), and the events by kind and severity.
        counts = rollups.session_counts(f)
        sessions = counts["signed"]
        by_kind = rollups.event_counts(f)
        minor_sessions, major_sessions = counts["minor_sessions"], counts["major_sessions"]
        severities = [s for s, _ in Severity.choices]
        table_rows, chart_ours, chart_ref, chart_labels = [], [], [], []
        for kind, label in AdverseKind.choices:
            counts = [by_kind.get((kind, s), 0) for s in severities]
            total = sum(counts)
            reference = BRADY_2014_PER_100.get(kind)
            if not total and reference is None:
                continue
            table_rows.append(
                (
                    label,
                    *counts,
                    total,
                    per_100(total, sessions),
                    reference if reference is not None else "–",
                )
            )
            chart_labels.append(label)
            chart_ours.append(round(total * 100 / sessions, 2) if sessions else 0)
            chart_ref.append(reference or 0)
        incidents = list(
            sessions_in(f, signed_only=True)
            .filter(
                Q(needle_mismatch_flagged=True)
                | ~Q(needles_opened=F("needles_disposed"))
                | ~Q(needle_incident_note="")
            )
            .order_by("session_date", "pk")
            .values_list(
                "session_date",
                "practitioner__username",
                "patient__last_name",
                "needles_opened",
                "needles_disposed",
                "needle_incident_note",
            )[:PAGE_ROWS]
        )
        major = list(itertools.islice(self.rows(f, major_only=True), PAGE_ROWS))
        return {
            "summary": [
                ("Signed sessions", sessions),
                (
                    "Sessions with a minor event per 100",
                    f"{per_100(minor_sessions, sessions)} "
                    f"(Brady 2014 mild: {BRADY_2014_MILD_PER_100}; "
                    f"Boyce 2020 minor: {BOYCE_2020_MINOR_PER_100})",
                ),
                (
                    "Sessions with a major event per 100",
                    f"{per_100(major_sessions, sessions)} "
                    f"(Boyce 2020: under {BOYCE_2020_MAJOR_PER_100_BELOW})",
                ),
                ("Needle-count incidents", len(incidents)),
            ],
            "chart": {
                "type": "bar",
                "data": {
                    "labels": chart_labels,
                    "datasets": [
                        {"label": "This clinic, per 100 sessions", "data": chart_ours},
                        {"label": "Brady 2014, per 100 treatments", "data": chart_ref},
                    ],
                },
            },
            "table": {
                "columns": (
                    "Event",
                    *[s.capitalize() for s in severities],
                    "Total",
                    "Per 100 sessions",
                    "Brady 2014 per 100",
                ),
                "rows": table_rows,
                "caption": "Adverse events by type and severity",
            },
            "extra_tables": [
                {
                    "caption": "Needle-count incidents",
                    "columns": ("Date", "Therapist", "Patient", "Opened", "Disposed", "Note"),
                    "rows": incidents,
                },
                {"caption": "Major events", "columns": self.columns, "rows": major},
            ],
        }
