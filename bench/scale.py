"""Scale data for the benchmark: years of a five-location clinic group, written with COPY.

``seed_scale(patients=, sessions=)`` runs on top of the demo seed (``clinic.demo.seed``) and
adds, deterministically (one seeded ``random.Random``):

- patients with realistic, accented names (search_name / phone_digits filled as save() would);
- one screening questionnaire and one signed consent per patient;
- a condition and a DN treatment plan with two or three sites for every patient, approved
  (engine-made snapshot, ``bench.courses``) when the engine clears it on its planned date, so
  the plans' signed notes are treatment courses for the outcomes report;
- past appointments spread over the years before today, at the five demo locations, by
  twelve scale therapists per location, each in a room of their own and on a fixed grid of
  starts, so no therapist and no room is ever double-booked (the PostgreSQL exclusion
  constraints accept every row), until ``sessions`` of them are completed. The first scale
  patient ("Benchmark Heavy", with fixed screening answers and plan) gets 200 of them: the
  key path "patient page with 200 sessions".
- the other appointments are treatment courses, as a clinic books them (``_schedule``): each
  slot of a therapist's week is a standing weekly appointment held by one patient for a
  course of 6 to 18 visits (about 12), then by the next patient. A patient's screening,
  consent and plan are dated just before the first visit of their course, with the course's
  therapist and location; patients the courses do not reach (about 9%) were screened and
  planned in the last three years and never treated.

Every completed appointment gets a signed DN session record (plan, screening, consent, NPRS
before and after, needles opened = disposed, CPT 20560/20561) with two to four needled sites;
about 19% of sessions have a minor adverse event (Brady et al. 2014: 19.18% minor) and about
1 in 5,000 a major one (drawn from the major kinds; Brady reported none in 7,629 treatments).

Rows go in through ``bench.rows``: COPY FROM STDIN on PostgreSQL (executemany on SQLite, for
the tests), with every constraint and trigger in force.

Run twice it refuses unless ``reset=True``, which deletes the scale rows first (scale rows are
recognised by the ``SCALE_TAG`` in the patient notes and the scale therapists' usernames).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import random
import time
import uuid
import zoneinfo
from array import array
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from bench.rows import TableWriter, check_deferred_constraints, reserve_ids, write_instances
from clinic.booking.demo import STARTS
from clinic.booking.models import Appointment, AppointmentType, WorkingHours
from clinic.reports.rollup_models import (
    AdverseEventDay,
    AppointmentDay,
    AppointmentWeek,
    CourseRollup,
    SessionDay,
    SessionWeek,
)
from clinic.staff.models import DNCertification, Location, Room, User
from clinic.staff.roles import Role
from clinic.staff.services import staff_set_role
from needling.knowledge.models import Muscle
from needling.plans.models import PlanSite, TreatmentPlan
from needling.sessions.models import (
    MAJOR_ADVERSE_KINDS,
    AdverseEvent,
    AdverseKind,
    SessionRecord,
    SessionSite,
)
from patients.models import (
    Condition,
    Consent,
    ConsentText,
    Patient,
    ScreeningQuestionnaire,
    fold,
    phone_digits,
)

SCALE_TAG = "[scale-data]"
HEAVY_FIRST, HEAVY_LAST = "Benchmark", "Heavy"
HEAVY_SESSIONS = 200
THERAPISTS_PER_LOCATION = 12
SEED = 20260101

FIRST_NAMES = [
    "Zoë", "José", "Amelia", "Marcus", "Siobhán", "Kenji", "Lucía", "Noah", "Aaliyah", "Björn",
    "Grace", "Rafael", "Hannah", "Omar", "Chloé", "William", "Mei", "Diego", "Olivia", "Samuel",
    "Émilie", "François", "Søren", "Ingrid", "Łukasz", "Zoltán", "Małgorzata", "Nuño", "Inês",
    "João", "Renée", "André", "Anaïs", "Jürgen", "Dagný", "Aoife", "Ciarán", "Priya", "Arjun",
    "Fatima", "Yusuf", "Leila", "Mateo", "Valentina", "Sofía", "Camila", "Liam", "Emma", "Ava",
    "Ethan", "Isabella", "Mia", "James", "Benjamin", "Charlotte", "Lucas", "Harper", "Henry",
    "Evelyn", "Alexander", "Abigail", "Daniel", "Emily", "Michael", "Elizabeth", "Sebastián",
    "Thi", "Minh", "Hyun-woo", "Ji-yeon", "Wei", "Xiu", "Hiroshi", "Yuki", "Ngozi", "Chinedu",
]  # fmt: skip
LAST_NAMES = [
    "Whitaker", "Martínez", "Chen", "Johnson", "O'Neill", "Watanabe", "Fernández", "Goldberg",
    "Brooks", "Halvorsen", "Kim", "Souza", "Schmidt", "Haddad", "Dubois", "Taylor", "Lin",
    "Ramírez", "Nguyen", "Adeyemi", "Müller", "Šimić", "Nowak", "Kowalczyk", "Ørsted",
    "Gonçalves", "Pérez", "Núñez", "López", "González", "Rodríguez", "Hernández", "Smith",
    "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson", "Anderson", "Thomas",
    "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Hill", "Green",
    "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Phillips", "Campbell", "Parker",
    "Evans", "Edwards", "Collins", "Stewart", "Sánchez", "Morris", "Rogers", "Reed", "Cook",
    "Morgan", "Bell", "Murphy", "Bailey", "Rivera", "Cooper", "Richardson", "Cox", "Howard",
    "Ward", "Peterson", "Gray", "Ramos", "James", "Watson", "Brooks", "Kelly", "Sanders", "Price",
    "Bennett", "Wood", "Barnes", "Ross", "Henderson", "Coleman", "Jenkins", "Perry", "Powell",
    "Long", "Patterson", "Hughes", "Flores", "Washington", "Butler", "Simmons", "Foster",
    "Bryant", "Alexander", "Russell", "Griffin", "Díaz", "Hayes", "Åberg", "Lindqvist", "Þórsson",
]  # fmt: skip
ICD10 = [
    ("M54.2", "Cervicalgia"),
    ("M54.50", "Low back pain, unspecified"),
    ("M79.18", "Myalgia, other site"),
    ("M75.41", "Impingement syndrome of right shoulder"),
    ("M25.561", "Pain in right knee"),
    ("G44.209", "Tension-type headache, unspecified, not intractable"),
]


class AlreadySeeded(Exception):
    """Scale data exists: run with reset=True to rebuild it."""


@dataclass
class ScaleResult:
    patients: int = 0
    screenings: int = 0
    consents: int = 0
    plans: int = 0
    plan_sites: int = 0
    appointments: int = 0
    sessions: int = 0
    session_sites: int = 0
    adverse_events: int = 0
    approved_plans: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def scale_exists() -> bool:
    return Patient.objects.filter(notes=SCALE_TAG).exists()


def scale_reset() -> None:
    """Delete the scale rows (the demo data stays), with raw DELETEs: no per-row collector.

    On PostgreSQL the lock triggers on signed notes and on the access log are lifted for the
    duration (inside the caller's transaction) and restored afterwards.
    """
    from django.db import connection

    from clinic.booking.models import AppointmentEvent
    from patients.models import PatientAccessLog

    scale = Patient.objects.filter(notes=SCALE_TAG)
    appointments = Appointment.objects.filter(patient__in=scale)
    sessions = SessionRecord.objects.filter(patient__in=scale)
    plans = TreatmentPlan.objects.filter(patient__in=scale)
    ordered = [
        PatientAccessLog.objects.filter(patient__in=scale),
        AdverseEvent.objects.filter(session__in=sessions),
        SessionSite.objects.filter(session__in=sessions),
        sessions,
        AppointmentEvent.objects.filter(appointment__in=appointments),
        appointments,
        PlanSite.objects.filter(plan__in=plans),
        plans,
        Condition.objects.filter(patient__in=scale),
        Consent.objects.filter(patient__in=scale),
        ScreeningQuestionnaire.objects.filter(patient__in=scale),
        scale,
    ]
    tables = [qs.model._meta.db_table for qs in ordered]
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            # ALTER TABLE refuses tables with pending (deferred foreign key) trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    for qs in ordered:
        qs._raw_delete(qs.db)
    if postgres:
        with connection.cursor() as cursor:
            # Check the deferred foreign keys now: ALTER TABLE refuses pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        check_deferred_constraints()


def _therapists(locations: list[Location]) -> list[tuple[User, Location, Room]]:
    """THERAPISTS_PER_LOCATION therapists per location, each with a room and weekday hours."""
    from clinic.booking.demo import SHIFTS

    out = []
    today = timezone.localdate()
    for li, location in enumerate(locations):
        for n in range(THERAPISTS_PER_LOCATION):
            room, _ = Room.objects.get_or_create(location=location, name=f"Treatment room {n + 1}")
            user, created = User.objects.get_or_create(
                username=f"scale-t{li}-{n}",
                defaults={"first_name": f"Scale{li}", "last_name": f"Therapist{n}"},
            )
            if created:
                user.set_unusable_password()
                user.save()
                staff_set_role(user=user, role=Role.THERAPIST)
                user.locations.add(location)
                DNCertification.objects.create(
                    user=user,
                    course="Certified Dry Needling Level 1 and 2 (scale data)",
                    hours=54,
                    certified_on=today - dt.timedelta(days=365 * 20),
                    valid_until=today + dt.timedelta(days=365 * 3),
                )
                for weekday in range(5):
                    for starts, ends in SHIFTS:
                        WorkingHours.objects.create(
                            therapist=user,
                            location=location,
                            weekday=weekday,
                            starts=starts,
                            ends=ends,
                        )
            out.append((user, location, room))
    return out


HEAVY_MUSCLES = 3  # the heavy patient's plan: the first three muscles, fixed at every size


def seed_scale(*, patients: int, sessions: int, reset: bool = False, log=print) -> ScaleResult:
    """Build the scale data set (see the module docstring). Deterministic for given sizes."""
    if scale_exists():
        if not reset:
            raise AlreadySeeded("Scale data exists: run again with --reset to rebuild it.")
        with transaction.atomic():
            scale_reset()
    rng = random.Random(SEED)
    result = ScaleResult()
    today = timezone.localdate()
    now = timezone.now()
    locations = list(Location.objects.order_by("pk")[:5])
    if not locations:
        raise RuntimeError("Run seed_demo first: the scale data uses the demo locations.")
    manager = User.objects.get(username="manager")
    text = ConsentText.objects.order_by("-version").first()
    muscles = list(Muscle.objects.filter(lung_risk=False).order_by("pk")[:40])
    types = list(AppointmentType.objects.order_by("pk"))
    dn_types = [t for t in types if t.is_dn] or types

    with transaction.atomic():
        staff = _therapists(locations)
        started = time.monotonic()
        people = _patients(patients, rng=rng, locations=locations, manager=manager, now=now)
        result.patients = len(people)
        result.seconds["patients"] = time.monotonic() - started

        started = time.monotonic()
        schedule = _schedule(sessions, people=len(people), therapists=len(staff), today=today)
        result.seconds["schedule"] = time.monotonic() - started

        started = time.monotonic()
        screenings, consents = _screenings_consents(
            people, rng=rng, staff=staff, text=text, today=today, now=now, schedule=schedule
        )
        result.screenings, result.consents = len(screenings), len(consents)
        result.seconds["screenings_consents"] = time.monotonic() - started

        started = time.monotonic()
        plans, result.plan_sites = _plans(
            people,
            screenings,
            rng=rng,
            staff=staff,
            muscles=muscles,
            manager=manager,
            today=today,
            now=now,
            schedule=schedule,
        )
        result.plans = len(plans)
        result.seconds["plans"] = time.monotonic() - started

        started = time.monotonic()
        writer = _VisitWriter(
            rng=rng,
            now=now,
            manager=manager,
            plan_ids=[p.pk for p in plans],
            screening_ids=[s.pk for s in screenings],
            consent_ids=[c.pk for c in consents] if consents else None,
            muscle_ids=[m.pk for m in muscles],
            result=result,
        )
        with _courses_rebuilt_after():
            _appointments(
                schedule,
                writer=writer,
                rng=rng,
                staff=staff,
                locations=locations,
                patient_ids=[p.pk for p in people],
                dn_types=dn_types,
                today=today,
            )
            writer.flush()
        result.seconds["appointments_sessions"] = time.monotonic() - started
    from bench.courses import approve_scale_plans

    started = time.monotonic()
    result.approved_plans = approve_scale_plans(log=log)["approved"]
    result.seconds["approve_plans"] = time.monotonic() - started
    if reset:
        # scale_reset lifts the triggers (the roll-ups' too) while it deletes: count afresh.
        from clinic.reports.rollups import rollup_rebuild

        started = time.monotonic()
        rollup_rebuild()
        result.seconds["rollup_rebuild"] = time.monotonic() - started
    started = time.monotonic()
    _vacuum_analyze()
    result.seconds["vacuum_analyze"] = time.monotonic() - started
    log(
        f"scale data: {result.patients} patients, {result.screenings} screenings, "
        f"{result.consents} consents, {result.plans} plans ({result.plan_sites} sites, "
        f"{result.approved_plans} approved), "
        f"{result.appointments} appointments, {result.sessions} sessions "
        f"({result.session_sites} sites, {result.adverse_events} adverse events) in "
        + ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items())
    )
    return result


@contextlib.contextmanager
def _courses_rebuilt_after():
    """PostgreSQL: while the notes go in, the triggers on notes keep the daily roll-ups but
    leave out the course roll-up; then every plan's course is built in one statement (as
    migration clinic 0010 built them) and the full triggers are put back. Inside the seeding
    transaction, so a failure leaves the triggers as they were.

    With the course statements on, each COPY of ~46,000 notes at 100% rewrote the courses of
    the tens of thousands of plans it touched, for about 4 minutes per chunk
    (docs/performance.md, issue 16, third pass). The roll-ups come out the same:
    ``rollups --check`` compares them with the rows."""
    from clinic.reports import rollups

    if connection.vendor != "postgresql":
        yield
        return
    check_deferred_constraints()  # DROP TRIGGER, like ALTER TABLE, refuses pending events
    with connection.cursor() as cursor:
        for sql in rollups.install_sql("postgresql", courses=False):
            cursor.execute(sql)
    yield
    table = rollups.COURSES
    with connection.cursor() as cursor:  # fixed table and column names, no input
        # Statistics for the notes just copied in: without them the planner has no idea
        # that plan_id is selective. (When the course rows were built with per-plan look-ups
        # of the first and last NPRS, these became a scan of every note per plan: stopped
        # after 17 minutes at 100%. They are window functions over the notes since the
        # visit arrays, but the statistics are the seed's to give.)
        cursor.execute(f"ANALYZE {rollups.SESSIONS}")
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute(rollups.course_insert(None, "postgresql"))
    check_deferred_constraints()
    with connection.cursor() as cursor:
        for sql in rollups.install_sql("postgresql"):
            cursor.execute(sql)


# Every table the seed writes, the scale staff's included: the planner's estimates for the
# staff (60 therapists, their certifications) decide how the compliance report reads plans.
SEEDED_MODELS = (Patient, ScreeningQuestionnaire, Consent, Condition, TreatmentPlan, PlanSite,
                 Appointment, SessionRecord, SessionSite, AdverseEvent, AppointmentDay, SessionDay,
                 AdverseEventDay, AppointmentWeek, SessionWeek, CourseRollup, User,
                 DNCertification, Room, WorkingHours)  # fmt: skip


def _vacuum_analyze() -> None:
    """PostgreSQL: fresh planner statistics and visibility maps for the new rows, so the
    first benchmark run plans (and index-only scans) as a server that has been up a while."""
    from django.db import connection

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in SEEDED_MODELS)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")


def _patients(count: int, *, rng, locations, manager, now) -> list[Patient]:
    """Patients with accented names; search_name and phone_digits filled as save() does."""
    rows = []
    for i in range(count):
        if i == 0:
            first, last = HEAVY_FIRST, HEAVY_LAST
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        phone = f"({rng.randint(200, 989)}) 555-{rng.randint(0, 9999):04d}"
        born = dt.date(1935, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 70))
        patient = Patient(
            first_name=first,
            last_name=last,
            date_of_birth=born,
            sex=rng.choice("FMFMFMX"),
            phone=phone,
            email=f"{fold(first).replace(' ', '')}.{i}@example.test",
            preferred_location=locations[i % len(locations)],
            notes=SCALE_TAG,
            created_by=manager,
        )
        patient.search_name = fold(f"{first} {last}")
        patient.phone_digits = phone_digits(phone)
        rows.append(patient)
    write_instances(Patient, rows, now=now)
    return rows


def _screenings_consents(people, *, rng, staff, text, today, now, schedule):
    """One screening and one signed consent each (a guardian signs for minors), taken up to
    two weeks before the first visit of the patient's course, by the course's therapist
    (patients with no course: some day of the last three years). The heavy patient's answers
    are fixed (anticoagulated, so the plan screening has a finding to show) so that its pages
    do the same work at every data size."""
    screenings, consents = [], []
    for i, patient in enumerate(people):
        course = schedule.courses.get(i)
        if course is not None:
            first_visit, t_index = course
            therapist = staff[t_index][0]
            taken = first_visit - dt.timedelta(days=rng.randint(0, 14))
        else:
            therapist = staff[i % len(staff)][0]
            taken = today - dt.timedelta(days=rng.randint(1, 365 * 3))
        roll = 0.15 if i == 0 else rng.random()
        if i == 0:
            taken = today - dt.timedelta(days=30)
        screenings.append(
            ScreeningQuestionnaire(
                patient=patient,
                taken_on=taken,
                taken_by=therapist,
                willing_to_proceed=True,
                able_to_consent=True,
                diabetes=roll < 0.1,
                metal_allergy=0.1 <= roll < 0.13,
                anticoagulant_drug="apixaban" if 0.13 <= roll < 0.2 else "",
            )
        )
        if text is None:
            continue
        adult = patient.age_on(taken) >= 18
        consents.append(
            Consent(
                patient=patient,
                text=text,
                signed_on=taken,
                signer=Consent.Signer.PATIENT if adult else Consent.Signer.GUARDIAN,
                guardian_relationship="" if adult else "Parent",
                signed_name=patient.full_name if adult else "Parent of the patient",
                witness=therapist,
            )
        )
    write_instances(ScreeningQuestionnaire, screenings, now=now)
    write_instances(Consent, consents, now=now)
    return screenings, consents


def _plans(people, screenings, *, rng, staff, muscles, manager, today, now, schedule):
    """A condition and a draft plan with two or three sites for every patient (the heavy
    patient's plan: the first HEAVY_MUSCLES muscles, its own practitioner, fixed), by the
    course's therapist at its location, planned between the screening and the course's first
    visit (the screening must be at most 30 days old on the planned date for the engine to
    clear the plan); a patient with no course: any therapist, up to two weeks after the
    screening."""
    conditions, plans, sites = [], [], []
    for i, patient in enumerate(people):
        code, description = ICD10[0] if i == 0 else rng.choice(ICD10)
        conditions.append(
            Condition(
                patient=patient,
                icd10_code=code,
                description=description,
                course="chronic" if i == 0 else rng.choice(("acute", "chronic")),
                recorded_by=manager,
            )
        )
    write_instances(Condition, conditions, now=now)
    for i, (patient, condition) in enumerate(zip(people, conditions, strict=True)):
        taken = screenings[i].taken_on
        course = schedule.courses.get(i) if i else None
        if i == 0:
            (therapist, location, _room), planned = staff[0], today
        elif course is not None:
            first_visit, t_index = course
            therapist, location, _room = staff[t_index]
            planned = taken + dt.timedelta(days=rng.randint(0, (first_visit - taken).days))
        else:
            therapist, location, _room = rng.choice(staff)
            planned = min(today, taken + dt.timedelta(days=rng.randint(0, 14)))
        plan = TreatmentPlan(
            patient=patient,
            condition=condition,
            practitioner=therapist,
            location=location,
            planned_date=planned,
            created_by=therapist,
        )
        plans.append(plan)
        if not muscles:
            continue
        chosen = muscles[:HEAVY_MUSCLES] if i == 0 else rng.sample(muscles, rng.randint(2, 3))
        for order, muscle in enumerate(chosen):
            sites.append(
                PlanSite(
                    plan=plan,
                    muscle=muscle,
                    side="left" if i == 0 else rng.choice(("left", "right")),
                    needle_gauge="0.25" if order else "0.30",
                    needle_length_mm=30 if i == 0 else rng.choice((30, 40, 50)),
                    order=order,
                )
            )
    write_instances(TreatmentPlan, plans, now=now)
    write_instances(PlanSite, sites, now=now)
    return plans, len(sites)


def _grid(*, today, staff):
    """The seeding grid, backwards from yesterday: every weekday, every scale therapist (in
    their room), every start of ``STARTS``; yields (day, therapist index, start index)."""
    day = today - dt.timedelta(days=1)
    while True:
        if day.weekday() < 5:
            for t_index in range(len(staff)):
                for s_index in range(len(STARTS)):
                    yield day, t_index, s_index
        day -= dt.timedelta(days=1)


@dataclass
class _Schedule:
    """Who holds each slot of the grid and how it ends, decided before any row is written:
    ``owners[n]`` and ``statuses[n]`` for the n-th slot of ``_grid``; ``courses`` maps a
    patient's index to the day of their course's first visit and the course's therapist."""

    owners: array
    statuses: array
    courses: dict[int, tuple[dt.date, int]]


STATUSES = (
    Appointment.Status.COMPLETED,
    Appointment.Status.CANCELLED,
    Appointment.Status.NO_SHOW,
)


def _schedule(sessions: int, *, people: int, therapists: int, today) -> _Schedule:
    """Slots of the grid until ``sessions`` of them are completed. Every
    (sessions / HEAVY_SESSIONS)-th belongs to the heavy patient (all completed). Each other
    slot of a therapist's week is a standing weekly appointment: its holder keeps it for a
    course of visits (6 to 18 at full scale, sized so that the courses reach about nine
    patients in ten), then the next patient who has had none takes it; 5% of those visits are
    cancelled and 3% no-shows. Walking backwards, a course's last visit comes first, so its
    first visit is the last one seen. Its own random stream: the rows' stream is untouched."""
    rng = random.Random(SEED + 1)
    heavy_every = max(1, sessions // HEAVY_SESSIONS) if sessions >= HEAVY_SESSIONS else 1
    others = max(0, sessions - min(sessions, HEAVY_SESSIONS)) / 0.92
    seats_per_week = 5 * len(STARTS)
    # The oldest course of each seat is cut short by the start of the data: half a course each.
    mean = max(2, math.ceil(others / max(1, people - 1 - therapists * seats_per_week // 2)) + 1)
    seats: dict[tuple[int, int], list[int]] = {}  # (therapist, seat) -> [patient, visits left]
    fresh = iter(range(1, people))
    schedule = _Schedule(owners=array("l"), statuses=array("b"), courses={})
    completed = 0
    counters = [0] * therapists
    for day, t_index, _s_index in _grid(today=today, staff=range(therapists)):
        if completed >= sessions:
            break
        seat = counters[t_index] % seats_per_week
        counters[t_index] += 1
        status, made = 0, len(schedule.owners)
        if people == 1 or (made % heavy_every == 0 and made // heavy_every < HEAVY_SESSIONS):
            owner = 0
        else:
            held = seats.get((t_index, seat))
            if held is None or held[1] == 0:
                # Every patient has one plan, so one course; should the fresh ones run out,
                # someone treated before is seen again under the same plan.
                patient = next(fresh, None) or rng.randrange(1, people)
                held = seats[(t_index, seat)] = [patient, rng.randint(mean // 2, mean + mean // 2)]
            held[1] -= 1
            owner = held[0]
            schedule.courses[owner] = (day, t_index)
            roll = rng.random()
            status = 1 if roll < 0.05 else 2 if roll < 0.08 else 0
        schedule.owners.append(owner)
        schedule.statuses.append(status)
        completed += status == 0
    return schedule


def _appointments(schedule, *, writer, rng, staff, locations, patient_ids, dn_types, today):
    """The appointments of the schedule's slots, with a signed session note for each completed
    one (``_VisitWriter``)."""
    zones = {loc.pk: zoneinfo.ZoneInfo(loc.time_zone) for loc in locations}
    starts_of: dict = {}  # (day, location) -> the UTC starts of that day
    grid = _grid(today=today, staff=staff)
    for owner, status_code, (day, t_index, s_index) in zip(
        schedule.owners, schedule.statuses, grid, strict=False
    ):
        therapist, location, room = staff[t_index]
        key = (day, location.pk)
        if key not in starts_of:
            starts_of.clear()
            zone = zones[location.pk]
            starts_of[key] = [
                dt.datetime(day.year, day.month, day.day, h, m, tzinfo=zone).astimezone(dt.UTC)
                for h, m in STARTS
            ]
        starts = starts_of[key][s_index]
        kind = rng.choice(dn_types)
        status = STATUSES[status_code]
        writer.visit(
            owner=owner,
            patient_id=patient_ids[owner],
            location_id=location.pk,
            type_id=kind.pk,
            therapist_id=therapist.pk,
            room_id=room.pk,
            starts=starts,
            ends=starts + dt.timedelta(minutes=kind.duration_minutes),
            status=status,
            reason="Patient unwell" if status == Appointment.Status.CANCELLED else "",
            day=day,
        )
    writer.result.appointments = len(schedule.owners)


MINOR_KINDS = [k for k in AdverseKind.values if k not in MAJOR_ADVERSE_KINDS]
MAJOR_KINDS = sorted(MAJOR_ADVERSE_KINDS)
MINOR_RATE = 0.19  # Brady et al. 2014: 19.18% of treatments had a minor adverse event
MAJOR_RATE = 0.0002
CHUNK = 50_000  # appointments per COPY round


class _VisitWriter:
    """Buffers appointments, and for each completed one a signed DN session note with its
    sites and adverse events, as plain rows; writes them in chunks through TableWriter.

    Per chunk the sites and adverse events are written before their notes: the lock triggers
    refuse new rows under a note that is already signed, and the foreign keys to the notes
    are deferred, checked (``SET CONSTRAINTS ALL IMMEDIATE``) once the notes are in.
    """

    APPOINTMENT = (
        "id", "location_id", "patient_id", "appointment_type_id", "therapist_id", "room_id",
        "starts_at", "ends_at", "status", "cancel_reason", "cancelled_at", "completed_at",
        "created_by_id", "created_at", "updated_at",
    )  # fmt: skip
    SESSION = (
        "id", "appointment_id", "plan_id", "patient_id", "practitioner_id", "location_id",
        "session_date", "started_at", "ended_at", "screening_confirmed_unchanged",
        "questionnaire_id", "consent_id", "nprs_before", "nprs_after", "tolerance",
        "needles_opened", "needles_disposed", "major_event_flagged", "cpt_code", "status",
        "signed_at", "signed_by_id", "created_at", "updated_at",
    )  # fmt: skip
    SITE = (
        "session_id", "muscle_id", "side", "needle_gauge", "needle_length_mm", "needles",
        "insertions", "twitch_response", "order",
    )  # fmt: skip
    EVENT = ("session_id", "kind", "severity", "is_major", "recorded_at")

    def __init__(self, *, rng, now, manager, plan_ids, screening_ids, consent_ids, muscle_ids,
                 result):  # fmt: skip
        self.rng, self.result = rng, result
        self.manager_id = manager.pk
        self.plan_ids, self.screening_ids = plan_ids, screening_ids
        self.consent_ids, self.muscle_ids = consent_ids, muscle_ids
        self.writers = {
            "appointments": TableWriter(Appointment, self.APPOINTMENT, now=now),
            "sessions": TableWriter(SessionRecord, self.SESSION, now=now),
            "sites": TableWriter(SessionSite, self.SITE, now=now),
            "events": TableWriter(AdverseEvent, self.EVENT, now=now),
        }
        self._reset()

    def _reset(self) -> None:
        self.appointments, self.sessions, self.sites, self.events = [], [], [], []
        self.next_id = reserve_ids(Appointment, CHUNK)
        self.last_id = self.next_id + CHUNK - 1

    def visit(self, *, owner, patient_id, location_id, type_id, therapist_id, room_id, starts,
              ends, status, reason, day) -> None:  # fmt: skip
        appointment_id = self.next_id
        self.next_id += 1
        completed = status == Appointment.Status.COMPLETED
        self.appointments.append(
            (
                appointment_id, location_id, patient_id, type_id, therapist_id, room_id,
                starts, ends, status, reason,
                starts - dt.timedelta(days=1) if reason else None,
                ends if completed else None,
                self.manager_id, starts - dt.timedelta(days=7), ends,
            )
        )  # fmt: skip
        if completed:
            self._session(appointment_id, owner, patient_id, location_id, therapist_id, starts,
                          ends, day)  # fmt: skip
        if self.next_id > self.last_id:
            self.flush()
            self._reset()

    def _session(self, appointment_id, owner, patient_id, location_id, therapist_id, starts,
                 ends, day) -> None:  # fmt: skip
        rng = self.rng
        session_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        chosen = rng.sample(self.muscle_ids, rng.randint(2, 4)) if self.muscle_ids else []
        needles = 0
        for order, muscle_id in enumerate(chosen):
            count = rng.randint(1, 3)
            needles += count
            self.sites.append(
                (
                    session_id, muscle_id, rng.choice(("left", "right")),
                    "0.30" if order % 2 else "0.25", rng.choice((30, 40, 50)), count,
                    count * rng.randint(1, 4), rng.random() < 0.6, order,
                )
            )  # fmt: skip
        roll = rng.random()
        major = False
        if roll < MAJOR_RATE:
            major = True
            self.events.append((session_id, rng.choice(MAJOR_KINDS), "moderate", True, starts))
        elif roll < MINOR_RATE:
            self.events.append((session_id, rng.choice(MINOR_KINDS), "mild", False, starts))
        before = rng.randint(3, 9)
        self.sessions.append(
            (
                session_id, appointment_id, self.plan_ids[owner], patient_id, therapist_id,
                location_id, day, starts, ends, True, self.screening_ids[owner],
                self.consent_ids[owner] if self.consent_ids else None,
                before, max(0, before - rng.randint(0, 4)),
                rng.choice(("good", "good", "good", "fair")), needles, needles, major,
                "20561" if len(chosen) >= 3 else "20560", "signed", ends, therapist_id,
                starts, ends,
            )
        )  # fmt: skip

    def flush(self) -> None:
        w = self.writers
        w["appointments"].write(self.appointments)
        self.result.session_sites += w["sites"].write(self.sites)
        self.result.adverse_events += w["events"].write(self.events)
        self.result.sessions += w["sessions"].write(self.sessions)
        check_deferred_constraints()  # the sites' and events' foreign keys to the notes
        self.appointments, self.sessions, self.sites, self.events = [], [], [], []
