"""A withdrawn consent blocks a plan like a missing one (the consent_missing rule)."""

from __future__ import annotations

import datetime as dt

from needling.plans import services
from needling.plans.screening import screen_plan
from patients.consent_services import consent_withdraw
from tests.factories import ConditionFactory, ConsentFactory, PatientFactory, ScreeningFactory
from tests.plans.conftest import TODAY, add


def plan_for(therapist, patient):
    plan = services.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient),
        planned_date=TODAY,
    )
    add(plan, therapist, "deltoid", "right")
    return plan


def test_a_plan_with_a_withdrawn_consent_is_blocked_by_the_missing_consent_rule(therapist):
    patient = PatientFactory()
    ScreeningFactory(patient=patient, taken_on=TODAY - dt.timedelta(days=1))
    # An older consent, still within its year, does not come back into force either.
    ConsentFactory(patient=patient, signed_on=TODAY - dt.timedelta(days=200))
    consent = ConsentFactory(patient=patient, signed_on=TODAY - dt.timedelta(days=20))
    plan = plan_for(therapist, patient)
    assert screen_plan(plan).decision == "clear"

    consent_withdraw(
        consent=consent, user=therapist, withdrawn_on=TODAY, reason="Does not want needles."
    )
    screening = screen_plan(plan)
    assert screening.case["patient"]["consent_signed_on"] is None
    assert screening.decision == "blocked"
    assert [f.rule for f in screening.result.findings] == ["consent_missing"]


def test_a_withdrawal_dated_after_the_session_leaves_that_session_covered(therapist):
    patient = PatientFactory()
    ScreeningFactory(patient=patient, taken_on=TODAY - dt.timedelta(days=1))
    consent = ConsentFactory(patient=patient, signed_on=TODAY - dt.timedelta(days=20))
    plan = plan_for(therapist, patient)
    consent_withdraw(
        consent=consent,
        user=therapist,
        withdrawn_on=TODAY - dt.timedelta(days=5),
        reason="Moved away.",
    )
    # A plan for an earlier day (history) still sees the consent as it then was.
    from patients.selectors import latest_consent

    assert latest_consent(patient, on=TODAY - dt.timedelta(days=6)) == consent
    assert latest_consent(patient, on=TODAY) is None
    assert screen_plan(plan).decision == "blocked"
