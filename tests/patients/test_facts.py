"""patient_facts / screening_facts give exactly the contract's JSON, and dn_readiness the
paperwork status, for the dates the screening contract names."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import time_machine

from patients.facts import SCREENING_KEYS, patient_facts, screening_facts
from patients.models import (
    ImplantedDevice,
    Infection,
    Lymphedema,
    ScreeningQuestionnaire,
    Surgery,
)
from patients.readiness import dn_readiness, readiness_from
from patients.selectors import (
    FINDING_MODELS,
    attach_findings,
    latest_questionnaire,
    patients_with_facts,
    questionnaires_with_findings,
)
from tests.contract_example import EXAMPLE
from tests.factories import ConsentFactory, PatientFactory, ScreeningFactory, add_findings

pytestmark = pytest.mark.django_db

# The contract's example patient (screening-contract.md), as the app must report it.
CONTRACT_PATIENT = EXAMPLE["patient"]


def contract_patient():
    patient = PatientFactory(date_of_birth=dt.date(1984, 2, 29))
    questionnaire = ScreeningFactory(
        patient=patient,
        taken_on=dt.date(2026, 3, 9),
        anticoagulant_drug="warfarin",
        vitamin_k_antagonist=True,
        inr=Decimal("2.40"),
        inr_on=dt.date(2026, 3, 2),
        last_dose_change_on=dt.date(2026, 1, 15),
    )
    ImplantedDevice.objects.create(
        questionnaire=questionnaire, kind="pacemaker", region="chest", side="left"
    )
    Infection.objects.create(questionnaire=questionnaire, region="forearm", side="right")
    Lymphedema.objects.create(questionnaire=questionnaire, limb="upper", side="left")
    Surgery.objects.create(
        questionnaire=questionnaire, on=dt.date(2026, 1, 20), region="shoulder", side="right"
    )
    ConsentFactory(patient=patient, signed_on=dt.date(2026, 3, 1))
    return patient, questionnaire


def test_patient_facts_reproduce_the_contract_example():
    patient, _ = contract_patient()
    facts = patient_facts(patient, on=dt.date(2026, 3, 10))
    assert facts == CONTRACT_PATIENT
    assert json.loads(json.dumps(facts)) == CONTRACT_PATIENT


def test_screening_facts_have_exactly_the_contract_keys_in_order():
    _, questionnaire = contract_patient()
    assert tuple(screening_facts(questionnaire)) == SCREENING_KEYS
    assert set(SCREENING_KEYS) == set(CONTRACT_PATIENT["screening"])


def test_no_anticoagulant_and_a_pregnancy_are_reported_as_the_contract_says():
    questionnaire = ScreeningFactory(pregnancy_due_date=dt.date(2026, 9, 1), epilepsy="controlled")
    facts = screening_facts(questionnaire)
    assert facts["anticoagulant"] is None
    assert facts["pregnancy_due_date"] == "2026-09-01"
    assert facts["epilepsy"] == "controlled"


def test_facts_use_the_screening_and_consent_in_force_on_the_day():
    patient, _ = contract_patient()
    ScreeningFactory(patient=patient, taken_on=dt.date(2026, 4, 1), diabetes=True)
    ConsentFactory(patient=patient, signed_on=dt.date(2026, 4, 2))
    on_march_10 = patient_facts(patient, on=dt.date(2026, 3, 10))
    assert on_march_10["screened_on"] == "2026-03-09"
    assert on_march_10["screening"]["diabetes"] is False
    on_april_5 = patient_facts(patient, on=dt.date(2026, 4, 5))
    assert on_april_5["screened_on"] == "2026-04-01"
    assert on_april_5["consent_signed_on"] == "2026-04-02"
    assert on_april_5["screening"]["diabetes"] is True
    assert on_april_5["screening"]["anticoagulant"] is None


def test_a_patient_never_screened_has_null_dates_and_no_screening_key():
    patient = PatientFactory(date_of_birth=dt.date(2001, 1, 15))
    facts = patient_facts(patient, on=dt.date(2026, 3, 10))
    assert facts == {
        "date_of_birth": "2001-01-15",
        "consent_signed_on": None,
        "screened_on": None,
    }


def test_facts_for_many_patients_take_a_fixed_number_of_queries(django_assert_num_queries):
    for _ in range(3):
        contract_patient()
    # patients, questionnaires, their six finding lists (devices, infections, tumors,
    # lymphedema, surgeries, varicosities), consents: 9 queries for any number of patients.
    with django_assert_num_queries(9):
        facts = [patient_facts(p, on=dt.date(2026, 3, 10)) for p in patients_with_facts()]
    assert all(f["screening"] == CONTRACT_PATIENT["screening"] for f in facts)
    assert len(facts) == 3


@pytest.mark.parametrize(
    ("screened_on", "status"),
    [
        (dt.date(2026, 3, 10), "current"),
        (dt.date(2026, 2, 8), "current"),  # 30 days before: still current
        (dt.date(2026, 2, 7), "stale"),  # 31 days before
        (None, "missing"),
    ],
)
def test_screening_is_current_for_30_days(screened_on, status):
    readiness = readiness_from(
        screened_on=screened_on, consent_signed_on=None, on=dt.date(2026, 3, 10)
    )
    assert readiness.screening_status == status
    assert readiness.consent_status == "missing"
    assert readiness.consent_valid_until is None


@pytest.mark.parametrize(
    ("signed_on", "status", "valid_until"),
    [
        (dt.date(2026, 3, 10), "valid", dt.date(2027, 3, 10)),
        (dt.date(2025, 3, 10), "valid", dt.date(2026, 3, 10)),  # 365 days: last valid day
        (dt.date(2025, 3, 9), "expired", dt.date(2026, 3, 9)),
    ],
)
def test_consent_is_valid_for_365_days(signed_on, status, valid_until):
    readiness = readiness_from(
        screened_on=None, consent_signed_on=signed_on, on=dt.date(2026, 3, 10)
    )
    assert (readiness.consent_status, readiness.consent_valid_until) == (status, valid_until)


def test_dn_readiness_ignores_records_dated_after_the_day():
    patient = PatientFactory()
    ScreeningFactory(patient=patient, taken_on=dt.date(2026, 1, 5))
    ScreeningFactory(patient=patient, taken_on=dt.date(2026, 3, 20))
    ConsentFactory(patient=patient, signed_on=dt.date(2026, 3, 20))
    readiness = dn_readiness(patient, on=dt.date(2026, 3, 10))
    assert readiness.screening_status == "stale"
    assert readiness.screened_on == dt.date(2026, 1, 5)
    assert readiness.consent_status == "missing"
    assert not readiness.is_ready
    prefetched = patients_with_facts().get(pk=patient.pk)
    assert dn_readiness(prefetched, on=dt.date(2026, 3, 10)) == readiness
    assert dn_readiness(patient, on=dt.date(2026, 3, 21)).is_ready


@time_machine.travel(dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC))
def test_the_readiness_is_a_frozen_value():
    readiness = readiness_from(
        screened_on=dt.date(2026, 3, 1), consent_signed_on=None, on=dt.date(2026, 3, 10)
    )
    with pytest.raises(AttributeError):
        readiness.screening_status = "current"  # type: ignore[misc]
    assert readiness.screening_valid_until == dt.date(2026, 3, 31)


def test_attached_findings_are_what_prefetch_related_gives(django_assert_num_queries):
    patient, first = contract_patient()
    add_findings(first)
    second = ScreeningFactory(patient=patient, taken_on=dt.date(2026, 3, 1))
    add_findings(second, n=2)
    ScreeningFactory(patient=patient, taken_on=dt.date(2026, 2, 1))  # none at all
    prefetched = list(questionnaires_with_findings().filter(patient=patient).order_by("pk"))
    attached = list(ScreeningQuestionnaire.objects.filter(patient=patient).order_by("pk"))
    # One query for the six lists of every questionnaire.
    with django_assert_num_queries(1):
        attach_findings(attached, of=ScreeningQuestionnaire.objects.filter(patient=patient))
    with django_assert_num_queries(0):
        for want, got in zip(prefetched, attached, strict=True):
            assert screening_facts(got) == screening_facts(want)
            for relation, model in FINDING_MODELS.items():
                fields = [f.attname for f in model._meta.concrete_fields]
                assert [
                    [getattr(row, f) for f in fields] for row in getattr(got, relation).all()
                ] == [[getattr(row, f) for f in fields] for row in getattr(want, relation).all()], (
                    relation
                )
                assert all(row.questionnaire is got for row in getattr(got, relation).all())


def test_the_questionnaire_in_force_takes_two_queries_with_or_without_one(
    django_assert_num_queries,
):
    bare = PatientFactory()
    ScreeningFactory(patient=bare, taken_on=dt.date(2026, 3, 20))  # after the day
    patient, questionnaire = contract_patient()
    add_findings(questionnaire)
    # The questionnaire, then its six finding lists in one query (run even when there is
    # none: a page costs the same number of queries whatever the patient's record holds).
    with django_assert_num_queries(2):
        assert latest_questionnaire(bare, on=dt.date(2026, 3, 10)) is None
    with django_assert_num_queries(2):
        found = latest_questionnaire(patient, on=dt.date(2026, 3, 10))
    with django_assert_num_queries(0):
        facts = screening_facts(found)
    assert len(facts["surgeries"]) == 4
    assert facts == screening_facts(questionnaires_with_findings().get(pk=questionnaire.pk))
