"""Model rows -> FHIR R4 resources (plain JSON dicts). Pure: no queries, no request.

Every resource has a stable id: the row's own UUID where it has one (patients, consents,
session notes), otherwise a UUID5 over the model label and primary key, so the same row
exports under the same id every time and a receiving system can update instead of
duplicating. References are made by a ``Ref`` callable, because a Bundle of type collection
refers by ``urn:uuid:`` (its entries' fullUrl) while bulk NDJSON refers by ``Type/id``.

Muscles have no standard code this clinic can claim (no SNOMED CT mapping is kept), so body
sites carry the clinic's own muscle code under a local system, with the side in the text.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from typing import Any

Resource = dict[str, Any]
Ref = Callable[[str, str], dict[str, str]]

# Code systems (FHIR R4 terminology and the external ones the issue names).
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
LOINC = "http://loinc.org"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
AE_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
# The clinic's own identifiers and codes.
PATIENT_IDENTIFIER = "urn:dn-clinic:patient-id"
MUSCLE_SYSTEM = "urn:dn-clinic:muscle"
ADVERSE_KIND_SYSTEM = "urn:dn-clinic:adverse-event-kind"
CONSENT_TEXT_POLICY = "urn:dn-clinic:consent-text:version:"

NPRS_LOINC = "72514-3"
NPRS_DISPLAY = "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
CPT_DISPLAY = {
    "20560": "Needle insertion(s) without injection(s); 1 or 2 muscle(s)",
    "20561": "Needle insertion(s) without injection(s); 3 or more muscles",
}
GENDER = {"F": "female", "M": "male", "X": "other", "U": "unknown"}

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:dn-clinic:fhir")


def stable_id(label: str, key: object) -> str:
    """A UUID5 over ``label`` (the model, or model and part) and ``key``: the same every time."""
    return str(uuid.uuid5(_NAMESPACE, f"{label}/{key}"))


def resource_id(obj) -> str:
    """The FHIR id of a model row: its own UUID, else a UUID5 over model label and pk."""
    if isinstance(obj.pk, uuid.UUID):
        return str(obj.pk)
    return stable_id(obj._meta.label_lower, obj.pk)


def relative_ref(resource_type: str, id_: str) -> dict[str, str]:
    return {"reference": f"{resource_type}/{id_}"}


def urn_ref(resource_type: str, id_: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{id_}"}


def instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _concept(system: str, code: str, display: str | None = None, text: str | None = None):
    concept: dict[str, Any] = {"coding": [_coding(system, code, display)]}
    if text:
        concept["text"] = text
    return concept


# --- Patient, Condition, Consent ------------------------------------------------------------


def patient(p) -> Resource:
    resource: Resource = {
        "resourceType": "Patient",
        "id": resource_id(p),
        "identifier": [{"system": PATIENT_IDENTIFIER, "value": str(p.pk)}],
        "active": p.archived_at is None,
        "name": [{"use": "official", "family": p.last_name, "given": [p.first_name]}],
        "gender": GENDER.get(p.sex, "unknown"),
        "birthDate": p.date_of_birth.isoformat(),
    }
    telecom = [{"system": "phone", "value": p.phone}] if p.phone else []
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    if telecom:
        resource["telecom"] = telecom
    if p.address:
        resource["address"] = [{"text": p.address}]
    if p.emergency_contact_name:
        contact: dict[str, Any] = {
            "relationship": [
                _concept("http://terminology.hl7.org/CodeSystem/v2-0131", "C", "Emergency Contact")
            ],
            "name": {"text": p.emergency_contact_name},
        }
        if p.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": p.emergency_contact_phone}]
        resource["contact"] = [contact]
    return resource


def condition(c, *, patient_id: str, ref: Ref) -> Resource:
    status = "active" if c.resolved_on is None else "resolved"
    resource: Resource = {
        "resourceType": "Condition",
        "id": resource_id(c),
        "clinicalStatus": _concept(CONDITION_CLINICAL, status),
        "verificationStatus": _concept(CONDITION_VERIFICATION, "confirmed"),
        "category": [_concept(CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
        "code": _concept(ICD10CM, c.icd10_code, c.description, c.description),
        "subject": ref("Patient", patient_id),
        "recordedDate": instant(c.recorded_at),
    }
    if c.onset_on:
        resource["onsetDateTime"] = c.onset_on.isoformat()
    if c.resolved_on:
        resource["abatementDateTime"] = c.resolved_on.isoformat()
    if c.notes:
        resource["note"] = [{"text": c.notes}]
    return resource


def consent(c, *, patient_id: str, ref: Ref, today: dt.date) -> Resource:
    """A signed DN treatment consent; inactive once past its validity."""
    resource: Resource = {
        "resourceType": "Consent",
        "id": resource_id(c),
        "status": "active" if c.valid_until >= today else "inactive",
        "scope": _concept(CONSENT_SCOPE, "treatment", "Treatment"),
        "category": [_concept(LOINC, "59284-0", "Patient Consent", "Dry needling consent")],
        "patient": ref("Patient", patient_id),
        "dateTime": c.signed_on.isoformat(),
        "policy": [{"uri": f"{CONSENT_TEXT_POLICY}{c.text.version}"}],
        "provision": {
            "type": "permit",
            "period": {"start": c.signed_on.isoformat(), "end": c.valid_until.isoformat()},
        },
    }
    if c.signer == "patient":
        resource["performer"] = [ref("Patient", patient_id)]
    else:
        resource["performer"] = [{"display": f"{c.signed_name} ({c.guardian_relationship})"}]
    return resource


# --- Procedure, Observation, AdverseEvent ---------------------------------------------------


def _site(site) -> dict[str, Any]:
    side = site.get_side_display().lower()
    name = site.muscle.name
    return _concept(MUSCLE_SYSTEM, site.muscle.code, name, f"{name}, {side}")


def procedure(s, *, patient_id: str, ref: Ref) -> Resource:
    """A signed DN session note: CPT code, body sites, who and where."""
    resource: Resource = {
        "resourceType": "Procedure",
        "id": resource_id(s),
        "status": "completed",
        "code": _concept(CPT, s.cpt_code, CPT_DISPLAY.get(s.cpt_code), "Dry needling"),
        "subject": ref("Patient", patient_id),
        "performer": [{"actor": {"display": str(s.practitioner)}}],
        "location": {"display": s.location.name},
        "bodySite": [_site(site) for site in s.sites.all()],
        "reasonReference": [ref("Condition", stable_id("patients.condition", s.plan.condition_id))],
    }
    if s.started_at and s.ended_at:
        resource["performedPeriod"] = {"start": instant(s.started_at), "end": instant(s.ended_at)}
    else:
        resource["performedDateTime"] = s.session_date.isoformat()
    if s.tolerance:
        resource["outcome"] = {"text": s.get_tolerance_display()}
    return resource


def nprs_observation(
    *,
    id_: str,
    patient_id: str,
    ref: Ref,
    score: int,
    effective: str,
    note: str = "",
    part_of: str | None = None,
) -> Resource:
    resource: Resource = {
        "resourceType": "Observation",
        "id": id_,
        "status": "final",
        "category": [_concept(OBSERVATION_CATEGORY, "survey", "Survey")],
        "code": _concept(LOINC, NPRS_LOINC, NPRS_DISPLAY, "NPRS"),
        "subject": ref("Patient", patient_id),
        "effectiveDateTime": effective,
        "valueInteger": int(score),
    }
    if part_of:
        resource["partOf"] = [ref("Procedure", part_of)]
    if note:
        resource["note"] = [{"text": note}]
    return resource


def outcome_observations(outcomes: Iterable, *, patient_id: str, ref: Ref) -> list[Resource]:
    """NPRS outcome scores (other measures have no single LOINC code here and are left out)."""
    return [
        nprs_observation(
            id_=resource_id(o),
            patient_id=patient_id,
            ref=ref,
            score=int(o.score),
            effective=o.taken_on.isoformat(),
            note="Baseline" if o.is_baseline else "",
        )
        for o in outcomes
        if o.measure == "nprs"
    ]


def session_observations(s, *, patient_id: str, ref: Ref) -> list[Resource]:
    """The NPRS before and after needling of a signed note, each part of its Procedure."""
    procedure_id = resource_id(s)
    out = []
    for field, when, at in (
        ("nprs_before", "Before dry needling", s.started_at),
        ("nprs_after", "After dry needling", s.ended_at),
    ):
        score = getattr(s, field)
        if score is None:
            continue
        out.append(
            nprs_observation(
                id_=stable_id(f"needling.sessionrecord.{field}", s.pk),
                patient_id=patient_id,
                ref=ref,
                score=score,
                effective=instant(at) if at else s.session_date.isoformat(),
                note=when,
                part_of=procedure_id,
            )
        )
    return out


def adverse_event(e, *, session, patient_id: str, ref: Ref) -> Resource:
    resource: Resource = {
        "resourceType": "AdverseEvent",
        "id": resource_id(e),
        "actuality": "actual",
        "event": _concept(ADVERSE_KIND_SYSTEM, e.kind, e.get_kind_display(), e.get_kind_display()),
        "subject": ref("Patient", patient_id),
        "date": instant(e.recorded_at),
        "seriousness": _concept(
            AE_SERIOUSNESS,
            "serious" if e.is_major else "non-serious",
            "Serious" if e.is_major else "Non-serious",
        ),
        "severity": _concept(AE_SEVERITY, e.severity, e.get_severity_display()),
        "location": {"display": session.location.name},
        "suspectEntity": [{"instance": ref("Procedure", resource_id(session))}],
    }
    if e.note:
        resource["event"]["text"] = f"{e.get_kind_display()}: {e.note}"
    return resource
