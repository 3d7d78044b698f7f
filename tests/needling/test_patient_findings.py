"""The patient page names the screening engine's patient-level findings."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from needling.knowledge.models import Contraindication, StricterRule
from needling.plans.patient_findings import patient_findings
from tests.factories import ConsentFactory, PatientFactory, ScreeningFactory

TODAY = dt.date(2026, 11, 23)


def test_a_patient_without_screening_or_consent_is_blocked_on_both(db):
    patient = PatientFactory()
    codes = {f.key: f.severity for f in patient_findings(patient, on=TODAY)}
    assert codes == {"consent_missing": "absolute", "screening_stale": "absolute"}


def test_a_first_trimester_pregnancy_is_named_as_absolute(db):
    patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1))
    ScreeningFactory(
        patient=patient, taken_on=TODAY, pregnancy_due_date=TODAY + dt.timedelta(weeks=32)
    )
    ConsentFactory(patient=patient, signed_on=TODAY)
    findings = patient_findings(patient, on=TODAY)
    assert [(f.key, f.severity, f.level) for f in findings] == [
        ("pregnancy_first_trimester", "absolute", "danger")
    ]


def test_the_clinic_policy_makes_a_relative_finding_absolute(db, manager):
    patient = PatientFactory(date_of_birth=dt.date(1990, 1, 1))
    ScreeningFactory(patient=patient, taken_on=TODAY, diabetes=True)
    ConsentFactory(patient=patient, signed_on=TODAY)
    assert [(f.key, f.severity) for f in patient_findings(patient, on=TODAY)] == [
        ("diabetes", "relative")
    ]
    StricterRule.objects.create(
        rule=Contraindication.objects.get(code="diabetes"),
        reason="Clinic line on peripheral healing.",
        adopted_by=manager,
    )
    assert [(f.key, f.severity) for f in patient_findings(patient, on=TODAY)] == [
        ("diabetes", "absolute")
    ]


def test_the_therapist_sees_the_findings_and_front_desk_does_not(
    therapist_client, front_desk_client
):
    patient = PatientFactory()
    url = reverse("patients:detail", args=[patient.pk])
    # No consent and no screening: both gates fire whatever the date.
    therapist_page = therapist_client.get(url).content.decode()
    desk_page = front_desk_client.get(url).content.decode()
    assert 'data-rule="consent_missing"' in therapist_page
    assert 'data-rule="consent_missing"' not in desk_page
