"""The knowledge base ships as data, codes are fixed, and the clinic can only be stricter."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from needling.knowledge.catalogue import MUSCLES
from needling.knowledge.models import Contraindication, Muscle, StricterRule
from needling.knowledge.rules import RULES
from needling.knowledge.selectors import muscle_facts
from needling.plans.screening import screening_policy
from needling.screening import DEFAULT_POLICY


@pytest.mark.django_db
def test_every_catalogue_muscle_and_rule_is_in_the_database():
    assert set(Muscle.objects.values_list("code", flat=True)) == {m.code for m in MUSCLES}
    assert set(Contraindication.objects.values_list("code", flat=True)) == {r.code for r in RULES}
    stored = Muscle.objects.get(code="scalenes")
    assert (stored.lung_risk, stored.neurovascular, stored.region) == (True, True, "neck")
    assert muscle_facts()["scalenes"] == next(m for m in MUSCLES if m.code == "scalenes")


@pytest.mark.django_db
def test_with_no_policy_set_the_engine_gets_the_contract_defaults():
    assert screening_policy() == DEFAULT_POLICY


@pytest.mark.django_db
def test_a_muscle_code_cannot_be_changed():
    muscle = Muscle.objects.get(code="deltoid")
    muscle.code = "delta"
    with pytest.raises(ValidationError):
        muscle.save()
    assert Muscle.objects.filter(code="deltoid").exists()


def test_a_manager_edits_a_caution_in_the_admin_but_not_the_code(manager_client):
    muscle = Muscle.objects.get(code="deltoid")
    url = reverse("admin:needling_muscle_change", args=[muscle.pk])
    page = manager_client.get(url)
    assert page.status_code == 200
    assert 'name="code"' not in page.content.decode()  # read-only
    data = {
        "name": muscle.name,
        "region": muscle.region,
        "refers_to": '["anterior_shoulder"]',
        "typical_conditions": '["shoulder pain"]',
        "caution": "Axillary nerve posteriorly.",
        "is_active": "on",
    }
    response = manager_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    muscle.refresh_from_db()
    assert (muscle.code, muscle.caution) == ("deltoid", "Axillary nerve posteriorly.")
    assert muscle_facts()["deltoid"].caution == "Axillary nerve posteriorly."


def test_a_manager_adds_a_muscle_in_the_admin(manager_client):
    response = manager_client.post(
        reverse("admin:needling_muscle_add"),
        {
            "code": "popliteus",
            "name": "Popliteus",
            "region": "leg",
            "refers_to": '["posterior_knee"]',
            "typical_conditions": "[]",
            "caution": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert "popliteus" in muscle_facts()


def test_therapists_cannot_reach_the_admin(therapist_client):
    response = therapist_client.get(reverse("admin:needling_muscle_changelist"))
    assert response.status_code == 302  # to the admin login: not staff


def test_the_rule_catalogue_page_lists_every_rule_by_severity(therapist_client):
    text = therapist_client.get(reverse("needling:rules")).content.decode()
    for rule in RULES:
        assert f"<code>{rule.code}</code>" in text
    assert "Absolute: the plan or site cannot be approved" in text


def test_a_manager_makes_a_relative_rule_stricter_with_a_reason(manager_client, manager):
    response = manager_client.post(
        reverse("needling:policy"),
        {"form": "stricter", "rule": "pregnancy", "reason": "Clinic line: no DN in pregnancy."},
    )
    assert response.status_code == 302
    assert screening_policy().stricter_rules == frozenset({"pregnancy"})
    page = manager_client.get(reverse("needling:rules")).content.decode()
    assert "Clinic policy: treated as absolute" in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"rule": "pregnancy_first_trimester", "reason": "x" * 30}, "rule"),  # absolute
        ({"rule": "lung_field", "reason": "x" * 30}, "rule"),  # precaution
        ({"rule": "no_such_rule", "reason": "x" * 30}, "rule"),
        ({"rule": "pregnancy", "reason": "too short"}, "reason"),
    ],
)
def test_a_policy_can_never_make_a_rule_weaker_or_skip_the_reason(manager_client, data, field):
    response = manager_client.post(reverse("needling:policy"), {"form": "stricter", **data})
    assert response.status_code == 400
    assert field in response.context["stricter_form"].errors
    assert not StricterRule.objects.exists()


def test_the_same_rule_cannot_be_made_stricter_twice(manager_client):
    data = {"form": "stricter", "rule": "diabetes", "reason": "Peripheral healing concerns."}
    manager_client.post(reverse("needling:policy"), data)
    response = manager_client.post(reverse("needling:policy"), data)
    assert response.status_code == 400
    assert "already treated as absolute" in response.content.decode()
    assert StricterRule.objects.count() == 1


def test_revoking_a_policy_asks_first_and_keeps_the_record(manager_client, manager):
    record = StricterRule.objects.create(
        rule=Contraindication.objects.get(code="diabetes"),
        reason="Peripheral healing concerns.",
        adopted_by=manager,
    )
    url = reverse("needling:stricter_revoke", args=[record.pk])
    assert "Revoke the stricter policy" in manager_client.get(url).content.decode()
    assert manager_client.post(url).status_code == 302
    record.refresh_from_db()
    assert record.revoked_at is not None and record.revoked_by == manager
    assert screening_policy().stricter_rules == frozenset()


def test_a_manager_sets_the_post_surgical_window(manager_client):
    response = manager_client.post(
        reverse("needling:policy"),
        {"form": "settings", "post_surgical_window_days": "56", "bilateral_counts_twice": "on"},
    )
    assert response.status_code == 302
    policy = screening_policy()
    assert (policy.post_surgical_window_days, policy.bilateral_counts_twice) == (56, True)


@pytest.mark.parametrize("value", ["0", "-3", "abc", "1000"])
def test_a_bad_window_is_refused_on_its_field(manager_client, value):
    response = manager_client.post(
        reverse("needling:policy"), {"form": "settings", "post_surgical_window_days": value}
    )
    assert response.status_code == 400
    assert "post_surgical_window_days" in response.context["settings_form"].errors
    assert screening_policy().post_surgical_window_days == 84


def test_staff_create_and_revoke_their_own_api_tokens(therapist_client, therapist, manager):
    from needling.api.models import ApiToken

    page = therapist_client.post(reverse("needling:api_tokens"), {"name": "audit"})
    key = page.context["new_key"]
    token = ApiToken.objects.get(user=therapist)
    assert token.key_hash == ApiToken.hash(key) and key not in token.key_hash
    others, _ = ApiToken.issue(user=manager, name="not yours")
    url = reverse("needling:api_token_revoke", args=[others.pk])
    assert therapist_client.post(url).status_code == 404
    url = reverse("needling:api_token_revoke", args=[token.pk])
    assert therapist_client.post(url).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_muscle_page_filters_by_region(therapist_client, django_assert_num_queries):
    # session, user, permissions (2), role group, muscles, session save (3)
    with django_assert_num_queries(9):
        response = therapist_client.get(reverse("needling:muscles"), {"region": "chest"})
    names = [m.code for m, _ in response.context["rows"]]
    assert names and all(Muscle.objects.get(code=c).region == "chest" for c in names)
