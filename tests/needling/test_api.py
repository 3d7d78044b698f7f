"""POST /api/screening/evaluate: same contract, staff only, 400 with field errors."""

from __future__ import annotations

import copy
import json

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from needling.api.models import ApiToken
from needling.knowledge.models import Contraindication, StricterRule
from tests.factories import UserFactory
from tests.hypothesis_profiles import examples
from tests.needling.test_screen_command import EXAMPLE

URL = "/api/screening/evaluate"


def post(client, body, **headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", headers=headers)


def test_the_url_is_the_contract_path():
    assert reverse("api_screening_evaluate") == URL


def test_a_logged_in_therapist_gets_the_contract_answer(therapist_client):
    response = post(therapist_client, EXAMPLE)
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "override_required"
    assert [f["rule"] for f in body["findings"]] == [
        "anticoagulant",
        "estim_cardiac_device",
        "lung_field",
    ]


def test_a_token_authenticates_a_machine_client(therapist):
    token, key = ApiToken.issue(user=therapist, name="audit script")
    response = post(Client(), [EXAMPLE, EXAMPLE], Authorization=f"Token {key}")
    assert response.status_code == 200
    assert [r["decision"] for r in response.json()] == ["override_required"] * 2
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_or_wrong_token_is_401(therapist):
    from django.utils import timezone

    token, key = ApiToken.issue(user=therapist, name="old")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert post(Client(), EXAMPLE, Authorization=f"Token {key}").status_code == 401
    assert post(Client(), EXAMPLE, Authorization="Token nonsense").status_code == 401


@pytest.mark.django_db
def test_anonymous_callers_get_401_json_not_a_login_page():
    response = post(Client(), EXAMPLE)
    assert response.status_code == 401
    assert "authorization" in response.json()["errors"]


@pytest.mark.django_db
def test_a_user_without_a_role_is_403(client):
    client.force_login(UserFactory(username="norole"))
    assert post(client, EXAMPLE).status_code == 403


def test_a_session_request_needs_its_csrf_token(therapist):
    client = Client(enforce_csrf_checks=True)
    client.force_login(therapist)
    assert post(client, EXAMPLE).status_code == 403


def test_get_is_not_allowed(therapist_client):
    assert therapist_client.get(URL).status_code == 405


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda c: c["sites"][0].update(side="up"), "sites[0].side"),
        (lambda c: c["patient"].pop("date_of_birth"), "patient.date_of_birth"),
        (
            lambda c: c["patient"]["screening"]["anticoagulant"].update(inr="2.4"),
            "patient.screening.anticoagulant.inr",
        ),
    ],
)
def test_bad_input_is_400_naming_the_field(therapist_client, mutate, field):
    case = copy.deepcopy(EXAMPLE)
    mutate(case)
    response = post(therapist_client, case)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_invalid_json_is_400(therapist_client):
    response = post(therapist_client, "{not json")
    assert response.status_code == 400
    assert "body" in response.json()["errors"]


def test_the_api_applies_the_clinics_stricter_policy(therapist_client, manager):
    StricterRule.objects.create(
        rule=Contraindication.objects.get(code="estim_cardiac_device"),
        reason="No electrical stimulation with a cardiac device anywhere.",
        adopted_by=manager,
    )
    body = post(therapist_client, EXAMPLE).json()
    assert body["decision"] == "blocked"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=json_values)
def test_random_json_never_produces_a_500(therapist_client, body):
    response = post(therapist_client, body)
    assert response.status_code in (200, 400)


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    field=st.sampled_from(["session_date", "patient", "sites", "overrides", "practitioner"]),
    value=json_values,
)
def test_any_value_in_any_top_level_field_never_produces_a_500(therapist_client, field, value):
    case = copy.deepcopy(EXAMPLE)
    case[field] = value
    assert post(therapist_client, case).status_code in (200, 400)
