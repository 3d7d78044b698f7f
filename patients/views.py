from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from clinic.access import requires
from patients.models import Patient


@requires("patients.view_patient")
@require_GET
def patient_list(request: HttpRequest) -> HttpResponse:
    patients = Patient.objects.filter(archived_at__isnull=True).select_related("preferred_location")
    page = Paginator(patients, 25).get_page(request.GET.get("page"))
    return render(request, "patients/patient_list.html", {"page": page})


@requires("patients.view_patient")
@require_GET
def patient_detail(request: HttpRequest, pk) -> HttpResponse:
    patient = get_object_or_404(Patient.objects.select_related("preferred_location"), pk=pk)
    return render(request, "patients/patient_detail.html", {"patient": patient})
