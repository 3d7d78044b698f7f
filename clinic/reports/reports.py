"""The reports: Activity, Overrides, Compliance, and the audit views (changes, access)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, OuterRef, Subquery, Value, Window
from django.db.models.functions import Concat, TruncDate
from django.utils import timezone

from clinic.booking.models import Appointment
from clinic.booking.selectors import appointments_between
from clinic.reports import rollups as _rollups
from clinic.reports import sessions as _sessions
from clinic.reports.base import CHUNK, PAGE_ROWS, Report, rate, register
from clinic.reports.filters import Filters
from clinic.staff.models import DNCertification, Licence, User
from needling.plans.models import PlanOverride, TreatmentPlan
from patients.models import Consent, Patient, PatientAccessLog

CONSENT_VALID_DAYS = 365
CONSENT_WARNING_DAYS = 30
CREDENTIAL_WARNING_DAYS = 60

STATUSES = ("booked", "checked_in", "completed", "cancelled", "no_show")


def _name(prefix: str):
    return Concat(F(f"{prefix}last_name"), Value(", "), F(f"{prefix}first_name"))


@register
class ActivityReport(Report):
    slug = "activity"
    title = "Activity"
    description = "Appointments booked, completed, cancelled and no-show, per therapist."
    pdf = True
    columns = ("Date", "Start", "Location", "Therapist", "Patient", "Type", "Status")

    def queryset(self, f: Filters):
        return appointments_between(
            f.start_at(),
            f.end_before(),
            location_id=f.location_id,
            therapist_id=f.therapist_id,
        )

    def rows(self, f: Filters) -> Iterator[tuple]:
        tz = timezone.get_current_timezone()
        qs = (
            self.queryset(f)
            .order_by("starts_at", "pk")
            .values_list(
                "starts_at",
                "location__name",
                "therapist__username",
                "patient__last_name",
                "patient__first_name",
                "appointment_type__name",
                "status",
            )
        )
        for starts_at, loc, therapist, last, first, kind, status in qs.iterator(chunk_size=CHUNK):
            local = starts_at.astimezone(tz)
            yield (
                local.date(),
                local.strftime("%H:%M"),
                loc,
                therapist,
                f"{last}, {first}",
                kind,
                status,
            )

    def count(self, f: Filters) -> int:
        return self.queryset(f).count()

    def page(self, f: Filters) -> dict:
        # Three queries: the roll-up's whole days, the partial days at the edges of the range
        # (clinic.reports.rollups.appointment_counts), and the therapists' names.
        table_rows, totals = _appointment_rows(_rollups.appointment_counts(f))
        total = totals["total"]
        summary = [
            ("Booked", total),
            ("Completed", f"{totals['completed']} ({rate(totals['completed'], total)})"),
            ("Cancelled", f"{totals['cancelled']} ({rate(totals['cancelled'], total)})"),
            ("No-show", f"{totals['no_show']} ({rate(totals['no_show'], total)})"),
        ]
        chart = {
            "type": "bar",
            "data": {
                "labels": [r[0] for r in table_rows],
                "datasets": [
                    {"label": "Completed", "data": [r[2] for r in table_rows]},
                    {"label": "Cancelled", "data": [r[3] for r in table_rows]},
                    {"label": "No-show", "data": [r[4] for r in table_rows]},
                ],
            },
        }
        return {
            "summary": summary,
            "chart": chart if table_rows else None,
            "table": {
                "columns": (
                    "Therapist",
                    "Booked",
                    "Completed",
                    "Cancelled",
                    "No-show",
                    "Completion rate",
                    "Cancellation rate",
                    "No-show rate",
                ),
                "rows": table_rows,
                "caption": "Appointments per therapist",
            },
            "extra_tables": _sessions.activity_session_tables(f),
        }


def _appointment_rows(per: dict[int, dict[str, int]]) -> tuple[list[tuple], dict[str, int]]:
    """The activity report's row per therapist (by last name) from the appointment counts by
    status of each therapist's id, and the totals over them (one query: the names)."""
    names = {
        u["pk"]: u
        for u in User.objects.filter(pk__in=list(per)).values(
            "pk", "username", "first_name", "last_name"
        )
    }
    rows, totals = [], dict.fromkeys(("total", *STATUSES), 0)
    for pk in sorted(per, key=lambda pk: (names[pk]["last_name"], names[pk]["username"])):
        row = {**per[pk], "total": sum(per[pk].values())}
        for key in totals:
            totals[key] += row[key]
        user = names[pk]
        name = f"{user['first_name']} {user['last_name']}".strip()
        rows.append(
            (
                name or user["username"],
                row["total"],
                row["completed"],
                row["cancelled"],
                row["no_show"],
                rate(row["completed"], row["total"]),
                rate(row["cancelled"], row["total"]),
                rate(row["no_show"], row["total"]),
            )
        )
    return rows, totals


def _stream(qs, limit: int | None):
    """Every row, streamed in chunks (exports); or, for a page, the first ``limit`` rows in one
    plain query. A page must not read the whole range: on PostgreSQL ``.iterator()`` is a
    server-side cursor WITH HOLD, which materialises the entire result when autocommit ends
    the transaction, so the page would cost in proportion to the data."""
    return qs.iterator(chunk_size=CHUNK) if limit is None else qs[:limit]


@register
class OverridesReport(Report):
    slug = "overrides"
    title = "Overrides"
    description = "Every relative contraindication overridden: who, when, which patient, why."
    columns = ("Recorded at", "Recorded by", "Patient", "Rule", "Reason", "Plan")

    def queryset(self, f: Filters):
        qs = PlanOverride.objects.filter(
            recorded_at__gte=f.start_at(), recorded_at__lt=f.end_before()
        )
        if f.location_id:
            qs = qs.filter(plan__location_id=f.location_id)
        if f.therapist_id:
            qs = qs.filter(recorded_by_id=f.therapist_id)
        return qs

    def rows(self, f: Filters, *, limit: int | None = None) -> Iterator[tuple]:
        tz = timezone.get_current_timezone()
        qs = (
            self.queryset(f)
            .order_by("-recorded_at", "-pk")
            .values_list(
                "recorded_at",
                "recorded_by__username",
                "plan__patient__last_name",
                "plan__patient__first_name",
                "rule",
                "reason",
                "plan_id",
            )
        )
        for at, who, last, first, rule, reason, plan in _stream(qs, limit):
            yield (
                at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                who,
                f"{last}, {first}",
                rule,
                reason,
                str(plan),
            )

    def count(self, f: Filters) -> int:
        return self.queryset(f).count()

    def page(self, f: Filters) -> dict:
        by_rule = list(
            self.queryset(f).values("rule").annotate(n=Count("pk")).order_by("-n", "rule")
        )
        total = sum(r["n"] for r in by_rule)
        return {
            "summary": [("Overrides", total), ("Rules overridden", len(by_rule))],
            "chart": {
                "type": "bar",
                "data": {
                    "labels": [r["rule"] for r in by_rule],
                    "datasets": [{"label": "Overrides", "data": [r["n"] for r in by_rule]}],
                },
            }
            if by_rule
            else None,
            "table": {
                "columns": self.columns,
                "rows": list(self.rows(f, limit=PAGE_ROWS)),
                "caption": "Overrides, newest first",
                "total": total,
            },
        }


@register
class ComplianceReport(Report):
    slug = "compliance"
    title = "Compliance"
    description = (
        "Notes unsigned after 24 hours, consents expiring within 30 days, certifications and "
        "licences expiring within 60 days, "
        "plans approved by a therapist whose certification later lapsed."
    )
    columns = ("Item", "Who", "Detail", "Date")

    def _consents(self, f: Filters, today: dt.date):
        # The patient's latest consent, valid 365 days from signing, runs out within 30 days.
        later = Consent.objects.filter(
            patient=OuterRef("patient"), signed_on__gt=OuterRef("signed_on")
        )
        qs = Consent.objects.filter(
            signed_on__gt=today - dt.timedelta(days=CONSENT_VALID_DAYS + 1),
            signed_on__lte=today - dt.timedelta(days=CONSENT_VALID_DAYS - CONSENT_WARNING_DAYS),
        ).filter(~Exists(later))
        if f.location_id:
            qs = qs.filter(patient__preferred_location_id=f.location_id)
        # The names by a look-up per row shown, not a join: the page counts every consent
        # of the kind (a window count) and shows the first rows, and with a join PostgreSQL
        # read the patient of every consent counted (1,066 at 100%) for the 99 it shows.
        patient = Patient.objects.filter(pk=OuterRef("patient_id"))
        return qs.order_by("signed_on").values_list(
            Subquery(patient.values("last_name")[:1]),
            Subquery(patient.values("first_name")[:1]),
            "signed_on",
        )

    def _certifications(self, f: Filters, today: dt.date):
        later = DNCertification.objects.filter(
            user=OuterRef("user"), valid_until__gt=OuterRef("valid_until")
        )
        qs = DNCertification.objects.filter(
            valid_until__gte=today,
            valid_until__lte=today + dt.timedelta(days=CREDENTIAL_WARNING_DAYS),
        ).filter(~Exists(later))
        if f.therapist_id:
            qs = qs.filter(user_id=f.therapist_id)
        if f.location_id:
            qs = qs.filter(user__locations=f.location_id)
        return qs.order_by("valid_until").values_list("user__username", "course", "valid_until")

    def _licences(self, f: Filters, today: dt.date):
        later = Licence.objects.filter(
            user=OuterRef("user"), state=OuterRef("state"), expires_on__gt=OuterRef("expires_on")
        )
        qs = Licence.objects.filter(
            expires_on__gte=today,
            expires_on__lte=today + dt.timedelta(days=CREDENTIAL_WARNING_DAYS),
        ).filter(~Exists(later))
        if f.therapist_id:
            qs = qs.filter(user_id=f.therapist_id)
        if f.location_id:
            qs = qs.filter(user__locations=f.location_id)
        return qs.order_by("expires_on").values_list(
            "user__username", "state", "number", "expires_on"
        )

    def _lapsed(self, f: Filters, today: dt.date):
        # The approvers without a valid certification today (a handful of users, read first:
        # as a subquery the planner, guessing how many, chose to scan every plan, 40 ms at
        # 100%), then their plans approved in the range (an index range per approver, not
        # every plan of the year: docs/performance.md).
        valid_now = DNCertification.objects.filter(
            user=OuterRef("pk"), certified_on__lte=today, valid_until__gte=today
        )
        lapsed = list(User.objects.filter(~Exists(valid_now)).values_list("pk", flat=True))
        qs = TreatmentPlan.objects.filter(
            approved_at__gte=f.start_at(), approved_at__lt=f.end_before(), approved_by__in=lapsed
        )
        if f.therapist_id:
            qs = qs.filter(approved_by_id=f.therapist_id)
        if f.location_id:
            qs = qs.filter(location_id=f.location_id)
        return qs.order_by("approved_at").values_list(
            "approved_by__username", "patient__last_name", "patient__first_name", "approved_at"
        )

    def _unsigned(self, f: Filters):
        from needling.sessions.models import SessionRecord, SessionStatus
        from needling.sessions.selectors import overdue_cutoff

        qs = SessionRecord.objects.filter(
            status=SessionStatus.DRAFT, created_at__lt=overdue_cutoff()
        )
        if f.therapist_id:
            qs = qs.filter(practitioner_id=f.therapist_id)
        if f.location_id:
            qs = qs.filter(location_id=f.location_id)
        return qs.order_by("created_at").values_list(
            "practitioner__username", "patient__last_name", "patient__first_name", "session_date"
        )

    def _parts(self, f: Filters, today: dt.date) -> list[tuple[str, object, object]]:
        """(label, values_list queryset, row -> (who, detail, date)) for each kind, in order."""
        return [
            (
                "Note unsigned after 24 hours",
                self._unsigned(f),
                lambda who, last, first, day: (who, f"{last}, {first}", day),
            ),
            (
                "Consent expiring",
                self._consents(f, today),
                lambda last, first, signed: (
                    f"{last}, {first}",
                    f"signed {signed:%Y-%m-%d}",
                    signed + dt.timedelta(days=CONSENT_VALID_DAYS),
                ),
            ),
            (
                "DN certification expiring",
                self._certifications(f, today),
                lambda who, course, until: (who, course, until),
            ),
            (
                "Licence expiring",
                self._licences(f, today),
                lambda who, state, number, until: (who, f"{state} {number}", until),
            ),
            (
                "Plan approved, certification since lapsed",
                self._lapsed(f, today),
                lambda who, last, first, at: (who, f"{last}, {first}", timezone.localdate(at)),
            ),
        ]

    def rows(self, f: Filters) -> Iterator[tuple]:
        for label, qs, row in self._parts(f, timezone.localdate()):
            for values in qs.iterator(chunk_size=CHUNK):
                yield (label, *row(*values))

    def count(self, f: Filters) -> int:
        return sum(qs.count() for _label, qs, _row in self._parts(f, timezone.localdate()))

    def page(self, f: Filters) -> dict:
        """Six queries whatever the data: each kind's first rows (up to PAGE_ROWS in all)
        with its exact count alongside (a window count: one query per kind), and the lapsed
        approvers' ids before their plans."""
        rows: list[tuple] = []
        kinds: list[tuple[str, int]] = []
        for label, qs, row in self._parts(f, timezone.localdate()):
            room = PAGE_ROWS - len(rows)
            # At least one row even when the table is full: it carries the kind's count.
            found = list(qs.annotate(total_of_kind=Window(Count("pk")))[: max(room, 1)])
            if not found:
                continue
            kinds.append((label, found[0][-1]))
            rows += [(label, *row(*values[:-1])) for values in found[:room]]
        total = sum(n for _label, n in kinds)
        return {
            "summary": kinds or [("Items needing attention", 0)],
            "chart": None,
            "table": {
                "columns": self.columns,
                "rows": rows,
                "caption": "Items needing attention",
                "total": total,
            },
        }


def _patient_object_pks(patient_id) -> list[str]:
    """The primary keys (as text) of the records that belong to one patient."""
    from needling.plans.models import PlanOverride as Override

    pks = [str(patient_id)]
    pks += [
        str(pk) for pk in Consent.objects.filter(patient_id=patient_id).values_list("pk", flat=True)
    ]
    pks += [
        str(pk)
        for pk in TreatmentPlan.objects.filter(patient_id=patient_id).values_list("pk", flat=True)
    ]
    pks += [
        str(pk)
        for pk in Override.objects.filter(plan__patient_id=patient_id).values_list("pk", flat=True)
    ]
    pks += [
        str(pk)
        for pk in Appointment.objects.filter(patient_id=patient_id).values_list("pk", flat=True)
    ]
    from patients.models import Condition, ScreeningQuestionnaire

    pks += [
        str(pk)
        for pk in ScreeningQuestionnaire.objects.filter(patient_id=patient_id).values_list(
            "pk", flat=True
        )
    ]
    pks += [
        str(pk)
        for pk in Condition.objects.filter(patient_id=patient_id).values_list("pk", flat=True)
    ]
    return pks


ACTIONS = {value: str(label) for value, label in LogEntry.Action.choices}


def _model_name(content_type_id: int) -> str:
    """The model name of a content type, from Django's per-process content type cache."""
    try:
        return ContentType.objects.get_for_id(content_type_id).model
    except ContentType.DoesNotExist:
        return ""


@register
class ChangesReport(Report):
    slug = "changes"
    title = "Changes"
    description = "Every change to clinical and booking records: who, when, before and after."
    permission = "clinic.view_audit"
    audit = True
    columns = ("When", "Who", "Action", "Record type", "Record", "Changes")

    def queryset(self, f: Filters):
        qs = LogEntry.objects.filter(timestamp__gte=f.start_at(), timestamp__lt=f.end_before())
        if f.user_id:
            qs = qs.filter(actor_id=f.user_id)
        if f.patient_id:
            qs = qs.filter(object_pk__in=_patient_object_pks(f.patient_id))
        return qs

    def rows(self, f: Filters, *, limit: int | None = None) -> Iterator[tuple]:
        tz = timezone.get_current_timezone()
        qs = (
            self.queryset(f)
            .order_by("-timestamp", "-pk")
            .values_list(
                "timestamp",
                "actor__username",
                "action",
                "content_type_id",
                "object_repr",
                "changes_text",
                "changes",
            )
        )
        for at, who, action, ct, obj, text, changes in _stream(qs, limit):
            detail = text or (
                "; ".join(
                    f"{k}: {v[0]} → {v[1]}"
                    for k, v in (changes or {}).items()
                    if isinstance(v, list) and len(v) == 2
                )
            )
            yield (
                at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                who or "system",
                ACTIONS.get(action, action),
                _model_name(ct),
                obj,
                detail,
            )

    def count(self, f: Filters) -> int:
        return self.queryset(f).count()

    def page(self, f: Filters) -> dict:
        total = self.count(f)
        return {
            "summary": [("Changes", total)],
            "chart": None,
            "table": {
                "columns": self.columns,
                "rows": list(self.rows(f, limit=PAGE_ROWS)),
                "caption": "Changes, newest first",
                "total": total,
            },
        }


@register
class AccessReport(Report):
    slug = "access"
    title = "Access log"
    description = "Who opened which patient's page, screening, session note or PDF, and when."
    permission = "clinic.view_audit"
    audit = True
    columns = ("When", "User", "Patient", "What")

    def queryset(self, f: Filters):
        qs = PatientAccessLog.objects.filter(
            accessed_at__gte=f.start_at(), accessed_at__lt=f.end_before()
        )
        if f.user_id:
            qs = qs.filter(user_id=f.user_id)
        if f.patient_id:
            qs = qs.filter(patient_id=f.patient_id)
        return qs

    def note_reads(self, f: Filters):
        from needling.sessions.models import SessionAccessLog

        qs = SessionAccessLog.objects.filter(at__gte=f.start_at(), at__lt=f.end_before())
        if f.user_id:
            qs = qs.filter(user_id=f.user_id)
        if f.patient_id:
            qs = qs.filter(session__patient_id=f.patient_id)
        return qs

    def rows(self, f: Filters, *, limit: int | None = None) -> Iterator[tuple]:
        """Page and PDF accesses, then session note reads (each newest first). With a
        ``limit``, up to that many of each (two queries whatever the data): the page keeps the
        first ``limit`` of them all."""
        tz = timezone.get_current_timezone()
        labels = dict(PatientAccessLog.Action.choices)
        pages = (
            self.queryset(f)
            .order_by("-accessed_at", "-pk")
            .values_list(
                "accessed_at",
                "user__username",
                "patient__last_name",
                "patient__first_name",
                "action",
            )
        )
        for at, who, last, first, action in _stream(pages, limit):
            yield (
                at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                who,
                f"{last}, {first}",
                labels.get(action, action),
            )
        notes = (
            self.note_reads(f)
            .order_by("-at", "-pk")
            .values_list(
                "at",
                "user__username",
                "session__patient__last_name",
                "session__patient__first_name",
                "session__session_date",
            )
        )
        for at, who, last, first, day in _stream(notes, limit):
            yield (
                at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                who,
                f"{last}, {first}",
                f"Read the session note of {day:%Y-%m-%d}",
            )

    def count(self, f: Filters) -> int:
        return self.queryset(f).count() + self.note_reads(f).count()

    def page(self, f: Filters) -> dict:
        users = ("user__username", "user__first_name", "user__last_name")
        counts: dict[tuple, int] = defaultdict(int)
        for qs in (self.queryset(f), self.note_reads(f)):
            for row in qs.values(*users).annotate(n=Count("pk")):
                counts[tuple(row[k] for k in users)] += row["n"]
        who = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
        per_day = list(
            self.queryset(f)
            .annotate(day=TruncDate("accessed_at"))
            .values("day")
            .annotate(n=Count("pk"))
            .order_by("day")
        )
        total = sum(counts.values())
        patient = None
        if f.patient_id:
            patient = (
                Patient.objects.filter(pk=f.patient_id)
                .values_list("last_name", "first_name")
                .first()
            )
        summary = [("Accesses", total), ("Different users", len(who))]
        if patient:
            summary.insert(0, ("Patient", f"{patient[0]}, {patient[1]}"))
        return {
            "summary": summary,
            "who": [
                (f"{first} {last}".strip() or username, username, n)
                for (username, first, last), n in who
            ],
            "chart": {
                "type": "line",
                "data": {
                    "labels": [r["day"].isoformat() for r in per_day],
                    "datasets": [
                        {
                            "label": "Patient page and PDF accesses",
                            "data": [r["n"] for r in per_day],
                        }
                    ],
                },
            }
            if per_day
            else None,
            "table": {
                "columns": self.columns,
                "rows": list(self.rows(f, limit=PAGE_ROWS))[:PAGE_ROWS],
                "caption": "Accesses, newest first (pages and PDFs, then session notes)",
                "total": total,
            },
        }
