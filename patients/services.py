"""Writes for patient records. Keyword-only, typed, atomic, validated with full_clean().

A ValidationError raised here names the offending field (views put it on the form with
clinic.common.forms.apply_errors); nothing is saved when one is raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from clinic.staff.models import User
from patients import icd10, questions
from patients.models import (
    Condition,
    Consent,
    ConsentText,
    ImplantedDevice,
    Infection,
    Lymphedema,
    OutcomeMeasure,
    PainMap,
    PainMapArea,
    Patient,
    PatientAccessLog,
    ScreeningQuestionnaire,
    Surgery,
    Tumor,
    Varicosity,
    phone_digits,
)
from patients.vocabulary import pain_area_sides

PATIENT_FIELDS = Patient.DETAIL_FIELDS


def _check_date_of_birth(date_of_birth: dt.date | None) -> None:
    today = timezone.localdate()
    if date_of_birth and date_of_birth > today:
        raise ValidationError({"date_of_birth": "The date of birth cannot be in the future."})
    if date_of_birth and date_of_birth.year < today.year - 125:
        raise ValidationError({"date_of_birth": "Check the year: that is more than 125 years ago."})


@transaction.atomic
def patient_register(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    phone: str,
    created_by: User,
    **details: Any,
) -> Patient:
    """Register a patient. Name, date of birth and phone are enough (a phone enquiry)."""
    unknown = set(details) - set(PATIENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown patient fields: {sorted(unknown)}")
    _check_date_of_birth(date_of_birth)
    patient = Patient(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        date_of_birth=date_of_birth,
        phone=phone.strip(),
        created_by=created_by,
        **details,
    )
    patient.full_clean()
    if not phone_digits(patient.phone):
        raise ValidationError({"phone": "Enter a phone number with digits."})
    patient.save()
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, **fields: Any) -> Patient:
    unknown = set(fields) - set(PATIENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown patient fields: {sorted(unknown)}")
    if "date_of_birth" in fields:
        _check_date_of_birth(fields["date_of_birth"])
    for name, value in fields.items():
        setattr(patient, name, value.strip() if isinstance(value, str) else value)
    patient.full_clean()
    if not phone_digits(patient.phone):
        raise ValidationError({"phone": "Enter a phone number with digits."})
    patient.save()
    return patient


def patient_archive(*, patient: Patient) -> bool:
    """Archive (never delete). False when it was already archived."""
    now = timezone.now()
    changed = Patient.objects.filter(pk=patient.pk, archived_at__isnull=True).update(
        archived_at=now, updated_at=now
    )
    if changed:
        patient.archived_at = now
    return changed == 1


def patient_restore(*, patient: Patient) -> bool:
    changed = Patient.objects.filter(pk=patient.pk, archived_at__isnull=False).update(
        archived_at=None, updated_at=timezone.now()
    )
    if changed:
        patient.archived_at = None
    return changed == 1


def access_record(
    *, patient: Patient, user: User, action: str = PatientAccessLog.Action.VIEW
) -> PatientAccessLog:
    return PatientAccessLog.objects.create(patient=patient, user=user, action=action)


# --- Screening ------------------------------------------------------------------------------

FINDING_MODELS: dict[str, type] = {
    "implanted_devices": ImplantedDevice,
    "infections": Infection,
    "tumors": Tumor,
    "lymphedema": Lymphedema,
    "surgeries": Surgery,
    "varicosities": Varicosity,
}
# The questionnaire's own fields: the declared yes/no answers and the follow-up details.
ANSWER_FIELDS = (
    *questions.BOOLEAN_KEYS,
    "epilepsy",
    "pregnancy_due_date",
    *questions.ANTICOAGULANT_FIELDS.values(),
)
if set(FINDING_MODELS) != {f.key for f in questions.FINDING_LISTS}:
    raise RuntimeError("every declared finding list needs its model in FINDING_MODELS")


@transaction.atomic
def questionnaire_record(
    *,
    patient: Patient,
    taken_by: User,
    taken_on: dt.date,
    answers: Mapping[str, Any],
    findings: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> ScreeningQuestionnaire:
    """Record a completed screening questionnaire with its lists of body findings.

    `answers` holds the questionnaire's own fields (ANSWER_FIELDS; absent booleans are false);
    `findings` maps a list name ("implanted_devices", "surgeries", ...) to rows of field
    values. Everything is validated before anything is saved; a bad row raises a
    ValidationError whose keys are "<list>-<index>-<field>".
    """
    unknown = set(answers) - set(ANSWER_FIELDS)
    if unknown:
        raise TypeError(f"Unknown questionnaire answers: {sorted(unknown)}")
    findings = findings or {}
    unknown = set(findings) - set(FINDING_MODELS)
    if unknown:
        raise TypeError(f"Unknown finding lists: {sorted(unknown)}")
    if patient.is_archived:
        raise ValidationError("This patient is archived: restore the record first.")
    questionnaire = ScreeningQuestionnaire(
        patient=patient, taken_by=taken_by, taken_on=taken_on, **answers
    )
    questionnaire.full_clean()
    rows = []
    errors: dict[str, list] = {}
    for name, model in FINDING_MODELS.items():
        for index, values in enumerate(findings.get(name, ())):
            row = model(questionnaire=questionnaire, **values)
            try:
                row.full_clean(exclude=["questionnaire"])
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    errors[f"{name}-{index}-{field}"] = messages
            rows.append(row)
    if errors:
        raise ValidationError(errors)
    questionnaire.save()
    by_model: dict[type, list] = {}
    for row in rows:
        row.questionnaire = questionnaire
        by_model.setdefault(type(row), []).append(row)
    for model, items in by_model.items():
        model.objects.bulk_create(items)
    return questionnaire


# --- Consent --------------------------------------------------------------------------------


@transaction.atomic
def consent_record(
    *,
    patient: Patient,
    text: ConsentText,
    signed_on: dt.date,
    signer: str,
    signed_name: str,
    witness: User,
    guardian_relationship: str = "",
    interpreter_name: str = "",
) -> Consent:
    if patient.is_archived:
        raise ValidationError("This patient is archived: restore the record first.")
    consent = Consent(
        patient=patient,
        text=text,
        signed_on=signed_on,
        signer=signer,
        signed_name=signed_name,
        guardian_relationship=guardian_relationship,
        interpreter_name=interpreter_name.strip(),
        witness=witness,
    )
    consent.full_clean()
    if signed_on < patient.date_of_birth:
        raise ValidationError({"signed_on": "The signing date is before the date of birth."})
    consent.save()
    return consent


def consent_text_current() -> ConsentText | None:
    return ConsentText.objects.order_by("-version").first()


@transaction.atomic
def consent_text_publish(*, title: str, body: str, published_by: User) -> ConsentText:
    """Publish a new version of the consent wording. Earlier versions stay as they were."""
    latest = ConsentText.objects.aggregate(latest=Max("version"))["latest"] or 0
    text = ConsentText(
        version=latest + 1, title=title.strip(), body=body.strip(), published_by=published_by
    )
    text.full_clean()
    if len(text.paragraphs) < 3:
        raise ValidationError({"body": "A consent text needs its sections as paragraphs."})
    try:
        with transaction.atomic():
            text.save()
    except IntegrityError:
        raise ValidationError(
            "Another version was published at the same moment. Reload and try again."
        ) from None
    return text


# --- Conditions, pain map, outcomes --------------------------------------------------------------


@transaction.atomic
def condition_add(
    *,
    patient: Patient,
    icd10_code: str,
    course: str,
    recorded_by: User,
    side: str = "",
    onset_on: dt.date | None = None,
    notes: str = "",
) -> Condition:
    code = icd10.normalise(icd10_code)
    problem = icd10.why_not_billable(code)
    if problem:
        raise ValidationError({"icd10_code": problem})
    if onset_on and onset_on > timezone.localdate():
        raise ValidationError({"onset_on": "The onset date cannot be in the future."})
    if onset_on and onset_on < patient.date_of_birth:
        raise ValidationError({"onset_on": "The onset date is before the date of birth."})
    condition = Condition(
        patient=patient,
        icd10_code=code,
        description=icd10.describe(code)[:255],
        side=side,
        onset_on=onset_on,
        course=course,
        notes=notes.strip(),
        recorded_by=recorded_by,
    )
    condition.full_clean()
    condition.save()
    return condition


def condition_resolve(*, condition: Condition, resolved_on: dt.date) -> bool:
    """Mark a condition resolved (a conditional update: False when already resolved)."""
    if resolved_on > timezone.localdate():
        raise ValidationError({"resolved_on": "The date cannot be in the future."})
    if condition.onset_on and resolved_on < condition.onset_on:
        raise ValidationError({"resolved_on": "The condition cannot resolve before its onset."})
    changed = Condition.objects.filter(pk=condition.pk, resolved_on__isnull=True).update(
        resolved_on=resolved_on
    )
    if changed:
        condition.resolved_on = resolved_on
    return changed == 1


@transaction.atomic
def pain_map_record(
    *,
    patient: Patient,
    recorded_on: dt.date,
    recorded_by: User,
    areas: Iterable[tuple[str, str, int]],
) -> PainMap:
    """Record the patient's pain areas ((area, side, NPRS) triples) as the current pain map."""
    if recorded_on > timezone.localdate():
        raise ValidationError({"recorded_on": "The date cannot be in the future."})
    pain_map = PainMap(patient=patient, recorded_on=recorded_on, recorded_by=recorded_by)
    pain_map.full_clean()
    rows = []
    seen = set()
    for area, side, nprs in areas:
        if side not in pain_area_sides(area):
            raise ValidationError({"areas": f"{area} cannot be recorded on the {side} side."})
        if (area, side) in seen:
            raise ValidationError({"areas": f"{area} ({side}) is listed twice."})
        seen.add((area, side))
        row = PainMapArea(pain_map=pain_map, area=area, side=side, nprs=nprs)
        row.full_clean(exclude=["pain_map"])
        rows.append(row)
    if not rows:
        raise ValidationError({"areas": "Mark at least one painful area with its NPRS."})
    pain_map.save()
    for row in rows:
        row.pain_map = pain_map
    PainMapArea.objects.bulk_create(rows)
    return pain_map


@transaction.atomic
def outcome_record(
    *,
    patient: Patient,
    measure: str,
    score,
    taken_on: dt.date,
    recorded_by: User,
    is_baseline: bool = True,
    condition: Condition | None = None,
    detail: str = "",
) -> OutcomeMeasure:
    outcome = OutcomeMeasure(
        patient=patient,
        measure=measure,
        score=score,
        taken_on=taken_on,
        is_baseline=is_baseline,
        condition=condition,
        detail=detail.strip(),
        recorded_by=recorded_by,
    )
    outcome.full_clean()
    outcome.save()
    return outcome
