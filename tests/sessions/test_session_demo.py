"""The demo seed gives the demo patient signed visits, an overdue draft and a visit today."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.booking.models import Appointment
from clinic.booking.times import local_today
from clinic.demo import seed
from clinic.staff.models import User
from needling.sessions import services as session_services
from needling.sessions.models import SessionRecord
from needling.sessions.selectors import unsigned_overdue
from tests.sessions.conftest import NOON
from tests.shared_rows import rows_for_the_module

pytestmark = pytest.mark.django_db


def _seed():
    with time_machine.travel(NOON, tick=True):  # the moment the tests' fixed_day starts at
        seed()


@pytest.fixture(scope="module", autouse=True)
def seeded_demo(django_db_setup, django_db_blocker):
    """The demo clinic, seeded once for the module; each test's changes are rolled back."""
    with rows_for_the_module(django_db_blocker, _seed):
        yield


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }


def test_the_demo_has_signed_visits_an_overdue_draft_and_a_visit_to_log_today():
    notes = SessionRecord.objects.filter(patient__first_name="Lucía")
    assert notes.filter(status="signed").count() == 2
    assert all(n.cpt_code == "20561" for n in notes)
    therapist = User.objects.get(username="therapist")
    overdue = list(unsigned_overdue(practitioner=therapist))
    assert [n.patient.first_name for n in overdue] == ["Lucía"]
    plan = notes.first().plan
    day = local_today(plan.location.zone)
    today = Appointment.objects.get(
        patient__first_name="Lucía",
        therapist=therapist,
        starts_at=dt.datetime.combine(day, dt.time(7), tzinfo=plan.location.zone),
    )
    assert today.appointment_type.is_dn and today.status == "booked"
    session = session_services.session_start(
        appointment=today,
        plan=plan,
        user=therapist,
        screening_confirmed_unchanged=True,
    )
    assert session.sites.count() == 3


def test_seeding_twice_changes_nothing():
    # The module's fixture seeded once already: a second run must change nothing.
    before = sorted(SessionRecord.objects.values_list("pk", "status"))
    appointments = Appointment.objects.count()
    seed()
    assert sorted(SessionRecord.objects.values_list("pk", "status")) == before
    assert Appointment.objects.count() == appointments
