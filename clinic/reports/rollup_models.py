"""Roll-ups the reports read for their totals (issue 16).

Narrow tables, one row per day (or week), location and therapist (and, for adverse events,
kind and severity). They are written only by database triggers (``clinic.reports.rollups``): a
statement-level trigger with transition tables on PostgreSQL, a row trigger on SQLite, on
every INSERT, UPDATE and DELETE of appointments, session notes and adverse events, so COPY,
bulk updates and the admin keep them in step as well as the services do. Counts are added
as deltas (``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n``), which concurrent
writers can do without losing an update; a row may fall back to all zeros and stay. There
is no CHECK (count >= 0) on them: both databases check a CHECK constraint on the row an upsert
proposes to insert (the bare delta, often -1) before they find the conflict, so it would
refuse correct deltas; ``rollup_check`` is the guard instead.

- ``AppointmentDay``: appointments per **UTC** day of ``starts_at`` and status. The reports'
  ranges are local days; they read the whole UTC days inside the range from here and the two
  partial days at its edges from the appointments themselves, so the totals are exact in
  any time zone.
- ``SessionDay``: session notes per ``session_date`` (the clinic's day), drafts and signed,
  the CPT codes of signed notes, and signed notes with at least one minor / major event.
- ``AdverseEventDay``: adverse events of signed notes per note's day, kind and severity.
- ``AppointmentWeek``, ``SessionWeek``: the first two per week (its Monday), kept by the same
  triggers: a year of sixty therapists is about 3,100 weekly rows instead of 15,600 daily
  ones. A report reads the whole weeks of its range from them and the days of the partial
  weeks at its edges from the daily tables.
- ``CourseRollup``: one row per treatment plan with a signed note (the outcomes report).
"""

from __future__ import annotations

from django.db import models

__all__ = [
    "AppointmentDay",
    "AppointmentWeek",
    "SessionDay",
    "SessionWeek",
    "AdverseEventDay",
    "CourseRollup",
]


class _Day(models.Model):
    day = models.DateField()
    location = models.ForeignKey(
        "clinic.Location", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    class Meta:
        abstract = True
        default_permissions = ()


APPOINTMENT_COUNTS = ("booked", "checked_in", "completed", "cancelled", "no_show")
SESSION_COUNTS = (
    "drafts",
    "signed",
    "cpt_20560",
    "cpt_20561",
    "minor_sessions",
    "major_sessions",
)


class AppointmentDay(_Day):
    therapist = models.ForeignKey(
        "clinic.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    booked = models.IntegerField(default=0)
    checked_in = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    cancelled = models.IntegerField(default=0)
    no_show = models.IntegerField(default=0)

    class Meta(_Day.Meta):
        db_table = "report_appointment_day"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "location", "therapist"], name="report_appointment_day_key"
            ),
        ]


class SessionDay(_Day):
    practitioner = models.ForeignKey(
        "clinic.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    drafts = models.IntegerField(default=0)
    signed = models.IntegerField(default=0)
    cpt_20560 = models.IntegerField(default=0)
    cpt_20561 = models.IntegerField(default=0)
    minor_sessions = models.IntegerField(default=0)
    major_sessions = models.IntegerField(default=0)

    class Meta(_Day.Meta):
        db_table = "report_session_day"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "location", "practitioner"], name="report_session_day_key"
            ),
        ]


class _Week(models.Model):
    """A week's level above a daily table: the same counts per week (its Monday), kept by the
    same triggers in the same statements. A year is 52 rows per therapist instead of 260;
    the reports read the whole weeks of a range here and the days of its partial weeks from
    the daily table."""

    week = models.DateField()
    location = models.ForeignKey(
        "clinic.Location", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    class Meta:
        abstract = True
        default_permissions = ()


class AppointmentWeek(_Week):
    """``AppointmentDay`` per week (the Monday of the UTC day)."""

    therapist = models.ForeignKey(
        "clinic.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    booked = models.IntegerField(default=0)
    checked_in = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    cancelled = models.IntegerField(default=0)
    no_show = models.IntegerField(default=0)

    class Meta(_Week.Meta):
        db_table = "report_appointment_week"
        constraints = [
            models.UniqueConstraint(
                fields=["week", "location", "therapist"], name="report_appointment_week_key"
            ),
        ]


class SessionWeek(_Week):
    """``SessionDay`` per week (the Monday of the note's day)."""

    practitioner = models.ForeignKey(
        "clinic.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    drafts = models.IntegerField(default=0)
    signed = models.IntegerField(default=0)
    cpt_20560 = models.IntegerField(default=0)
    cpt_20561 = models.IntegerField(default=0)
    minor_sessions = models.IntegerField(default=0)
    major_sessions = models.IntegerField(default=0)

    class Meta(_Week.Meta):
        db_table = "report_session_week"
        constraints = [
            models.UniqueConstraint(
                fields=["week", "location", "practitioner"], name="report_session_week_key"
            ),
        ]


class AdverseEventDay(_Day):
    practitioner = models.ForeignKey(
        "clinic.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    kind = models.CharField(max_length=28)
    severity = models.CharField(max_length=8)
    is_major = models.BooleanField()
    events = models.IntegerField(default=0)

    class Meta(_Day.Meta):
        db_table = "report_adverse_event_day"
        # The safety report's sums over a range of days, from the index alone (PostgreSQL
        # index-only scans): a year at 100% is ~20,000 of these rows, which the planner read
        # with a scan of the whole table rather than through the wide unique key.
        indexes = [
            models.Index(
                fields=["day"],
                include=["kind", "severity", "events", "location", "practitioner"],
                name="report_event_day_sums",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "location", "practitioner", "kind", "severity", "is_major"],
                name="report_adverse_event_day_key",
            ),
        ]


# What the outcomes report reads of a course besides its days (the plan, to read the notes
# of a course across an edge of the range).
COURSE_READ = [
    "plan",
    "plan_status",
    "condition_code",
    "condition_text",
    "plan_practitioner",
    "nprs_first",
    "nprs_last",
    "location",
    "practitioner",
]


class CourseRollup(models.Model):
    """One row per treatment plan with a signed note: its whole course over every signed
    note (first and last day, sessions, the first NPRS before and last NPRS after in the
    order day, time written, id; the one location and practitioner of all its notes, or
    NULL when there are several), and what the outcomes report groups it by: the plan's
    status and therapist, the plan's condition's code and text. Rewritten for the touched
    plans by the triggers on notes, plans and conditions (``clinic.reports.rollups``, under
    a lock on the plan row on PostgreSQL). The outcomes report takes the courses that lie
    wholly inside its range and filters from here, and works out the others (across an edge
    of the range, or with notes at several locations or by several therapists under such a
    filter) from their notes.

    On PostgreSQL the table also has columns that are not fields here (SQLite has no arrays):
    the visit arrays of ``rollups.VISIT_COLUMNS`` (the notes' days, and the NPRS filled in on
    every note), from which the report works out the courses across an edge whose notes all
    match its filters, and a GiST index of each course's span (``report_course_span``, by
    which it finds those across its start). Clinic 0014 adds both."""

    plan = models.OneToOneField(
        "needling.TreatmentPlan",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    first_day = models.DateField()
    last_day = models.DateField()
    sessions = models.IntegerField()
    nprs_first = models.SmallIntegerField(null=True)
    nprs_last = models.SmallIntegerField(null=True)
    location = models.ForeignKey(
        "clinic.Location",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    practitioner = models.ForeignKey(
        "clinic.User", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    plan_status = models.CharField(max_length=16)
    plan_practitioner = models.ForeignKey(
        "clinic.User",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # read with its course, never looked up
        related_name="+",
    )
    condition_code = models.CharField(max_length=8)
    condition_text = models.CharField(max_length=255)

    class Meta:
        db_table = "report_course"
        default_permissions = ()
        # The outcomes report reads its courses from these indexes alone (PostgreSQL
        # index-only scans; other databases ignore the INCLUDE columns): the courses inside
        # a range by their first day, and those crossing its start (ending in or after it,
        # begun before it, worked out from their notes) by their last day.
        indexes = [
            models.Index(
                fields=["first_day", "last_day"],
                include=COURSE_READ,
                name="report_course_starts",
            ),
            models.Index(
                fields=["last_day", "first_day"],
                include=COURSE_READ,
                name="report_course_ends",
            ),
        ]
