"""Read side of session notes: what each page shows, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from clinic.booking.times import local_today
from needling.plans.models import PlanStatus, TreatmentPlan
from needling.sessions.models import (
    UNSIGNED_OVERDUE_HOURS,
    AdverseEvent,
    SessionRecord,
    SessionSite,
    SessionStatus,
)


def session_page() -> QuerySet[SessionRecord]:
    """One note with everything its page shows (1 query + 3 prefetches)."""
    return SessionRecord.objects.select_related(
        "patient", "practitioner", "location", "plan", "appointment", "signed_by", "questionnaire"
    ).prefetch_related(
        Prefetch("sites", queryset=SessionSite.objects.select_related("muscle")),
        "adverse_events",
        Prefetch("addenda", queryset=_addenda()),
    )


def _addenda():
    from needling.sessions.models import SessionAddendum

    return SessionAddendum.objects.select_related("author")


def overdue_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(hours=UNSIGNED_OVERDUE_HOURS)


def unsigned_overdue(*, practitioner=None) -> QuerySet[SessionRecord]:
    """Drafts opened more than 24 hours ago (1 query)."""
    notes = SessionRecord.objects.filter(
        status=SessionStatus.DRAFT, created_at__lt=overdue_cutoff()
    ).select_related("patient", "practitioner", "location")
    if practitioner is not None:
        notes = notes.filter(practitioner=practitioner)
    return notes.order_by("created_at")


def flagged_for_manager() -> QuerySet[SessionRecord]:
    """Notes a manager should look at: overdue drafts, needle mismatches, major events."""
    return (
        SessionRecord.objects.filter(
            Q(status=SessionStatus.DRAFT, created_at__lt=overdue_cutoff())
            | Q(needle_mismatch_flagged=True)
            | Q(major_event_flagged=True)
        )
        .select_related("patient", "practitioner", "location")
        .order_by("-session_date", "-created_at")
    )


def patient_sessions(patient) -> QuerySet[SessionRecord]:
    """A patient's notes, oldest first, with their sites (2 queries)."""
    return (
        SessionRecord.objects.filter(patient=patient)
        .select_related("practitioner")
        .prefetch_related(Prefetch("sites", queryset=SessionSite.objects.select_related("muscle")))
        .order_by("session_date", "created_at")
    )


def visible_sessions(user) -> QuerySet[SessionRecord]:
    """Managers read every note; a therapist the notes they wrote or made at their locations.
    Anyone else (the front desk) reads none."""
    notes = SessionRecord.objects.all()
    if not user.has_perm("needling.view_sessionrecord"):
        return notes.none()
    if user.has_perm("needling.view_sessionaccesslog"):
        return notes
    return notes.filter(Q(practitioner=user) | Q(location__in=user.locations.all()))


def session_of(appointment) -> SessionRecord | None:
    """The note opened from this appointment, if there is one (1 query)."""
    return SessionRecord.objects.filter(appointment=appointment).first()


@dataclass(frozen=True)
class StartOptions:
    """What a session opened from an appointment can use (see session_start_options)."""

    on: dt.date
    plans: list[TreatmentPlan]
    todays: object  # the patient's questionnaire of that day, or None

    def plan(self, pk: str) -> TreatmentPlan:
        """The plan a form chose (its choices are these plans' keys)."""
        return next(p for p in self.plans if str(p.pk) == pk)


def session_start_options(appointment) -> StartOptions:
    """The day of the appointment in its location, the patient's approved plans (latest
    approval first) and a questionnaire taken that day, the latest one (2 queries)."""
    patient = appointment.patient
    on = local_today(appointment.location.zone)
    plans = list(
        TreatmentPlan.objects.filter(patient=patient, status=PlanStatus.APPROVED).order_by(
            "-approved_at"
        )
    )
    todays = patient.questionnaires.filter(taken_on=on).order_by("-created_at").first()
    return StartOptions(on=on, plans=plans, todays=todays)


def _notes_filter(
    start: dt.date,
    end: dt.date,
    *,
    location_id=None,
    practitioner_id=None,
    signed_only: bool = False,
    via: str = "",
) -> Q:
    """The condition on a note (reached through ``via``, e.g. "session__") of
    ``notes_between``."""
    q = Q(**{f"{via}session_date__gte": start, f"{via}session_date__lte": end})
    if location_id:
        q &= Q(**{f"{via}location_id": location_id})
    if practitioner_id:
        q &= Q(**{f"{via}practitioner_id": practitioner_id})
    if signed_only:
        q &= Q(**{f"{via}status": SessionStatus.SIGNED})
    return q


def notes_between(
    start: dt.date,
    end: dt.date,
    *,
    location_id=None,
    practitioner_id=None,
    signed_only: bool = False,
) -> QuerySet[SessionRecord]:
    """Notes of the days ``start`` to ``end`` (inclusive), at one location and by one
    practitioner when given, signed ones only when asked: the notes the reports count."""
    return SessionRecord.objects.filter(
        _notes_filter(
            start,
            end,
            location_id=location_id,
            practitioner_id=practitioner_id,
            signed_only=signed_only,
        )
    )


def adverse_events_between(
    start: dt.date,
    end: dt.date,
    *,
    location_id=None,
    practitioner_id=None,
    signed_only: bool = False,
) -> QuerySet[AdverseEvent]:
    """The adverse events recorded on ``notes_between(...)``, as conditions on the join to
    their note (``session__in`` a subquery of the notes made PostgreSQL plan a join of the
    notes twice: the safety page's major events took 8-11 ms, 5-6 ms this way)."""
    return AdverseEvent.objects.filter(
        _notes_filter(
            start,
            end,
            location_id=location_id,
            practitioner_id=practitioner_id,
            signed_only=signed_only,
            via="session__",
        )
    )


# A signed note with a needle-count incident: flagged at signing or carrying an incident
# note. A signed note whose opened and disposed counts differ always carries the note (the
# constraint session_signed_complete), so the counts need no comparison here; and the test
# of two columns against each other was one PostgreSQL cannot estimate (it guessed every note
# of the year, and read them all instead of the partial index: docs/performance.md).
SIGNED_INCIDENT = Q(status=SessionStatus.SIGNED) & (
    Q(needle_mismatch_flagged=True) | ~Q(needle_incident_note="")
)


def needle_incidents_of(notes: QuerySet[SessionRecord]) -> QuerySet[SessionRecord]:
    """Of ``notes``, the signed ones with a needle-count incident (opened and disposed counts
    that differ, flagged, or an incident note)."""
    return notes.filter(SIGNED_INCIDENT)
