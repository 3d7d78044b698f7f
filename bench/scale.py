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

Session records (issue 6) are not in this branch yet; ``sessions`` therefore counts the
appointments (one DN session each) until those models exist.

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
from django.utils import timezone

from clinic.booking.demo import STARTS
from clinic.booking.models import Appointment, AppointmentType, WorkingHours
from clinic.models import DNCertification, Location, Room, User
from clinic.roles import Role
from clinic.services import staff_set_role
from needling.models import Muscle, PlanSite, TreatmentPlan
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
THERAPISTS_PER_LOCATION = 6
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
    seconds: dict[str, float] = field(default_factory=dict)


def scale_exists() -> bool:
    return Patient.objects.filter(notes=SCALE_TAG).exists()


def scale_reset() -> None:
    """Delete the scale rows (the demo data stays)."""
    scale = Patient.objects.filter(notes=SCALE_TAG)
    Appointment.objects.filter(patient__in=scale).delete()
    plans = TreatmentPlan.objects.filter(patient__in=scale)
    PlanSite.objects.filter(plan__in=plans).delete()
    plans.delete()
    Condition.objects.filter(patient__in=scale).delete()
    Consent.objects.filter(patient__in=scale).delete()
    ScreeningQuestionnaire.objects.filter(patient__in=scale).delete()
    scale.delete()


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

        # --- conditions, plans and sites (one patient in five, and always the heavy one) --
        started = time.monotonic()
        planned = [p for i, p in enumerate(people) if i % 5 == 0]
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
        n_people = len(people)
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
                            patient = people[0]
                        else:
                            patient = people[rng.randrange(1, n_people) if n_people > 1 else 0]
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
                        made += 1
                if len(batch) >= BATCH * 4:
                    _bulk(Appointment, batch)
                    batch = []
            day -= dt.timedelta(days=1)
        _bulk(Appointment, batch)
        result.appointments = made
        result.seconds["appointments"] = time.monotonic() - started
    log(
        f"scale data: {result.patients} patients, {result.screenings} screenings, "
        f"{result.consents} consents, {result.plans} plans ({result.plan_sites} sites), "
        f"{result.appointments} appointments"
    )
    return result
