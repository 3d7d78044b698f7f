"""The report roll-ups equal a count over the rows, whatever is written and however.

A seeded random walk of inserts, updates (one row and bulk), cancellations, signings and
deletes of appointments, session notes and adverse events, written straight through the ORM
(no service, so only the database triggers can keep the roll-ups right); after every few
steps the roll-up reads are compared with counts over the rows for random filters (ranges
starting and ending at any day, with and without a location or therapist), and
``rollup_check`` must find no difference.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections import Counter, defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from clinic.booking.models import Appointment
from clinic.reports import rollups
from clinic.reports.filters import Filters
from clinic.reports.rollup_models import AppointmentDay
from clinic.reports.sessions import SafetyReport
from needling.plans.models import TreatmentPlan
from needling.sessions.models import AdverseEvent, AdverseKind, SessionRecord
from tests.booking.factories import AppointmentFactory
from tests.factories import (
    ConditionFactory,
    ConsentFactory,
    LocationFactory,
    PatientFactory,
    RoomFactory,
    ScreeningFactory,
    UserFactory,
)
from tests.hypothesis_profiles import walk_seeds

pytestmark = pytest.mark.django_db(transaction=False)

BASE = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)  # 40 days of hourly slots from here
DAYS = 40
KINDS = list(AdverseKind.values)
SEVERITIES = ["mild", "moderate", "severe"]
STATUSES = [s for s, _ in Appointment.Status.choices]


class World:
    """Two locations and three therapists; one patient and plan per therapist."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.locations = [LocationFactory(), LocationFactory()]
        self.therapists = [UserFactory() for _ in range(3)]
        self.rooms = {loc.pk: RoomFactory(location=loc) for loc in self.locations}
        self.plans = {}
        for t in self.therapists:
            patient = PatientFactory()
            plan = TreatmentPlan.objects.create(
                patient=patient,
                condition=ConditionFactory(patient=patient),
                practitioner=t,
                location=self.locations[0],
                planned_date=BASE.date(),
                created_by=t,
            )
            self.plans[t.pk] = (
                plan,
                ScreeningFactory(patient=patient),
                ConsentFactory(patient=patient),
            )
        # Hour slots: each appointment gets its own, so no room or therapist overlaps.
        self.free = list(range(DAYS * 24))
        rng.shuffle(self.free)

    def slot(self) -> dt.datetime:
        return BASE + dt.timedelta(hours=self.free.pop())

    # -- the steps ----------------------------------------------------------------------

    def book(self):
        if not self.free:
            return
        location = self.rng.choice(self.locations)
        therapist = self.rng.choice(self.therapists)
        starts = self.slot()
        plan, _, _ = self.plans[therapist.pk]
        AppointmentFactory(
            location=location,
            therapist=therapist,
            patient=plan.patient,
            room=self.rooms[location.pk],
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=30),
            **self._status(),
        )

    def _status(self) -> dict:
        status = self.rng.choice(STATUSES)
        return {"status": status, "cancel_reason": "Unwell" if status == "cancelled" else ""}

    def change_status(self):
        a = self._pick(Appointment.objects.all())
        if a:
            Appointment.objects.filter(pk=a.pk).update(**self._status())

    def cancel_many(self):
        ids = list(Appointment.objects.values_list("pk", flat=True))
        chosen = self.rng.sample(ids, min(len(ids), self.rng.randint(1, 4)))
        Appointment.objects.filter(pk__in=chosen).update(
            status="cancelled", cancel_reason="Clinic closed"
        )

    def move(self):
        a = self._pick(Appointment.objects.filter(dn_session__isnull=True))
        if a and self.free:
            starts = self.slot()
            location = self.rng.choice(self.locations)
            Appointment.objects.filter(pk=a.pk).update(
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=30),
                location=location,
                room=self.rooms[location.pk],
                therapist=self.rng.choice(self.therapists),
            )

    def delete_appointment(self):
        a = self._pick(Appointment.objects.filter(dn_session__isnull=True))
        if a:
            a.delete()

    def open_note(self):
        a = self._pick(Appointment.objects.filter(dn_session__isnull=True))
        if not a:
            return
        plan, questionnaire, consent = self.plans[a.therapist_id]
        signed = self.rng.random() < 0.3
        SessionRecord.objects.create(
            appointment=a,
            plan=plan,
            patient=plan.patient,
            practitioner=a.therapist,
            location=a.location,
            session_date=timezone.localdate(a.starts_at),
            questionnaire=questionnaire,
            consent=consent,
            cpt_code=self.rng.choice(["20560", "20561"]) if signed else "",
            status="signed" if signed else "draft",
            signed_at=timezone.now() if signed else None,
            signed_by=a.therapist if signed else None,
        )

    def add_event(self):
        note = self._pick(SessionRecord.objects.filter(status="draft"))
        if note:
            AdverseEvent.objects.create(
                session=note,
                kind=self.rng.choice(KINDS),
                severity=self.rng.choice(SEVERITIES),
            )

    def change_event(self):
        event = self._pick(AdverseEvent.objects.filter(session__status="draft"))
        if event:
            event.kind = self.rng.choice(KINDS)
            event.severity = self.rng.choice(SEVERITIES)
            event.save()

    def delete_event(self):
        event = self._pick(AdverseEvent.objects.filter(session__status="draft"))
        if event:
            event.delete()

    def edit_draft(self):
        note = self._pick(SessionRecord.objects.filter(status="draft"))
        if note:
            note.session_date = note.session_date + dt.timedelta(days=self.rng.choice((-1, 1)))
            note.practitioner = self.rng.choice(self.therapists)
            note.save()

    def sign(self):
        drafts = list(SessionRecord.objects.filter(status="draft").values_list("pk", flat=True))
        chosen = self.rng.sample(drafts, min(len(drafts), self.rng.randint(1, 3)))
        for pk in chosen:
            note = SessionRecord.objects.get(pk=pk)
            SessionRecord.objects.filter(pk=pk).update(
                status="signed",
                signed_at=timezone.now(),
                signed_by=note.practitioner,
                cpt_code=self.rng.choice(["20560", "20561"]),
            )

    def delete_draft(self):
        note = self._pick(SessionRecord.objects.filter(status="draft"))
        if note:
            note.delete()  # its events go with it

    def _pick(self, qs):
        ids = list(qs.values_list("pk", flat=True))
        return qs.model.objects.get(pk=self.rng.choice(ids)) if ids else None

    STEPS = (
        [book] * 6
        + [change_status, cancel_many, move, delete_appointment]
        + [open_note] * 4
        + [add_event] * 3
        + [change_event, delete_event, edit_draft, sign, sign, delete_draft]
    )

    def step(self):
        self.rng.choice(self.STEPS)(self)

    def filters(self) -> Filters:
        rng = self.rng
        start = BASE.date() + dt.timedelta(days=rng.randint(-2, DAYS))
        end = start + dt.timedelta(days=rng.randint(0, DAYS))
        return Filters(
            start=start,
            end=end,
            location_id=rng.choice([None, *[loc.pk for loc in self.locations]]),
            therapist_id=rng.choice([None, *[t.pk for t in self.therapists]]),
        )


def counted_appointments(f: Filters) -> dict[int, dict[str, int]]:
    qs = Appointment.objects.filter(starts_at__gte=f.start_at(), starts_at__lt=f.end_before())
    if f.location_id:
        qs = qs.filter(location_id=f.location_id)
    if f.therapist_id:
        qs = qs.filter(therapist_id=f.therapist_id)
    out: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for row in qs.values("therapist_id", "status").annotate(n=Count("pk")):
        out[row["therapist_id"]][row["status"]] = row["n"]
    return dict(out)


def counted_sessions(f: Filters) -> tuple[dict[str, int], Counter]:
    qs = SessionRecord.objects.filter(session_date__gte=f.start, session_date__lte=f.end)
    if f.location_id:
        qs = qs.filter(location_id=f.location_id)
    if f.therapist_id:
        qs = qs.filter(practitioner_id=f.therapist_id)
    counts = dict.fromkeys(rollups.SESSION_COUNTS, 0)
    events: Counter = Counter()
    for note in qs.prefetch_related("adverse_events"):
        if note.status == "draft":
            counts["drafts"] += 1
            continue
        counts["signed"] += 1
        counts[f"cpt_{note.cpt_code}"] += 1
        found = list(note.adverse_events.all())
        counts["minor_sessions"] += any(not e.is_major for e in found)
        counts["major_sessions"] += any(e.is_major for e in found)
        events.update((e.kind, e.severity) for e in found)
    return counts, events


def _events_of_signed_notes(f: Filters) -> list:
    """The ids of the events of the signed notes in the filters, picked in Python."""
    return [
        e.pk
        for e in AdverseEvent.objects.select_related("session")
        if e.session.status == "signed"
        and f.start <= e.session.session_date <= f.end
        and f.location_id in (None, e.session.location_id)
        and f.therapist_id in (None, e.session.practitioner_id)
    ]


def assert_in_step(world: World, rounds: int = 6) -> None:
    assert rollups.rollup_check() == []
    for _ in range(rounds):
        f = world.filters()
        assert rollups.appointment_counts(f) == counted_appointments(f), f
        counts, events = counted_sessions(f)
        assert rollups.session_counts(f) == counts, f
        assert rollups.event_counts(f) == dict(events), f
        # The safety report's list of events: those of the signed notes in the filters.
        listed = set(SafetyReport().events(f).values_list("pk", flat=True))
        assert listed == set(_events_of_signed_notes(f)), f
        assert SafetyReport().count(f) == sum(events.values()), f
        weekly = rollups.session_weekly(f, by_therapist=False)
        assert sum(w["drafts"] + w["signed"] for w in weekly) == counts["drafts"] + counts["signed"]
        # The activity report's first weekly rows per therapist, their number, the CPT totals.
        by_therapist = rollups.session_weekly(f, by_therapist=True)
        for limit in (3, 10**6):  # a few rows, and all of them (the walk's random stream is
            # left alone: it decides which rows the walk writes)
            first, total, cpt = rollups.session_weekly_first(f, limit=limit)
            assert first == [
                {k: w[k] for k in ("week", "practitioner__username", "drafts", "signed")}
                for w in by_therapist[:limit]
            ], f
            assert total == len(by_therapist)
            assert cpt == {c: counts[c] for c in ("cpt_20560", "cpt_20561")}, f


@pytest.mark.parametrize("seed", walk_seeds(3))
def test_rollups_equal_a_count_over_the_rows_after_random_writes(seed):
    world = World(random.Random(seed))
    for n in range(160):
        world.step()
        if n % 20 == 19:
            assert_in_step(world)
    # The walk did reach every kind of row.
    assert Appointment.objects.exists() and SessionRecord.objects.filter(status="signed").exists()
    assert AdverseEvent.objects.filter(session__status="signed").exists()
    assert_in_step(world, rounds=20)


def test_rebuild_restores_rollups_and_check_names_the_difference(location, therapist):
    starts = BASE + dt.timedelta(hours=3)
    AppointmentFactory(
        location=location,
        therapist=therapist,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=30),
    )
    assert rollups.rollup_check() == []
    # A count written behind the triggers' back is found, and a rebuild puts it right.
    AppointmentDay.objects.update(booked=5)
    differences = rollups.rollup_check()
    assert [(d.table, d.stored, d.counted) for d in differences] == [
        ("report_appointment_day", (5, 0, 0, 0, 0), (1, 0, 0, 0, 0))
    ]
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("rollups", "--check", stdout=out)
    assert "report_appointment_day" in out.getvalue()
    call_command("rollups", "--rebuild")
    assert rollups.rollup_check() == []
    assert AppointmentDay.objects.get().booked == 1


def test_the_triggers_are_installed_for_every_write():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'report_rollup_%%'")
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'report_rollup_%'"
            )
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        f"report_rollup_{table}_{op}" for table in rollups.COLUMNS for op in rollups.OPS
    }
