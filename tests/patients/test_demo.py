"""The demo seed gives the patients a realistic mix of screenings, consents and findings."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from patients.alerts import screening_alerts
from patients.facts import patient_facts
from patients.models import Condition, Consent, OutcomeMeasure, PainMap, Patient
from patients.readiness import dn_readiness
from patients.selectors import latest_questionnaire
from tests.patients.conftest import MIDDAY
from tests.shared_rows import rows_for_the_module

pytestmark = pytest.mark.django_db


def _seed():
    with time_machine.travel(MIDDAY, tick=False):  # the day the tests' fixed_today freezes
        call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture(scope="module", autouse=True)
def seeded_demo(django_db_setup, django_db_blocker):
    """`manage.py seed_demo`, run once for the module; each test's changes are rolled back."""
    with rows_for_the_module(django_db_blocker, _seed):
        yield


def test_the_demo_patients_cover_every_screening_and_consent_state():
    # The module's fixture seeded once already: a second run must change nothing.
    counts = (Consent.objects.count(), Condition.objects.count(), PainMap.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Consent.objects.count(), Condition.objects.count(), PainMap.objects.count()) == counts
    today = timezone.localdate()
    states = {}
    for patient in Patient.objects.all():
        readiness = dn_readiness(patient, on=today)
        states.setdefault(readiness.screening_status, []).append(patient.first_name)
        states.setdefault(f"consent {readiness.consent_status}", []).append(patient.first_name)
    assert len(states["current"]) >= 5
    assert states["stale"] == ["Kenji"]
    assert "Aaliyah" in states["missing"]
    assert "Kenji" in states["consent expired"]
    assert OutcomeMeasure.objects.filter(is_baseline=True).count() >= 10


@pytest.mark.parametrize(
    ("first_name", "expected"),
    [
        ("Zoë", "Anticoagulant: warfarin, INR 2.4"),
        ("Amelia", "Pregnant, first trimester"),
        ("José", "Implanted device: Pacemaker"),
        ("Siobhán", "Lymphedema: upper limb"),
        ("Marcus", "Surgery: Shoulder, right"),
    ],
)
def test_demo_patients_trigger_the_contraindications(first_name, expected):
    today = timezone.localdate()
    patient = Patient.objects.get(first_name=first_name)
    questionnaire = latest_questionnaire(patient, on=today)
    texts = [a.text for a in screening_alerts(questionnaire, patient=patient, on=today)]
    assert any(text.startswith(expected) for text in texts), texts
    assert patient_facts(patient, on=today)["screening"] is not None
