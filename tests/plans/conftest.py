"""Fixtures for treatment plans: a fixed day, a patient ready for DN, a draft plan."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from needling.knowledge.models import Muscle
from needling.plans import services
from tests.factories import ConditionFactory, ConsentFactory, PatientFactory, ScreeningFactory

TODAY = dt.date(2026, 3, 10)
NOON = dt.datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
REASON = "INR stable for six months; superficial sites only, firm pressure after."


@pytest.fixture(autouse=True)
def fixed_day():
    with time_machine.travel(NOON, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """PDFs go to a fresh private folder per test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "clinic.common.storage.PrivateStorage",
            "OPTIONS": {"location": tmp_path / "private"},
        },
    }
    return tmp_path / "private"


@pytest.fixture
def patient(db, therapist):
    """Screened yesterday, consent signed on 1 March, neck pain recorded: ready for DN."""
    patient = PatientFactory(
        first_name="Zoë", last_name="Whitaker", date_of_birth=dt.date(1984, 2, 29)
    )
    ScreeningFactory(patient=patient, taken_on=dt.date(2026, 3, 9), taken_by=therapist)
    ConsentFactory(patient=patient, signed_on=dt.date(2026, 3, 1), witness=therapist)
    return patient


@pytest.fixture
def condition(patient, therapist):
    return ConditionFactory(patient=patient, recorded_by=therapist)


@pytest.fixture
def plan(therapist, patient, condition, location):
    return services.plan_create(
        user=therapist,
        patient=patient,
        condition=condition,
        planned_date=TODAY,
        location=location,
        complementary=["stretching", "exercise"],
    )


def add(plan, user, code: str, side: str, **extra):
    return services.plan_site_add(
        plan=plan, user=user, muscle=Muscle.objects.get(code=code), side=side, **extra
    )
