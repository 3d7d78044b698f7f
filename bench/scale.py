"""Scale data for the benchmark: years of a five-location clinic group, built with bulk inserts.

``seed_scale(patients=, sessions=)`` runs on top of the demo seed (``clinic.demo.seed``) and
adds, deterministically (one seeded ``random.Random``):

- patients with realistic, accented names (search_name / phone_digits filled as save() would);
- one screening questionnaire and one signed consent per patient;
- a condition and a draft DN treatment plan with two or three sites for one patient in five;
- ``sessions`` past appointments spread over the years before today, at the five demo
  locations, by six scale therapists per location, each in a room of their own and on a fixed
  grid of starts, so no therapist and no room is ever double-booked (the PostgreSQL
  exclusion constraints accept every row). The first scale patient ("Benchmark Heavy") gets
  200 of them: the key path "patient page with 200 sessions".

Every completed appointment gets a signed DN session record (plan, screening, consent, NPRS
before and after, needles opened = disposed, CPT 20560/20561) with two to four needled sites;
about 19% of sessions have a minor adverse event (Brady et al. 2014: 19.18% minor) and about
1 in 5,000 a major one (drawn from the major kinds; Brady reported none in 7,629 treatments).

Run twice it refuses unless ``reset=True``, which deletes the scale rows first (scale rows are
recognised by the ``SCALE_TAG`` in the patient notes and the scale therapists' usernames).
"""

from __future__ import annotations

import datetime as dt
import random
import time
import zoneinfo
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clinic.booking.demo import STARTS
from clinic.booking.models import Appointment, AppointmentType, WorkingHours
from clinic.models import DNCertification, Location, Room, User
from clinic.roles import Role
from clinic.services import staff_set_role
from needling.models import Muscle, PlanSite, TreatmentPlan
from needling.session_models import (
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
THERAPISTS_PER_LOCATION = 10
BATCH = 5000
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
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _therapists(locations: list[Location]) -> list[tuple[User, Location, Room]]:
    """Six therapists per location, each with a room of their own and weekday hours there."""
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


def _bulk(model, objs: list) -> None:
    model.objects.bulk_create(objs, batch_size=BATCH)


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
        # --- patients -------------------------------------------------------------------
        rows = []
        for i in range(patients):
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
        _bulk(Patient, rows)
        people = rows
        result.patients = len(people)
        result.seconds["patients"] = time.monotonic() - started

        # --- screenings and consents ----------------------------------------------------
        started = time.monotonic()
        screenings, consents = [], []
        for patient, (therapist, _loc, _room) in zip(
            people, (staff[i % len(staff)] for i in range(len(people))), strict=True
        ):
            taken = today - dt.timedelta(days=rng.randint(1, 365 * 3))
            roll = rng.random()
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
        _bulk(ScreeningQuestionnaire, screenings)
        result.screenings = len(screenings)
        if text is not None:
            _bulk(Consent, consents)
            result.consents = len(consents)
        result.seconds["screenings_consents"] = time.monotonic() - started

        # --- a condition and a draft plan with its sites for every patient -----------------
        started = time.monotonic()
        planned = people
        conditions, plans = [], []
        for patient in planned:
            code, description = rng.choice(ICD10)
            conditions.append(
                Condition(
                    patient=patient,
                    icd10_code=code,
                    description=description,
                    course=rng.choice(("acute", "chronic")),
                    recorded_by=manager,
                )
            )
        _bulk(Condition, conditions)
        for patient, condition in zip(planned, conditions, strict=True):
            therapist, location, _room = rng.choice(staff)
            plans.append(
                TreatmentPlan(
                    patient=patient,
                    condition=condition,
                    practitioner=therapist,
                    location=location,
                    planned_date=today - dt.timedelta(days=rng.randint(0, 365 * 2)),
                    created_by=therapist,
                )
            )
        _bulk(TreatmentPlan, plans)
        sites = []
        if muscles:
            for plan in plans:
                for order, muscle in enumerate(rng.sample(muscles, rng.randint(2, 3))):
                    sites.append(
                        PlanSite(
                            plan=plan,
                            muscle=muscle,
                            side=rng.choice(("left", "right")),
                            needle_gauge="0.25" if order else "0.30",
                            needle_length_mm=rng.choice((30, 40, 50)),
                            order=order,
                        )
                    )
            _bulk(PlanSite, sites)
        result.plans, result.plan_sites = len(plans), len(sites)
        result.seconds["plans"] = time.monotonic() - started

        # --- appointments: a fixed grid per therapist and room, backwards from yesterday ---
        started = time.monotonic()
        zones = {loc.pk: zoneinfo.ZoneInfo(loc.time_zone) for loc in locations}
        heavy_every = max(1, sessions // HEAVY_SESSIONS) if sessions >= HEAVY_SESSIONS else 1
        made = 0
        day = today - dt.timedelta(days=1)
        batch: list[Appointment] = []
        owners: list[int] = []
        n_people = len(people)
        ctx = {
            "plans": plans,
            "screenings": screenings,
            "consents": consents if text is not None else None,
            "muscles": muscles,
        }
        while made < sessions:
            if day.weekday() < 5:
                for therapist, location, room in staff:
                    zone = zones[location.pk]
                    for hour, minute in STARTS:
                        if made >= sessions:
                            break
                        kind = rng.choice(dn_types)
                        starts_local = dt.datetime(
                            day.year, day.month, day.day, hour, minute, tzinfo=zone
                        )
                        starts = starts_local.astimezone(dt.UTC)
                        if made % heavy_every == 0 and made // heavy_every < HEAVY_SESSIONS:
                            index = 0
                        else:
                            index = rng.randrange(1, n_people) if n_people > 1 else 0
                        patient = people[index]
                        roll = rng.random()
                        status, reason = Appointment.Status.COMPLETED, ""
                        if patient is not people[0]:
                            if roll < 0.05:
                                status, reason = Appointment.Status.CANCELLED, "Patient unwell"
                            elif roll < 0.08:
                                status = Appointment.Status.NO_SHOW
                        batch.append(
                            Appointment(
                                location=location,
                                patient=patient,
                                appointment_type=kind,
                                therapist=therapist,
                                room=room,
                                starts_at=starts,
                                ends_at=starts + dt.timedelta(minutes=kind.duration_minutes),
                                status=status,
                                cancel_reason=reason,
                                created_by=manager,
                            )
                        )
                        owners.append(index)
                        made += 1
                if len(batch) >= BATCH * 4:
                    _sessions(batch, owners, rng=rng, ctx=ctx, result=result)
                    batch, owners = [], []
            day -= dt.timedelta(days=1)
        _sessions(batch, owners, rng=rng, ctx=ctx, result=result)
        result.appointments = made
        # Sign every scale note at once (draft -> signed is what the signing service does).
        SessionRecord.objects.filter(patient__notes=SCALE_TAG, status="draft").update(
            status="signed", signed_at=F("ended_at"), signed_by=F("practitioner")
        )
        result.seconds["appointments_sessions"] = time.monotonic() - started
    log(
        f"scale data: {result.patients} patients, {result.screenings} screenings, "
        f"{result.consents} consents, {result.plans} plans ({result.plan_sites} sites), "
        f"{result.appointments} appointments, {result.sessions} sessions "
        f"({result.session_sites} sites, {result.adverse_events} adverse events)"
    )
    return result


MINOR_KINDS = [k for k in AdverseKind.values if k not in MAJOR_ADVERSE_KINDS]
MAJOR_KINDS = sorted(MAJOR_ADVERSE_KINDS)
MINOR_RATE = 0.19  # Brady et al. 2014: 19.18% of treatments had a minor adverse event
MAJOR_RATE = 0.0002


def _sessions(batch: list[Appointment], owners: list[int], *, rng, ctx, result) -> None:
    """Insert a chunk of appointments, then a session note (draft) with sites and adverse
    events for each completed one. The caller signs them all afterwards."""
    _bulk(Appointment, batch)
    sessions, sites, events = [], [], []
    for appointment, owner in zip(batch, owners, strict=True):
        if appointment.status != Appointment.Status.COMPLETED:
            continue
        chosen = rng.sample(ctx["muscles"], rng.randint(2, 4)) if ctx["muscles"] else []
        needles = 0
        before = rng.randint(3, 9)
        started = appointment.starts_at
        session = SessionRecord(
            appointment=appointment,
            plan=ctx["plans"][owner],
            patient=appointment.patient,
            practitioner=appointment.therapist,
            location=appointment.location,
            session_date=appointment.starts_at.date(),
            started_at=started,
            ended_at=appointment.ends_at,
            screening_confirmed_unchanged=True,
            questionnaire=ctx["screenings"][owner],
            consent=ctx["consents"][owner] if ctx["consents"] else None,
            nprs_before=before,
            nprs_after=max(0, before - rng.randint(0, 4)),
            tolerance=rng.choice(("good", "good", "good", "fair")),
            created_at=started,
        )
        for order, muscle in enumerate(chosen):
            count = rng.randint(1, 3)
            needles += count
            sites.append(
                SessionSite(
                    session=session,
                    muscle=muscle,
                    side=rng.choice(("left", "right")),
                    needle_gauge="0.30" if order % 2 else "0.25",
                    needle_length_mm=rng.choice((30, 40, 50)),
                    needles=count,
                    insertions=count * rng.randint(1, 4),
                    twitch_response=rng.random() < 0.6,
                    order=order,
                )
            )
        session.needles_opened = session.needles_disposed = needles
        session.cpt_code = "20561" if len(chosen) >= 3 else "20560"
        roll = rng.random()
        if roll < MAJOR_RATE:
            kind, severity, major = rng.choice(MAJOR_KINDS), "moderate", True
        elif roll < MINOR_RATE:
            kind, severity, major = rng.choice(MINOR_KINDS), "mild", False
        else:
            kind = None
        if kind:
            session.major_event_flagged = major
            events.append(
                AdverseEvent(
                    session=session,
                    kind=kind,
                    severity=severity,
                    is_major=major,
                    recorded_at=started,
                )
            )
        sessions.append(session)
    _bulk(SessionRecord, sessions)
    _bulk(SessionSite, sites)
    _bulk(AdverseEvent, events)
    result.sessions += len(sessions)
    result.session_sites += len(sites)
    result.adverse_events += len(events)
