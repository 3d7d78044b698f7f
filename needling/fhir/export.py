"""Bundles and NDJSON: the FHIR export of one patient, or of every patient of a location."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator

from django.utils import timezone

from needling.fhir import resources as r
from needling.fhir.selectors import PatientRecord, location_patients, records_for

RESOURCE_TYPES = ("Patient", "Condition", "Consent", "Procedure", "Observation", "AdverseEvent")
CHUNK_SIZE = 500


def record_resources(record: PatientRecord, *, ref: r.Ref, today: dt.date) -> Iterator[r.Resource]:
    """Every resource of one patient's record, Patient first."""
    pid = r.resource_id(record.patient)
    yield r.patient(record.patient)
    for c in record.conditions:
        yield r.condition(c, patient_id=pid, ref=ref)
    for c in record.consents:
        yield r.consent(c, patient_id=pid, ref=ref, today=today)
    yield from r.outcome_observations(record.outcomes, patient_id=pid, ref=ref)
    for s in record.sessions:
        yield r.procedure(s, patient_id=pid, ref=ref)
        yield from r.session_observations(s, patient_id=pid, ref=ref)
        for e in s.adverse_events.all():
            yield r.adverse_event(e, session=s, patient_id=pid, ref=ref)


def patient_bundle(patient) -> r.Resource:
    """A Bundle of type collection with the patient's whole exportable record.

    Entries are addressed as ``urn:uuid:<id>`` and refer to each other the same way, so the
    Bundle stands alone."""
    (record,) = records_for([patient])
    now = timezone.now()
    entries = [
        {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
        for resource in record_resources(record, ref=r.urn_ref, today=timezone.localdate(now))
    ]
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),  # each export is a new Bundle; its entries keep their ids
        "meta": {"lastUpdated": r.instant(now)},
        "type": "collection",
        "timestamp": r.instant(now),
        "entry": entries,
    }


def chunked(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def location_chunks(location, *, chunk_size: int = CHUNK_SIZE) -> Iterator[list[PatientRecord]]:
    """The location's patients, ``chunk_size`` at a time, each chunk with its rows (7 queries
    a chunk). The patients are streamed from the database cursor (``iterator``), so memory
    holds one chunk whatever the number of patients."""
    patients = location_patients(location).iterator(chunk_size=chunk_size)
    for chunk in chunked(patients, chunk_size):
        yield records_for(chunk)


def ndjson_line(resource: r.Resource) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"
