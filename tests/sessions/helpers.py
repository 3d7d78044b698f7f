"""Builders for session tests, the URL matrix and the browser test: a DN-ready patient, an
approved plan, a DN appointment today and an opened session note."""

from __future__ import annotations

import datetime as dt

from clinic.booking.times import local_today
from needling.knowledge.models import Muscle
from needling.plans import services
from needling.sessions import services as session_services
from tests.booking.factories import AppointmentFactory, AppointmentTypeFactory, local
from tests.factories import ConditionFactory, ConsentFactory, PatientFactory, ScreeningFactory


def ready_patient(*, therapist, on: dt.date, **patient_fields):
    """Screened and consented on ``on``: ready for dry needling."""
    patient = PatientFactory(**patient_fields)
    ScreeningFactory(patient=patient, taken_on=on, taken_by=therapist)
    ConsentFactory(patient=patient, signed_on=on, witness=therapist)
    return patient


def approved_plan(
    *, therapist, patient, location, on: dt.date, sites=(("deltoid", "left"),), overrides=()
):
    """An approved plan of ``sites``, with ``overrides`` as (rule, reason) pairs."""
    plan = services.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient, recorded_by=therapist),
        planned_date=on,
        location=location,
    )
    for code, side in sites:
        services.plan_site_add(
            plan=plan, user=therapist, muscle=Muscle.objects.get(code=code), side=side
        )
    for rule, reason in overrides:
        services.plan_override_record(plan=plan, user=therapist, rule=rule, reason=reason)
    return services.plan_approve(plan=plan, user=therapist)


def dn_appointment(*, therapist, patient, location, hour: int | None = None):
    """A DN visit today; by default at 12:00, or the next free hour for this therapist (so
    several notes do not overlap: PostgreSQL's exclusion constraint would refuse)."""
    day = local_today(location.zone)
    if hour is None:
        hour = next(
            h for h in (*range(12, 21), *range(8, 12)) if _free(therapist, location, day, h)
        )
    dn_type = AppointmentTypeFactory(name="Dry needling", is_dn=True, duration_minutes=45)
    return AppointmentFactory(
        location=location,
        therapist=therapist,
        patient=patient,
        appointment_type=dn_type,
        starts_at=local(location, day, hour),
        ends_at=local(location, day, hour) + dt.timedelta(minutes=45),
    )


def _free(therapist, location, day, hour: int) -> bool:
    """No active appointment of the therapist overlaps 45 minutes from ``hour`` that day."""
    from clinic.booking.models import Appointment

    start = local(location, day, hour)
    return not (
        Appointment.objects.filter(
            therapist=therapist, starts_at__lt=start + dt.timedelta(minutes=45), ends_at__gt=start
        )
        .exclude(status__in=("cancelled", "no_show"))
        .exists()
    )


def opened_session(*, therapist, location, sites=(("deltoid", "left"),), patient=None):
    """A draft note for a DN appointment today, after a clear re-screen."""
    day = local_today(location.zone)
    patient = patient or ready_patient(therapist=therapist, on=day)
    plan = approved_plan(
        therapist=therapist, patient=patient, location=location, on=day, sites=sites
    )
    appointment = dn_appointment(therapist=therapist, patient=patient, location=location)
    return session_services.session_start(
        appointment=appointment,
        plan=plan,
        user=therapist,
        screening_confirmed_unchanged=True,
        on=day,
    )


def complete_and_sign(session, user, *, opened=2, disposed=2, note=""):
    session_services.session_update(
        session=session,
        user=user,
        nprs_before=6,
        nprs_after=3,
        needles_opened=opened,
        needles_disposed=disposed,
        needle_incident_note=note,
    )
    return session_services.session_sign(session=session, user=user)
