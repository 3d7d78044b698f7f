"""Writes of the intake: issuing, sending and revoking links, the patient's date-of-birth
check, submission, staff review, and the appointment confirm / cancel answers.

Every link state change is a conditional UPDATE on a usable link (not used, revoked, locked
or expired), so a link is used at most once however many requests race for it. Intake
reviews lock the row, check it is still pending, and save (so the audit trail records the
reviewer); the screening questionnaire and the consent are then recorded by the patients
services, exactly as if the reviewer had taken them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinic.staff.models import User
from patients import services as patient_services
from patients.intake import sms
from patients.intake.models import LINK_LIFETIME, MAX_DOB_ATTEMPTS, Intake, PatientLink
from patients.intake.questionnaire import QUESTION_STEPS, answers_check
from patients.intake.tokens import token_hash, token_new
from patients.models import ConsentSigner, ConsentText, Patient

Purpose = PatientLink.Purpose
Channel = PatientLink.Channel
MINOR_AGE = 18


class LinkUnusable(Exception):
    """The link was used, revoked, locked or has expired meanwhile."""


# --- Links -------------------------------------------------------------------------------------


def link_find(token: str) -> PatientLink | None:
    """The link a token opens, usable or not (None for a token that was never issued)."""
    return (
        PatientLink.objects.select_related("patient", "appointment")
        .filter(token_hash=token_hash(token))
        .first()
    )


@transaction.atomic
def link_issue(
    *,
    patient: Patient,
    purpose: str,
    channel: str,
    sent_to: str,
    created_by: User | None,
    appointment=None,
    message: str = "",
    draft: dict | None = None,
    now: dt.datetime | None = None,
) -> tuple[PatientLink, str]:
    """A new link and its token (returned once; only its hash is kept). A new intake link
    revokes the patient's earlier intake links that are still open: one live link each."""
    now = now or timezone.now()
    expires_at = now + LINK_LIFETIME
    if purpose == Purpose.APPOINTMENT:
        expires_at = min(expires_at, appointment.ends_at)
    else:
        PatientLink.objects.filter(patient=patient, purpose=Purpose.INTAKE).filter(
            PatientLink.usable_q(now)
        ).update(revoked_at=now, revoked_by=created_by)
    token = token_new()
    link = PatientLink(
        patient=patient,
        appointment=appointment,
        purpose=purpose,
        token_hash=token_hash(token),
        channel=channel,
        sent_to=sent_to,
        message=message,
        created_at=now,
        created_by=created_by,
        expires_at=expires_at,
        draft=draft or {},
    )
    link.full_clean()
    link.save()
    return link, token


def _intake_message(patient: Patient, url: str, link: PatientLink) -> tuple[str, str, str]:
    context = {
        "patient": patient,
        "url": url,
        "clinic_name": settings.CLINIC_NAME,
        "expires_at": link.expires_at,
        "message": link.message,
    }
    subject = " ".join(render_to_string("emails/intake_link_subject.txt", context).split())
    return (
        subject,
        render_to_string("emails/intake_link_body.txt", context),
        render_to_string("emails/intake_link_body.html", context),
    )


def intake_link_send(
    *,
    patient: Patient,
    channel: str,
    sent_by: User | None,
    base_url: str,
    message: str = "",
    draft: dict | None = None,
    now: dt.datetime | None = None,
) -> PatientLink:
    """Issue an intake link and send it by email or text message. If sending fails nothing
    is kept (the error is raised as a ValidationError naming the channel)."""
    if patient.is_archived:
        raise ValidationError("This patient is archived: restore the record first.")
    if channel == Channel.EMAIL:
        address = patient.email
        if not address:
            raise ValidationError({"channel": "The patient has no email address on record."})
    elif channel == Channel.SMS:
        address = patient.phone
        if not patient.phone_digits:
            raise ValidationError({"channel": "The patient has no phone number on record."})
    else:
        raise ValidationError({"channel": "Choose email or text message."})
    with transaction.atomic():
        link, token = link_issue(
            patient=patient,
            purpose=Purpose.INTAKE,
            channel=channel,
            sent_to=address,
            created_by=sent_by,
            message=message,
            draft=draft,
            now=now,
        )
        url = base_url.rstrip("/") + reverse("intake:open", args=[token])
        subject, text, html = _intake_message(patient, url, link)
        try:
            if channel == Channel.EMAIL:
                email = EmailMultiAlternatives(
                    subject=subject,
                    body=text,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[address],
                )
                email.attach_alternative(html, "text/html")
                email.send(fail_silently=False)
            else:
                sms.sms_send(
                    to=address,
                    body=f"{settings.CLINIC_NAME}: please answer your health questions before "
                    f"your visit: {url} (valid 72 hours)",
                )
        except (OSError, sms.SmsError) as error:
            transaction.set_rollback(True)
            raise ValidationError(
                {"channel": f"The link could not be sent ({error}). Nothing was saved."}
            ) from None
    return link


@transaction.atomic
def link_revoke(*, link: PatientLink, by: User, now: dt.datetime | None = None) -> bool:
    """Revoke a link that is still usable. False if it was already used, revoked, locked or
    expired."""
    now = now or timezone.now()
    locked = (
        PatientLink.objects.select_for_update()
        .filter(pk=link.pk)
        .filter(PatientLink.usable_q(now))
        .first()
    )
    if locked is None:
        return False
    locked.revoked_at = now
    locked.revoked_by = by
    locked.save(update_fields=["revoked_at", "revoked_by"])
    link.revoked_at, link.revoked_by = now, by
    return True


def link_check_date_of_birth(
    *, link: PatientLink, date_of_birth: dt.date, now: dt.datetime | None = None
) -> bool:
    """True when the date matches the patient's. A wrong date counts against the link; the
    MAX_DOB_ATTEMPTS-th wrong date locks it for good."""
    now = now or timezone.now()
    if not PatientLink.objects.filter(pk=link.pk).filter(PatientLink.usable_q(now)).exists():
        raise LinkUnusable
    if date_of_birth == link.patient.date_of_birth:
        return True
    with transaction.atomic():
        PatientLink.objects.filter(pk=link.pk, locked_at__isnull=True).update(
            failed_attempts=F("failed_attempts") + 1
        )
        PatientLink.objects.filter(
            pk=link.pk, locked_at__isnull=True, failed_attempts__gte=MAX_DOB_ATTEMPTS
        ).update(locked_at=now)
    link.refresh_from_db(fields=["failed_attempts", "locked_at"])
    return False


def link_draft_save(*, link: PatientLink, draft: dict, now: dt.datetime | None = None) -> None:
    """Save the answers so far on a usable link (a used or revoked link keeps nothing)."""
    now = now or timezone.now()
    saved = (
        PatientLink.objects.filter(pk=link.pk, purpose=Purpose.INTAKE)
        .filter(PatientLink.usable_q(now))
        .update(draft=draft, draft_saved_at=now)
    )
    if saved != 1:
        raise LinkUnusable
    link.draft, link.draft_saved_at = draft, now


# --- The patient's submission ------------------------------------------------------------------


def is_minor(patient: Patient, on: dt.date) -> bool:
    return patient.age_on(on) < MINOR_AGE


def _consent_errors(patient: Patient, on: dt.date, consent: Mapping[str, str]) -> dict:
    errors = {}
    signer = consent.get("signer", "")
    if is_minor(patient, on) and signer != ConsentSigner.GUARDIAN:
        errors["signer"] = "A parent or legal guardian signs for a patient under 18."
    if signer not in ConsentSigner.values:
        errors["signer"] = "Say who is signing."
    if not (consent.get("signed_name") or "").strip():
        errors["signed_name"] = "Type your full name: it is your signature."
    if (
        signer == ConsentSigner.GUARDIAN
        and not (consent.get("guardian_relationship") or "").strip()
    ):
        errors["guardian_relationship"] = "Say how you are related to the patient."
    return errors


@transaction.atomic
def intake_submit(
    *,
    link: PatientLink,
    answers: dict,
    consent_text: ConsentText,
    signer: str,
    signed_name: str,
    guardian_relationship: str = "",
    ip: str | None,
    now: dt.datetime | None = None,
) -> Intake:
    """Record what the patient sent as a pending intake and use up the link. Nothing on the
    patient's record changes: that waits for staff review (intake_accept)."""
    now = now or timezone.now()
    taken_on = timezone.localdate(now)
    patient = link.patient
    checked = answers_check(answers, patient=patient, taken_on=taken_on)
    if not checked.ok:
        raise ValidationError("Some answers need attention before they can be sent.")
    consent = {
        "signer": signer,
        "signed_name": signed_name,
        "guardian_relationship": guardian_relationship,
    }
    errors = _consent_errors(patient, taken_on, consent)
    if errors:
        raise ValidationError(errors)
    used = (
        PatientLink.objects.filter(pk=link.pk, purpose=Purpose.INTAKE)
        .filter(PatientLink.usable_q(now))
        .update(used_at=now, draft={}, draft_saved_at=now)
    )
    if used != 1:
        raise LinkUnusable
    intake = Intake(
        link=link,
        patient=patient,
        submitted_at=now,
        submitted_ip=ip,
        taken_on=taken_on,
        answers=answers,
        consent_text=consent_text,
        signer=signer,
        signed_name=signed_name.strip(),
        guardian_relationship=guardian_relationship.strip() if signer == "guardian" else "",
    )
    intake.full_clean()
    intake.save()
    return intake


# --- Staff review ------------------------------------------------------------------------------


def _lock_pending(intake: Intake) -> Intake:
    locked = Intake.objects.select_for_update().filter(pk=intake.pk).first()
    if locked is None or locked.status != Intake.Status.PENDING:
        raise ValidationError("This intake was already reviewed.")
    return locked


@transaction.atomic
def intake_accept(*, intake: Intake, reviewer: User, now: dt.datetime | None = None) -> Intake:
    """Accept a pending intake: its answers become the patient's screening questionnaire and
    its signature the consent, both recorded by the reviewer on the patient's behalf."""
    now = now or timezone.now()
    locked = _lock_pending(intake)
    patient = locked.patient
    checked = answers_check(locked.answers, patient=patient, taken_on=locked.taken_on)
    if not checked.ok:
        raise ValidationError(
            "The answers no longer pass the questionnaire's checks: return the intake to the "
            "patient with a note."
        )
    questionnaire = patient_services.questionnaire_record(
        patient=patient,
        taken_by=reviewer,
        taken_on=locked.taken_on,
        answers=checked.form.answers(),
        findings=checked.findings,
    )
    consent = patient_services.consent_record(
        patient=patient,
        text=locked.consent_text,
        signed_on=locked.taken_on,
        signer=locked.signer,
        signed_name=locked.signed_name,
        guardian_relationship=locked.guardian_relationship,
        witness=reviewer,
    )
    locked.status = Intake.Status.ACCEPTED
    locked.reviewed_by = reviewer
    locked.reviewed_at = now
    locked.questionnaire = questionnaire
    locked.consent = consent
    locked.full_clean()
    locked.save()
    return locked


def intake_return(
    *,
    intake: Intake,
    reviewer: User,
    note: str,
    base_url: str,
    now: dt.datetime | None = None,
) -> Intake:
    """Return a pending intake with a note. The patient gets a new link (same channel) with
    their answers filled in and the note above the form; nothing is recorded."""
    now = now or timezone.now()
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say what the patient should check or change."})
    if len(note) > 2000:
        raise ValidationError({"note": "Keep the note under 2,000 characters."})
    with transaction.atomic():
        locked = _lock_pending(intake)
        locked.status = Intake.Status.RETURNED
        locked.reviewed_by = reviewer
        locked.reviewed_at = now
        locked.review_note = note
        locked.full_clean()
        locked.save()
        intake_link_send(
            patient=locked.patient,
            channel=locked.link.channel,
            sent_by=reviewer,
            base_url=base_url,
            message=note,
            # Every question step counts as answered (its answers show, with any message);
            # the patient starts again at the first step to check them.
            draft={
                "answers": locked.answers,
                "done": [step.number for step in QUESTION_STEPS],
                "start": 1,
            },
            now=now,
        )
    return locked


# --- Appointment confirm / cancel --------------------------------------------------------------


def appointment_link_issue(*, appointment, now: dt.datetime | None = None) -> str | None:
    """A confirm / cancel token for one booked appointment (for its reminder email)."""
    patient = appointment.patient
    if not patient.email:
        return None
    _, token = link_issue(
        patient=patient,
        purpose=Purpose.APPOINTMENT,
        channel=Channel.EMAIL,
        sent_to=patient.email,
        created_by=None,
        appointment=appointment,
        now=now,
    )
    return token


CONFIRM, CANCEL = "confirm", "cancel"


@transaction.atomic
def appointment_link_answer(
    *, link: PatientLink, answer: str, ip: str | None, now: dt.datetime | None = None
) -> str:
    """The patient confirms or cancels the link's appointment. A cancel frees the slot through
    the booking service. The link is used either way."""
    from clinic.booking import services as booking
    from clinic.booking.models import Appointment, AppointmentEvent

    now = now or timezone.now()
    if answer not in (CONFIRM, CANCEL):
        raise ValidationError("Choose confirm or cancel.")
    used = (
        PatientLink.objects.filter(pk=link.pk, purpose=Purpose.APPOINTMENT)
        .filter(PatientLink.usable_q(now))
        .update(used_at=now)
    )
    if used != 1:
        raise LinkUnusable
    appointment = Appointment.objects.select_for_update().get(pk=link.appointment_id)
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationError("This appointment can no longer be changed online.")
    detail = f"From the reminder link ({ip or 'address unknown'})"
    if answer == CANCEL:
        booking.appointment_cancel(
            appointment=appointment,
            reason="Cancelled by the patient from the reminder link",
            cancelled_by=None,
            now=now,
        )
    else:
        AppointmentEvent.objects.create(
            appointment=appointment, kind=AppointmentEvent.Kind.CONFIRMED, at=now, detail=detail
        )
    return answer
