"""Property tests: whatever a browser posts to the patient's pages, the answer is a page
(never a 500), nothing reaches the record, and a link is used at most once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patients.intake.models import Intake
from patients.intake.questionnaire import STEPS
from patients.models import Consent, ScreeningQuestionnaire
from tests.factories import PatientFactory
from tests.hypothesis_profiles import examples
from tests.intake.helpers import answers, send_link, verify
from tests.patients.test_fuzz import junk

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=examples(20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIELDS = sorted(
    {*answers({"surgeries": [{"on": "2026-01-01", "region": "hip", "side": "left"}]})}
    | {"signer", "signed_name", "guardian_relationship", "confirmed", "text_version", "back"}
)


@pytest.fixture
def verified(front_desk_client):
    patient = PatientFactory(email="fuzz@example.test", date_of_birth=dt.date(2010, 6, 1))
    path = send_link(front_desk_client, patient)
    client = Client()
    assert verify(client, path, "2010-06-01").status_code == 302
    return client


@FUZZ
@given(
    number=st.integers(min_value=1, max_value=len(STEPS)),
    data=st.dictionaries(st.sampled_from(FIELDS), junk, max_size=25),
)
def test_any_post_to_any_step_is_a_page_and_changes_no_record(verified, number, data):
    response = verified.post(reverse("intake:step", args=[number]), data)
    assert response.status_code in (200, 302, 400, 404), response.status_code
    assert not ScreeningQuestionnaire.objects.exists() and not Consent.objects.exists()
    assert Intake.objects.count() <= 1


@FUZZ
@given(date_of_birth=junk)
def test_any_date_of_birth_is_a_page(front_desk_client, date_of_birth):
    patient = PatientFactory(email="dob@example.test")
    path = send_link(front_desk_client, patient)
    response = Client().post(path, {"date_of_birth": date_of_birth})
    assert response.status_code in (302, 400, 404)
