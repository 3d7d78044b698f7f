"""Services for DN session notes: open from an appointment, write, sign, addenda, reads.

Every change to a note goes through here. A signed note is locked: these functions refuse
(ValidationError), the models refuse, the admin is read-only, and on PostgreSQL triggers
reject UPDATE and DELETE of signed rows (migration 0006).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic.booking.times import local_today
from clinic.staff.roles import Role
from needling.plans.models import Complementary, PlanStatus, TreatmentPlan
from needling.plans.screening import screening_policy
from needling.screening import Site, cpt_code
from needling.sessions.models import (
    MAJOR_ADVERSE_KINDS,
    AdverseEvent,
    SessionAccessLog,
    SessionAddendum,
    SessionRecord,
    SessionSite,
    SessionStatus,
)

PRACTISE_DN = "clinic.practise_dn"
INCIDENT_NOTE_MIN = 10
EDITABLE_FIELDS = frozenset(
    {
        "started_at",
        "ended_at",
        "nprs_before",
        "nprs_after",
        "patient_response",
        "tolerance",
        "complementary",
        "needles_opened",
        "needles_disposed",
        "needle_incident_note",
    }
)
SITE_FIELDS = frozenset(
    {
        "needle_gauge",
        "needle_length_mm",
        "needles",
        "insertions",
        "technique",
        "frequency_hz",
        "minutes",
        "twitch_response",
        "depth_mm",
    }
)


def _not_clear_reason(screening) -> str:
    result = screening.result
    if result is None:
        return "The plan has no sites to needle."
    if result.decision == "blocked":
        found = [f for f in result.findings if f.severity == "absolute"]
    else:
        found = [f for f in result.findings if f.overridden is False]
    reasons = "; ".join(f"{f.rule}: {f.message}" for f in found) or result.decision
    text = f"Today's screening is {result.decision}, so the session cannot proceed. {reasons}"
    if screening.to_reconfirm:
        rules = ", ".join(o.rule for o in screening.to_reconfirm)
        text += (
            f" The override of {rules} was made on an earlier screening: a certified "
            "practitioner must confirm it again on today's screening."
        )
    return text


def rescreen_today(*, plan: TreatmentPlan, practitioner, on: dt.date):
    """Screen ``plan`` with the facts as they stand on ``on`` and this practitioner."""
    from needling.plans.screening import screen_plan_on

    return screen_plan_on(plan, practitioner=practitioner, on=on)


def overrides_to_reconfirm(*, plans, practitioner, on: dt.date) -> list[tuple[Any, Any]]:
    """(plan, earlier override) pairs a session on ``on`` needs confirmed again first."""
    return [
        (plan, earlier)
        for plan in plans
        for earlier in rescreen_today(plan=plan, practitioner=practitioner, on=on).to_reconfirm
    ]


def may_open(appointment, user) -> bool:
    """Only the appointment's therapist opens its session, and only of a DN appointment."""
    return appointment.therapist_id == user.pk and appointment.appointment_type.is_dn


def _lock_draft(session: SessionRecord) -> SessionRecord:
    locked = SessionRecord.objects.select_for_update(of=("self",)).get(pk=session.pk)
    if locked.status != SessionStatus.DRAFT:
        raise ValidationError("The session note is signed: add an addendum instead.")
    return locked


def _check_author(session: SessionRecord, user) -> None:
    if user.pk != session.practitioner_id:
        raise PermissionDenied("Only the treating practitioner writes this session note.")


@transaction.atomic
def session_start(
    *,
    appointment,
    plan: TreatmentPlan,
    user,
    screening_confirmed_unchanged: bool,
    questionnaire=None,
    on: dt.date | None = None,
) -> SessionRecord:
    """Open the note for ``appointment`` after the same-day check and a clear re-screen.

    Either the patient confirms the screening is unchanged (the latest questionnaire is used)
    or ``questionnaire`` is one taken today. The plan is screened again with today's facts;
    unless that is clear, a ValidationError names why and nothing is saved.
    """
    on = on or local_today(appointment.location.zone)
    _check_opening(appointment=appointment, plan=plan, user=user, on=on)
    questionnaire, screening_confirmed_unchanged = _same_day_check(
        appointment, questionnaire=questionnaire, confirmed=screening_confirmed_unchanged, on=on
    )
    screening = rescreen_today(plan=plan, practitioner=user, on=on)
    if not screening.is_clear:
        raise ValidationError(_not_clear_reason(screening))
    session = SessionRecord(
        appointment=appointment,
        plan=plan,
        patient_id=appointment.patient_id,
        practitioner=user,
        location_id=appointment.location_id,
        session_date=on,
        screening_confirmed_unchanged=screening_confirmed_unchanged,
        questionnaire=questionnaire,
        consent=appointment.patient.consents.filter(signed_on__lte=on).first(),
        rescreen=screening.result.to_dict(),
        complementary=list(plan.complementary or []),
    )
    session.full_clean()
    session.save()
    _copy_plan_sites(session, plan)
    _set_cpt(session)
    return session


def _check_opening(*, appointment, plan: TreatmentPlan, user, on: dt.date) -> None:
    """Who may open the note, and for which appointment and plan."""
    if not user.is_active or not user.has_perm(PRACTISE_DN):
        raise PermissionDenied("Only therapists who practise dry needling open DN sessions.")
    if appointment.therapist_id != user.pk:
        raise PermissionDenied("Only the appointment's therapist opens its session.")
    if not appointment.appointment_type.is_dn:
        raise ValidationError("This appointment is not a dry needling visit.")
    if appointment.status in ("cancelled", "no_show"):
        raise ValidationError("The appointment was cancelled or missed.")
    if appointment.local_starts_at.date() != on:
        raise ValidationError("A session is opened on the day of its appointment.")
    if SessionRecord.objects.filter(appointment=appointment).exists():
        raise ValidationError("This appointment already has a session note.")
    if plan.patient_id != appointment.patient_id:
        raise ValidationError({"plan": "That plan belongs to another patient."})
    if plan.status != PlanStatus.APPROVED:
        raise ValidationError({"plan": "Only an approved plan can be carried out."})


def _same_day_check(appointment, *, questionnaire, confirmed: bool, on: dt.date) -> tuple:
    """(the questionnaire the session rests on, whether the patient confirmed it unchanged):
    one taken today, or the latest on file when the patient confirms nothing changed."""
    from patients.selectors import latest_questionnaire

    if questionnaire is not None:
        if questionnaire.patient_id != appointment.patient_id or questionnaire.taken_on != on:
            raise ValidationError(
                {"questionnaire": "Use a questionnaire this patient completed today."}
            )
        return questionnaire, False
    if not confirmed:
        raise ValidationError(
            {
                "screening_confirmed_unchanged": "Confirm the screening answers are unchanged "
                "or take a new questionnaire first."
            }
        )
    questionnaire = latest_questionnaire(appointment.patient, on=on)
    if questionnaire is None:
        raise ValidationError(
            {"screening_confirmed_unchanged": "There is no questionnaire on file."}
        )
    return questionnaire, True


def _copy_plan_sites(session: SessionRecord, plan: TreatmentPlan) -> None:
    """The plan's sites as the session's, to be filled in with what was done."""
    SessionSite.objects.bulk_create(
        SessionSite(
            session=session,
            muscle_id=site.muscle_id,
            side=site.side,
            needle_gauge=site.needle_gauge,
            needle_length_mm=site.needle_length_mm,
            technique=site.technique,
            frequency_hz=site.estim_hz,
            minutes=site.estim_minutes,
            order=site.order,
        )
        for site in plan.sites.all()
    )


def _set_cpt(session: SessionRecord) -> str:
    sites = [Site(muscle=str(m), side=s) for m, s in session.sites.values_list("muscle_id", "side")]
    code = cpt_code(sites, bilateral_counts_twice=screening_policy().bilateral_counts_twice) or ""
    SessionRecord.objects.filter(pk=session.pk, status=SessionStatus.DRAFT).update(
        cpt_code=code, updated_at=timezone.now()
    )
    session.cpt_code = code
    return code


@transaction.atomic
def session_update(*, session: SessionRecord, user, **fields: Any) -> SessionRecord:
    """Change the visit's details on a draft note."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"These fields cannot be set here: {', '.join(sorted(unknown))}")
    locked = _lock_draft(session)
    _check_author(locked, user)
    for name, value in fields.items():
        setattr(locked, name, value)
    codes = locked.complementary
    if not isinstance(codes, list) or any(c not in Complementary.values for c in codes):
        raise ValidationError({"complementary": "Choose complementary treatments from the list."})
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def session_site_update(*, site: SessionSite, user, **fields: Any) -> SessionSite:
    unknown = set(fields) - SITE_FIELDS
    if unknown:
        raise ValidationError(f"These fields cannot be set here: {', '.join(sorted(unknown))}")
    locked = _lock_draft(site.session)
    _check_author(locked, user)
    site = SessionSite.objects.select_for_update().get(pk=site.pk)
    for name, value in fields.items():
        setattr(site, name, value)
    site.full_clean()
    site.save()
    return site


@transaction.atomic
def session_site_remove(*, site: SessionSite, user) -> None:
    """Drop a site that was not needled. Sites are added only through screening (a plan)."""
    locked = _lock_draft(site.session)
    _check_author(locked, user)
    SessionSite.objects.filter(pk=site.pk).delete()
    _set_cpt(locked)


@transaction.atomic
def adverse_event_add(
    *, session: SessionRecord, user, kind: str, severity: str, note: str = ""
) -> AdverseEvent:
    locked = _lock_draft(session)
    _check_author(locked, user)
    event = AdverseEvent(session=locked, kind=kind, severity=severity, note=note.strip())
    event.full_clean(exclude=["session"])
    event.save()
    if kind in MAJOR_ADVERSE_KINDS:
        SessionRecord.objects.filter(pk=locked.pk).update(major_event_flagged=True)
        _alert_managers(
            locked,
            subject="Major adverse event after dry needling",
            body=f"A major adverse event ({event.get_kind_display()}, {severity}) was "
            f"recorded for the DN session of {locked.session_date:%Y-%m-%d}.",
        )
    return event


@transaction.atomic
def adverse_event_remove(*, event: AdverseEvent, user) -> None:
    locked = _lock_draft(event.session)
    _check_author(locked, user)
    AdverseEvent.objects.filter(pk=event.pk).delete()
    if not locked.adverse_events.filter(is_major=True).exists():
        SessionRecord.objects.filter(pk=locked.pk).update(major_event_flagged=False)


@transaction.atomic
def session_sign(*, session: SessionRecord, user) -> SessionRecord:
    """Sign and lock the note. The needle count must match, or an incident note explain it."""
    locked = _lock_draft(session)
    _check_author(locked, user)
    if not user.has_perm("needling.sign_sessionrecord"):
        raise PermissionDenied("You cannot sign session notes.")
    errors: dict[str, str] = {}
    if not locked.sites.exists():
        errors["__all__"] = "Record at least one needled site before signing."
    if locked.needles_opened == 0:
        errors["needles_opened"] = "Record how many needles were opened."
    mismatch = locked.needles_opened != locked.needles_disposed
    if mismatch and len(locked.needle_incident_note.strip()) < INCIDENT_NOTE_MIN:
        errors["needle_incident_note"] = (
            f"{locked.needles_opened} needles opened but {locked.needles_disposed} disposed: "
            "describe the incident before signing."
        )
    if locked.nprs_before is None:
        errors["nprs_before"] = "Record the NPRS before treatment."
    if locked.nprs_after is None:
        errors["nprs_after"] = "Record the NPRS after treatment."
    if errors:
        raise ValidationError(errors)
    code = _set_cpt(locked)
    now = timezone.now()
    updated = SessionRecord.objects.filter(pk=locked.pk, status=SessionStatus.DRAFT).update(
        status=SessionStatus.SIGNED,
        signed_at=now,
        signed_by=user,
        cpt_code=code,
        needle_mismatch_flagged=mismatch,
        ended_at=locked.ended_at or now,
        started_at=locked.started_at or locked.created_at,
        updated_at=now,
    )
    if updated != 1:
        raise ValidationError("The note changed while it was being signed; try again.")
    if mismatch:
        _alert_managers(
            locked,
            subject="Needle count mismatch in a DN session",
            body=f"{locked.needles_opened} needles opened, {locked.needles_disposed} disposed. "
            f"Incident note: {locked.needle_incident_note.strip()}",
        )
    locked.refresh_from_db()
    return locked


@transaction.atomic
def session_addendum_add(*, session: SessionRecord, user, text: str) -> SessionAddendum:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write the addendum."})
    if session.status != SessionStatus.SIGNED:
        raise ValidationError("Edit the draft directly; addenda are for signed notes.")
    if not user.has_perm("needling.add_sessionaddendum"):
        raise PermissionDenied("You cannot add addenda.")
    addendum = SessionAddendum(session=session, author=user, text=text)
    addendum.full_clean()
    addendum.save()
    return addendum


def session_access(*, session: SessionRecord, user) -> None:
    """Log one read of a note."""
    SessionAccessLog.objects.create(session=session, user=user)


def sessions_access(*, sessions, user) -> None:
    SessionAccessLog.objects.bulk_create(SessionAccessLog(session=s, user=user) for s in sessions)


def _alert_managers(session: SessionRecord, *, subject: str, body: str) -> None:
    from clinic.staff.models import User

    emails = list(
        User.objects.filter(groups__name=Role.MANAGER.label, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not emails:
        return
    link = reverse("needling:session_detail", args=[session.pk])
    message = f"{body}\n\nSession note: {link}"
    transaction.on_commit(lambda: send_mail(subject, message, settings.DEFAULT_FROM_EMAIL, emails))
