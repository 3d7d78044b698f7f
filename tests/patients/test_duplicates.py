"""Registration warns of a patient who may already be registered, with a link to the record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from patients.models import Patient
from patients.selectors import possible_duplicates
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
BORN = dt.date(1984, 2, 29)


def found(**kwargs):
    details = {"first_name": "Zoë", "last_name": "Whitaker", "date_of_birth": BORN, "phone": ""}
    details.update(kwargs)
    return [(d.patient.last_name, d.reason) for d in possible_duplicates(**details)]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("Zoe", "Whitaker"),  # accents folded
        ("ZOË", "WHITAKER"),
        ("Zoey", "Whitaker"),  # same last name and initial
        ("Whitaker", "Zoë"),  # swapped
        ("Zoë", "Whittaker"),  # a typo
    ],
)
def test_the_same_birth_date_and_a_similar_name_is_a_possible_duplicate(first, last):
    PatientFactory(first_name=first, last_name=last, date_of_birth=BORN)
    assert found() == [(last, "the same date of birth and a similar name")]


def test_a_different_name_or_birth_date_is_not():
    PatientFactory(first_name="Martin", last_name="Okafor", date_of_birth=BORN)
    PatientFactory(first_name="Zoë", last_name="Whitaker", date_of_birth=dt.date(1985, 2, 28))
    assert found() == []


def test_the_same_phone_however_typed_is_a_possible_duplicate_whatever_the_name():
    PatientFactory(
        first_name="Ana", last_name="Lima", date_of_birth=dt.date(1990, 1, 1), phone="415.555.0101"
    )
    assert found(phone="(415) 555-0101") == [("Lima", "the same phone number")]
    assert found(phone="0101") == []  # too few digits to mean anything


def test_archived_patients_are_found_too():
    from django.utils import timezone

    PatientFactory(
        first_name="Zoe", last_name="Whitaker", date_of_birth=BORN, archived_at=timezone.now()
    )
    assert len(found()) == 1


FORM = {
    "first_name": "Zoe",
    "last_name": "Whitaker",
    "date_of_birth": "1984-02-29",
    "phone": "(415) 555-0199",
}


def test_registration_stops_at_a_possible_duplicate_with_a_link_to_it(front_desk_client):
    existing = PatientFactory(first_name="Zoë", last_name="Whitaker", date_of_birth=BORN)
    response = front_desk_client.post(reverse("patients:register"), FORM)
    assert response.status_code == 200
    assert Patient.objects.count() == 1  # nothing saved yet
    html = response.content.decode()
    assert "Possibly already registered" in html
    assert f'href="{existing.get_absolute_url()}"' in html
    assert 'aria-invalid="true" aria-describedby="save-anyway-error"' in html


def test_save_anyway_registers_a_different_person(front_desk_client):
    PatientFactory(first_name="Zoë", last_name="Whitaker", date_of_birth=BORN)
    response = front_desk_client.post(reverse("patients:register"), {**FORM, "save_anyway": "on"})
    assert response.status_code == 302
    assert Patient.objects.filter(last_name="Whitaker").count() == 2


def test_no_warning_when_nobody_matches(front_desk_client):
    response = front_desk_client.post(reverse("patients:register"), FORM)
    assert response.status_code == 302
    assert Patient.objects.get().first_name == "Zoe"


def test_the_duplicate_check_is_one_query(django_assert_num_queries):
    PatientFactory(first_name="Zoë", last_name="Whitaker", date_of_birth=BORN)
    PatientFactory(phone="(415) 555-0101")
    with django_assert_num_queries(1):  # patients with the birth date or the phone digits
        assert len(found(phone="4155550101")) == 2
