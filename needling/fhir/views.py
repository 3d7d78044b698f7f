"""The patient page's FHIR download."""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from clinic.common.access import requires
from needling.fhir.export import patient_bundle
from needling.fhir.selectors import may_export
from patients.models import Patient, PatientAccessLog
from patients.services import access_record


@requires("patients.view_clinical_record", "needling.view_sessionrecord")
@require_GET
@never_cache
def patient_fhir_bundle(request: HttpRequest, patient_pk) -> HttpResponse:
    """The patient's record as a FHIR R4 Bundle (JSON), for a manager or the treating
    therapist; anyone else gets 404. Every download is in the patient's access log."""
    patient = get_object_or_404(Patient, pk=patient_pk)
    if not may_export(request.user, patient):
        raise Http404("No such patient.")
    bundle = patient_bundle(patient)
    access_record(patient=patient, user=request.user, action=PatientAccessLog.Action.FHIR_EXPORT)
    response = HttpResponse(
        json.dumps(bundle, ensure_ascii=False, indent=1),
        content_type="application/fhir+json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}-fhir.json"'
    response["Cache-Control"] = "no-store, private"
    return response
