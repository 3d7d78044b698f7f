"""Demo DN session notes for `manage.py seed_demo`: idempotent, dated relative to today.

Lucía Fernández (the demo patient with an approved plan) gets two signed follow-up visits
(six and four days ago), one draft note older than 24 hours (two days ago), an NPRS baseline
when none is recorded, and a DN follow-up today at 07:00 with the demo therapist, so that a
visit can be logged from the appointment page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from needling.plans.models import PlanStatus, TreatmentPlan
from needling.plans.screening import screening_policy
from needling.screening import Site, cpt_code
from needling.sessions.models import SessionRecord, SessionSite, SessionStatus

# days ago -> (NPRS before, after, signed)
VISITS = [(6, 7, 4, True), (4, 5, 3, True), (2, 4, 2, False)]


def _appointment(patient, therapist, location, day: dt.date, status: str):
    from clinic.booking.models import Appointment, AppointmentType

    dn_type = AppointmentType.objects.filter(is_dn=True).order_by(
        "duration_minutes"
    ).first() or AppointmentType.objects.create(
        name="DN follow-up", duration_minutes=30, is_dn=True
    )
    starts = dt.datetime.combine(day, dt.time(7, 0), tzinfo=location.zone)
    existing = Appointment.objects.filter(
        patient=patient, therapist=therapist, starts_at=starts
    ).first()
    if existing is not None:
        return existing
    room = location.rooms.order_by("name").first()
    return Appointment.objects.create(
        location=location,
        room=room,
        patient=patient,
        appointment_type=dn_type,
        therapist=therapist,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=dn_type.duration_minutes),
        status=status,
    )


@transaction.atomic
def seed_sessions(*, today: dt.date, users: dict) -> list[SessionRecord]:
    from patients.models import Patient

    therapist = users["therapist"]
    patient = Patient.objects.filter(first_name="Lucía", last_name="Fernández").first()
    if patient is None:
        return []
    plan = (
        TreatmentPlan.objects.filter(patient=patient, status=PlanStatus.APPROVED)
        .select_related("location")
        .first()
    )
    if plan is None or plan.location is None or not plan.location.rooms.exists():
        return []
    # Today's visit, to be logged from the appointment page.
    _appointment(patient, therapist, plan.location, today, "booked")
    if SessionRecord.objects.filter(patient=patient).exists():
        return list(SessionRecord.objects.filter(patient=patient))
    _seed_baseline(patient, therapist, today)
    questionnaire = patient.questionnaires.order_by("-taken_on").first()
    consent = patient.consents.first()
    plan_sites = list(plan.sites.select_related("muscle"))
    code = cpt_code(
        [Site(s.muscle.code, s.side) for s in plan_sites],
        bilateral_counts_twice=screening_policy().bilateral_counts_twice,
    )
    visit = _Visit(plan, patient, therapist, questionnaire, consent, plan_sites, code)
    notes = []
    for days_ago, before, after, signed in VISITS:
        day = today - dt.timedelta(days=days_ago)
        notes.append(visit.record(day, before=before, after=after, signed=signed))
    return notes


def _seed_baseline(patient, therapist, today: dt.date) -> None:
    """An NPRS baseline a week before the first visit, unless one is recorded."""
    from patients.services import outcome_record

    if not patient.outcomes.filter(measure="nprs").exists():
        outcome_record(
            patient=patient,
            measure="nprs",
            score=8,
            taken_on=today - dt.timedelta(days=7),
            recorded_by=therapist,
        )


@dataclass
class _Visit:
    """What every demo visit shares: the plan carried out, by whom, on what screening."""

    plan: TreatmentPlan
    patient: object
    therapist: object
    questionnaire: object
    consent: object
    plan_sites: list
    code: str | None  # the plan's CPT code

    def record(self, day: dt.date, *, before: int, after: int, signed: bool) -> SessionRecord:
        """A completed appointment on ``day`` and its note, signed or left a draft."""
        location = self.plan.location
        appointment = _appointment(self.patient, self.therapist, location, day, "completed")
        started = appointment.starts_at + dt.timedelta(minutes=5)
        needles = 2 * len(self.plan_sites)
        code = self.code
        note = SessionRecord.objects.create(
            appointment=appointment,
            plan=self.plan,
            patient=self.patient,
            practitioner=self.therapist,
            location=location,
            session_date=day,
            started_at=started,
            ended_at=started + dt.timedelta(minutes=20),
            screening_confirmed_unchanged=True,
            questionnaire=self.questionnaire,
            consent=self.consent,
            rescreen={"decision": "clear", "findings": [], "cpt_code": code},
            nprs_before=before,
            nprs_after=after,
            patient_response="Less pain gripping after treatment.",
            tolerance="good",
            complementary=["stretching"],
            needles_opened=needles,
            needles_disposed=needles,
            cpt_code=code or "",
            created_at=started,
        )
        self.add_sites(note)
        if signed:
            SessionRecord.objects.filter(pk=note.pk).update(
                status=SessionStatus.SIGNED,
                signed_at=started + dt.timedelta(minutes=40),
                signed_by=self.therapist,
                updated_at=timezone.now(),
            )
        return note

    def add_sites(self, note: SessionRecord) -> None:
        SessionSite.objects.bulk_create(
            SessionSite(
                session=note,
                muscle=site.muscle,
                side=site.side,
                needle_gauge=site.needle_gauge,
                needle_length_mm=site.needle_length_mm,
                needles=2,
                insertions=6,
                technique=site.technique,
                frequency_hz=site.estim_hz,
                minutes=site.estim_minutes,
                twitch_response=True,
                depth_mm=15,
                order=site.order,
            )
            for site in self.plan_sites
        )
