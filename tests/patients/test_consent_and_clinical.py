"""Consent (versions, guardians, the PDF copy), conditions, pain map and outcome measures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from patients.models import (
    Condition,
    Consent,
    ConsentText,
    OutcomeMeasure,
    PainMap,
    PatientAccessLog,
)
from patients.readiness import dn_readiness
from tests.factories import ConsentFactory, PatientFactory

pytestmark = pytest.mark.django_db


def consent_data(**changes) -> dict:
    data = {
        "text_version": "1",
        "signed_on": "2026-03-10",
        "signer": "patient",
        "signed_name": "Zoë Whitaker",
        "interpreter_name": "",
        "confirmed": "on",
    }
    data.update(changes)
    return data


# --- Consent ---------------------------------------------------------------------------------


def test_version_1_of_the_consent_text_says_what_the_law_asks():
    text = ConsentText.objects.get(version=1)
    body = text.body.casefold()
    for needed in (
        "not acupuncture",
        "benefits",
        "bruising",
        "soreness",
        "faint",
        "pneumothorax",
        "nerve",
        "infection",
        "needle breaking",
        "alternatives",
        "stop at any time",
        "refuse",
        "guardian",
    ):
        assert needed in body, needed


def test_front_desk_records_a_consent_valid_for_365_days(front_desk_client, front_desk):
    patient = PatientFactory(first_name="Zoë", last_name="Whitaker")
    page = front_desk_client.get(reverse("patients:consent_new", args=[patient.pk]))
    assert "Dry needling is not acupuncture" in page.content.decode()
    response = front_desk_client.post(
        reverse("patients:consent_new", args=[patient.pk]), consent_data()
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert (consent.text.version, consent.signer, consent.witness) == (1, "patient", front_desk)
    readiness = dn_readiness(patient, on=dt.date(2026, 3, 10))
    assert readiness.consent_status == "valid"
    assert readiness.consent_valid_until == dt.date(2027, 3, 10)


def test_a_minor_needs_a_guardian_who_names_the_relationship(front_desk_client):
    minor = PatientFactory(date_of_birth=dt.date(2010, 6, 1))
    url = reverse("patients:consent_new", args=[minor.pk])
    response = front_desk_client.post(url, consent_data(signer="patient"))
    assert "under 18" in " ".join(response.context["form"].errors["signer"])
    response = front_desk_client.post(url, consent_data(signer="guardian"))
    assert "related" in " ".join(response.context["form"].errors["guardian_relationship"])
    assert not Consent.objects.exists()
    response = front_desk_client.post(
        url, consent_data(signer="guardian", guardian_relationship="mother", signed_name="Ann")
    )
    assert response.status_code == 302
    assert Consent.objects.get().guardian_relationship == "mother"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"signed_on": "2026-03-11"}, "signed_on"),
        ({"signed_on": "soon"}, "signed_on"),
        ({"signed_name": "   "}, "signed_name"),
        ({"confirmed": ""}, "confirmed"),
        ({"signer": "friend"}, "signer"),
    ],
)
def test_bad_consent_input_is_refused_by_field(front_desk_client, changes, field):
    patient = PatientFactory()
    response = front_desk_client.post(
        reverse("patients:consent_new", args=[patient.pk]), consent_data(**changes)
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Consent.objects.exists()


def test_a_consent_on_an_outdated_text_version_is_refused(front_desk_client, manager):
    ConsentText.objects.create(version=2, title="v2", body="a\n\nb\n\nc", published_by=manager)
    patient = PatientFactory()
    response = front_desk_client.post(
        reverse("patients:consent_new", args=[patient.pk]), consent_data(text_version="1")
    )
    assert response.status_code == 400
    assert "new version (2)" in response.content.decode()
    assert not Consent.objects.exists()


def test_the_pdf_copy_is_served_only_to_staff_allowed_to_see_it(front_desk, client):
    patient = PatientFactory(first_name="Zoë", last_name="Whitaker")
    consent = ConsentFactory(patient=patient, signed_name="Zoë Whitaker")
    url = reverse("patients:consent_pdf", args=[patient.pk, consent.pk])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(front_desk)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF-")
    assert len(response.content) > 10_000
    assert PatientAccessLog.objects.filter(patient=patient, action="consent_pdf").count() == 1
    other = PatientFactory()
    wrong = reverse("patients:consent_pdf", args=[other.pk, consent.pk])
    assert client.get(wrong).status_code == 404


def test_the_pdf_names_the_signer_version_and_witness():
    from django.template.loader import render_to_string

    consent = ConsentFactory(signer="guardian", guardian_relationship="father", signed_name="Al B")
    html = render_to_string("pdf/consent.html", {"consent": consent, "patient": consent.patient})
    assert "Consent text version 1" in html
    assert "Parent or legal guardian (father)" in html
    assert "Al B" in html
    assert "Dry needling is not acupuncture" in html
    assert consent.valid_until.isoformat() in html


def test_a_manager_publishes_a_new_version_and_the_old_one_stays(manager):
    client = Client()
    client.force_login(manager)
    v1 = ConsentText.objects.get(version=1)
    body = v1.body + "\n\nA new closing paragraph."
    response = client.post(
        reverse("patients:consent_text_new"), {"title": "Informed consent v2", "body": body}
    )
    assert response.status_code == 302
    assert list(ConsentText.objects.values_list("version", flat=True)) == [2, 1]
    assert ConsentText.objects.get(version=1).body == v1.body
    assert ConsentText.objects.get(version=2).published_by == manager


def test_a_consent_text_missing_a_required_section_is_refused(manager):
    client = Client()
    client.force_login(manager)
    response = client.post(
        reverse("patients:consent_text_new"),
        {"title": "Too short", "body": "You may stop.\n\nRisks exist.\n\nThat is all."},
    )
    assert response.status_code == 200
    assert "acupuncture" in " ".join(response.context["form"].errors["body"])
    assert ConsentText.objects.count() == 1


# --- Conditions ------------------------------------------------------------------------------


def test_a_therapist_adds_a_condition_with_a_validated_icd10_code(therapist_client):
    patient = PatientFactory()
    page = therapist_client.get(reverse("patients:condition_new", args=[patient.pk]))
    common = [code for code, _ in page.context["common_codes"]]
    assert common[:3] == ["M79.10", "M79.11", "M79.12"]
    response = therapist_client.post(
        reverse("patients:condition_new", args=[patient.pk]),
        {"icd10_code": "m7711", "side": "right", "onset_on": "2026-01-05", "course": "acute"},
    )
    assert response.status_code == 302
    condition = Condition.objects.get()
    assert (condition.icd10_code, condition.description) == (
        "M77.11",
        "Lateral epicondylitis, right elbow",
    )


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("Q99.99", "is not an ICD-10-CM code"),
        ("M75.1", "needs more characters"),
        ("M50-M54", "chapter or block"),
        ("", "required"),
    ],
)
def test_invalid_icd10_codes_are_refused(therapist_client, code, message):
    patient = PatientFactory()
    response = therapist_client.post(
        reverse("patients:condition_new", args=[patient.pk]),
        {"icd10_code": code, "side": "", "course": "chronic"},
    )
    assert message in " ".join(response.context["form"].errors["icd10_code"])
    assert not Condition.objects.exists()


def test_the_icd10_search_finds_codes_by_plain_words(therapist_client):
    response = therapist_client.get(reverse("patients:icd10_search"), {"q": "tennis elbow"})
    assert [code for code, _ in response.context["results"]][:2] == ["M77.11", "M77.12"]


def test_a_condition_is_resolved_not_deleted(therapist_client):
    patient = PatientFactory()
    from tests.factories import ConditionFactory

    condition = ConditionFactory(patient=patient, onset_on=dt.date(2026, 1, 1))
    url = reverse("patients:condition_resolve", args=[patient.pk, condition.pk])
    response = therapist_client.post(url, {"resolved_on": "2025-12-01"})
    assert "before its onset" in " ".join(response.context["form"].errors["resolved_on"])
    therapist_client.post(url, {"resolved_on": "2026-03-01"})
    condition.refresh_from_db()
    assert condition.resolved_on == dt.date(2026, 3, 1)


# --- Pain map and outcomes -------------------------------------------------------------------


def test_a_therapist_records_a_pain_map(therapist_client):
    patient = PatientFactory()
    url = reverse("patients:pain_map_new", args=[patient.pk])
    page = therapist_client.get(url)
    assert b'class="body-chart is-interactive"' in page.content
    response = therapist_client.post(
        url,
        {
            "recorded_on": "2026-03-10",
            "pain_posterior_neck__left": "6",
            "pain_low_back__midline": "0",
            "pain_temple__right": "",
        },
    )
    assert response.status_code == 302
    areas = sorted(PainMap.objects.get().areas.values_list("area", "side", "nprs"))
    assert areas == [("low_back", "midline", 0), ("posterior_neck", "left", 6)]
    record = therapist_client.get(patient.get_absolute_url()).content.decode()
    assert "Back of the neck (left): 6/10" in record


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"pain_knee__left": "11"}, "pain_knee__left"),
        ({"pain_knee__left": "-1"}, "pain_knee__left"),
        ({"pain_knee__left": "4.5"}, "pain_knee__left"),
        ({}, "__all__"),
        ({"pain_knee__left": "3", "recorded_on": "2026-03-11"}, "recorded_on"),
    ],
)
def test_bad_pain_maps_are_refused(therapist_client, data, field):
    patient = PatientFactory()
    response = therapist_client.post(
        reverse("patients:pain_map_new", args=[patient.pk]), {"recorded_on": "2026-03-10", **data}
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not PainMap.objects.exists()


@pytest.mark.parametrize(
    ("measure", "score", "ok"),
    [
        ("nprs", "10", True),
        ("nprs", "11", False),
        ("nprs", "4.5", False),
        ("psfs", "4.33", True),
        ("psfs", "10.5", False),
        ("ndi", "50", True),
        ("ndi", "51", False),
        ("odi", "100", True),
        ("odi", "101", False),
        ("odi", "-1", False),
    ],
)
def test_outcome_measures_keep_to_their_ranges(therapist_client, measure, score, ok):
    patient = PatientFactory()
    response = therapist_client.post(
        reverse("patients:outcome_new", args=[patient.pk]),
        {"measure": measure, "score": score, "taken_on": "2026-03-10", "is_baseline": "on"},
    )
    assert (response.status_code == 302) is ok
    assert OutcomeMeasure.objects.exists() is ok
    if not ok:
        assert "score" in response.context["form"].errors
