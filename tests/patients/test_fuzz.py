"""Property tests: whatever a browser posts to the patient forms, the answer is a page (never a
500), and a refused post saves nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patients.models import (
    Consent,
    OutcomeMeasure,
    PainMap,
    Patient,
    ScreeningQuestionnaire,
    Surgery,
)
from tests.factories import PatientFactory
from tests.hypothesis_profiles import examples
from tests.patients.helpers import screening_data

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

junk = st.one_of(
    st.text(max_size=15),
    st.sampled_from(
        [
            "",
            "yes",
            "no",
            "0",
            "-1",
            "10",
            "12",
            "2.4",
            "1e9",
            "NaN",
            "2026-03-09",
            "2026-02-30",
            "03/09/2026",
            "9999-12-31",
            "0001-01-01",
            "pacemaker",
            "chest",
            "left",
            "midline",
            "on",
        ]
    ),
)


def _answer(status: int, before: int, after: int) -> None:
    assert status in (200, 302, 400), status
    if status == 302:
        assert after == before + 1
    else:
        assert after == before


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(["first_name", "last_name", "date_of_birth", "phone"]), junk
    )
)
def test_registration_never_fails_on_any_input(front_desk_client, data):
    before = Patient.objects.count()
    response = front_desk_client.post(reverse("patients:register"), data)
    _answer(response.status_code, before, Patient.objects.count())


SCREENING_FIELDS = [
    "taken_on",
    "needle_phobia",
    "takes_anticoagulant",
    "anticoagulant_drug",
    "inr",
    "inr_on",
    "inr_target_low",
    "inr_target_high",
    "last_dose_change_on",
    "recent_bleeding",
    "pregnant",
    "pregnancy_due_date",
    "has_epilepsy",
    "epilepsy_controlled",
    "has_surgeries",
    "surgeries-TOTAL_FORMS",
    "surgeries-0-on",
    "surgeries-0-region",
    "surgeries-0-side",
    "surgeries-0-DELETE",
    "has_implanted_devices",
    "implanted_devices-0-kind",
    "implanted_devices-0-region",
    "implanted_devices-0-side",
    "lymphedema-0-limb",
    "has_lymphedema",
    "lymphedema-0-side",
    "lymphedema-INITIAL_FORMS",
]


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(SCREENING_FIELDS), junk, max_size=8))
def test_the_screening_form_never_fails_and_never_half_saves(front_desk_client, changes):
    patient = Patient.objects.first() or PatientFactory()
    data = screening_data("2026-03-09")
    data.update(changes)
    before = ScreeningQuestionnaire.objects.count()
    surgeries = Surgery.objects.count()
    response = front_desk_client.post(reverse("patients:screening_new", args=[patient.pk]), data)
    _answer(response.status_code, before, ScreeningQuestionnaire.objects.count())
    if response.status_code != 302:
        assert Surgery.objects.count() == surgeries


@FUZZ
@given(
    changes=st.dictionaries(
        st.sampled_from(
            [
                "text_version",
                "signed_on",
                "signer",
                "guardian_relationship",
                "signed_name",
                "interpreter_name",
                "confirmed",
            ]
        ),
        junk,
    )
)
def test_the_consent_form_never_fails(front_desk_client, changes):
    patient = Patient.objects.first() or PatientFactory()
    data = {
        "text_version": "1",
        "signed_on": "2026-03-10",
        "signer": "patient",
        "signed_name": "A B",
        "confirmed": "on",
        **changes,
    }
    before = Consent.objects.count()
    response = front_desk_client.post(reverse("patients:consent_new", args=[patient.pk]), data)
    _answer(response.status_code, before, Consent.objects.count())


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                "recorded_on",
                "pain_knee__left",
                "pain_low_back__midline",
                "pain_knee__midline",
                "pain_unknown__left",
            ]
        ),
        junk,
    )
)
def test_the_pain_map_form_never_fails(therapist_client, data):
    patient = Patient.objects.first() or PatientFactory()
    before = PainMap.objects.count()
    response = therapist_client.post(reverse("patients:pain_map_new", args=[patient.pk]), data)
    _answer(response.status_code, before, PainMap.objects.count())


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(["measure", "score", "taken_on", "is_baseline", "condition", "detail"]),
        st.one_of(junk, st.sampled_from(["nprs", "psfs", "ndi", "odi"])),
    )
)
def test_the_outcome_form_never_fails(therapist_client, data):
    patient = Patient.objects.first() or PatientFactory()
    before = OutcomeMeasure.objects.count()
    response = therapist_client.post(reverse("patients:outcome_new", args=[patient.pk]), data)
    _answer(response.status_code, before, OutcomeMeasure.objects.count())


@FUZZ
@given(query=st.text(max_size=40), page=junk)
def test_the_search_never_fails(front_desk_client, query, page):
    response = front_desk_client.get(reverse("patients:list"), {"q": query, "page": page})
    assert response.status_code == 200
