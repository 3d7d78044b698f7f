"""The screening questionnaire page: every fact captured, follow-ups only when yes, bad input
refused field by field, and nothing half-saved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from patients.facts import patient_facts
from patients.models import ScreeningQuestionnaire, Surgery
from tests.factories import PatientFactory, ScreeningFactory
from tests.patients.helpers import screening_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return PatientFactory(date_of_birth=dt.date(1984, 2, 29))


def url(patient):
    return reverse("patients:screening_new", args=[patient.pk])


def full_answers() -> dict:
    return screening_data(
        "2026-03-09",
        rows={
            "implanted_devices": [{"kind": "pacemaker", "region": "chest", "side": "left"}],
            "infections": [{"region": "forearm", "side": "right", "description": "Graze"}],
            "lymphedema": [{"limb": "upper", "side": "left"}],
            "surgeries": [{"on": "2026-01-20", "region": "shoulder", "side": "right"}],
        },
        takes_anticoagulant="yes",
        anticoagulant_drug="Warfarin",
        inr="2.4",
        inr_on="2026-03-02",
        inr_target_low="2.0",
        inr_target_high="3.0",
        last_dose_change_on="2026-01-15",
        recent_bleeding="no",
    )


def test_a_front_desk_user_records_the_full_questionnaire(front_desk_client, front_desk, patient):
    response = front_desk_client.post(url(patient), full_answers())
    assert response.status_code == 302, response.context["form"].errors
    questionnaire = ScreeningQuestionnaire.objects.get()
    assert questionnaire.taken_by == front_desk
    assert questionnaire.vitamin_k_antagonist  # warfarin is recorded as a VKA however typed
    facts = patient_facts(patient, on=dt.date(2026, 3, 10))
    screening = facts["screening"]
    assert facts["screened_on"] == "2026-03-09"
    assert screening["anticoagulant"] == {
        "drug": "Warfarin",
        "vitamin_k_antagonist": True,
        "inr": 2.4,
        "inr_on": "2026-03-02",
        "inr_target_low": 2.0,
        "inr_target_high": 3.0,
        "last_dose_change_on": "2026-01-15",
        "recent_bleeding": False,
    }
    assert screening["implanted_devices"] == [
        {"kind": "pacemaker", "region": "chest", "side": "left"}
    ]
    assert screening["infections"] == [{"region": "forearm", "side": "right"}]
    assert screening["lymphedema"] == [{"limb": "upper", "side": "left"}]
    assert screening["surgeries"] == [
        {"on": "2026-01-20", "region": "shoulder", "side": "right", "joint_replacement": False}
    ]
    assert screening["tumors"] == screening["varicosities"] == []


def test_each_completion_is_a_new_record_and_the_latest_is_current(therapist_client, patient):
    ScreeningFactory(patient=patient, taken_on=dt.date(2026, 2, 1), diabetes=True)
    page = therapist_client.get(url(patient))
    # The earlier answers are offered to be asked again.
    assert page.context["form"].initial["diabetes"] == "yes"
    therapist_client.post(url(patient), screening_data("2026-03-10"))
    assert ScreeningQuestionnaire.objects.filter(patient=patient).count() == 2
    assert patient_facts(patient, on=dt.date(2026, 3, 10))["screening"]["diabetes"] is False
    old = ScreeningQuestionnaire.objects.get(taken_on=dt.date(2026, 2, 1))
    detail = therapist_client.get(old.get_absolute_url())
    assert detail.status_code == 200
    assert not detail.context["is_current"]


def test_follow_up_answers_count_only_when_the_parent_is_yes(front_desk_client, patient):
    data = screening_data(
        "2026-03-09",
        takes_anticoagulant="no",
        anticoagulant_drug="warfarin",  # left over in a hidden follow-up
        inr="99",  # even invalid: ignored, never saved
        pregnant="no",
        pregnancy_due_date="2030-01-01",
    )
    data["implanted_devices-0-kind"] = "pacemaker"  # a hidden row under a "no"
    data["implanted_devices-0-region"] = "chest"
    data["implanted_devices-0-side"] = "left"
    response = front_desk_client.post(url(patient), data)
    assert response.status_code == 302
    questionnaire = ScreeningQuestionnaire.objects.get()
    assert questionnaire.anticoagulant_drug == ""
    assert questionnaire.inr is None
    assert questionnaire.pregnancy_due_date is None
    assert not questionnaire.implanted_devices.exists()


def test_epilepsy_is_none_controlled_or_uncontrolled(front_desk_client, patient):
    front_desk_client.post(
        url(patient), screening_data("2026-03-09", has_epilepsy="yes", epilepsy_controlled="no")
    )
    assert ScreeningQuestionnaire.objects.get().epilepsy == "uncontrolled"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"inr": "12"}, "inr", "between 0.5 and 10"),
        ({"inr": "0.4"}, "inr", "between 0.5 and 10"),
        ({"inr": "abc"}, "inr", "Enter a number"),
        ({"inr_on": "2026-03-11"}, "inr_on", "in the future"),
        ({"inr": "2.5", "inr_on": ""}, "inr_on", "Enter the date the INR was measured"),
        ({"last_dose_change_on": "2026-04-01"}, "last_dose_change_on", "in the future"),
        ({"inr_target_low": "3.0", "inr_target_high": "2.0"}, "inr_target_high", "above"),
        ({"anticoagulant_drug": ""}, "anticoagulant_drug", "Name the drug"),
        ({"recent_bleeding": ""}, "recent_bleeding", "Answer yes or no"),
        ({"taken_on": "2026-03-11"}, "taken_on", "cannot be in the future"),
        ({"taken_on": "1980-01-01"}, "taken_on", "before the date of birth"),
        ({"needle_phobia": ""}, "needle_phobia", "Answer yes or no"),
        ({"needle_phobia": "maybe"}, "needle_phobia", "Select a valid choice"),
        ({"pregnant": "yes", "pregnancy_due_date": "2027-01-13"}, "pregnancy_due_date", "44 weeks"),
        ({"pregnant": "yes", "pregnancy_due_date": ""}, "pregnancy_due_date", "due date"),
        ({"pregnant": "yes", "pregnancy_due_date": "2026-01-01"}, "pregnancy_due_date", "6 weeks"),
        ({"has_epilepsy": "yes"}, "epilepsy_controlled", "Answer yes or no"),
        ({"has_tumors": "yes"}, "has_tumors", "add the tumor"),
    ],
)
def test_bad_answers_are_refused_field_by_field_and_nothing_is_saved(
    front_desk_client, patient, changes, field, message
):
    data = full_answers()
    data.update(changes)
    response = front_desk_client.post(url(patient), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert b"Nothing was saved" in response.content
    assert not ScreeningQuestionnaire.objects.exists()
    assert not Surgery.objects.exists()


def test_a_due_date_44_weeks_ahead_is_accepted(front_desk_client, patient):
    data = screening_data("2026-03-10", pregnant="yes", pregnancy_due_date="2027-01-12")
    assert front_desk_client.post(url(patient), data).status_code == 302


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"on": "2026-03-11", "region": "shoulder", "side": "right"}, "on", "in the future"),
        ({"on": "2026-01-20", "region": "elbow", "side": "right"}, "region", "valid choice"),
        ({"on": "2026-01-20", "region": "shoulder", "side": "up"}, "side", "valid choice"),
        ({"on": "", "region": "shoulder", "side": "right"}, "on", "required"),
    ],
)
def test_a_bad_surgery_row_is_refused_on_that_row(front_desk_client, patient, row, field, message):
    data = full_answers()
    for key, value in row.items():
        data[f"surgeries-0-{key}"] = value
    response = front_desk_client.post(url(patient), data)
    assert response.status_code == 400
    formsets = {name: formset for name, _, _, formset in response.context["lists"]}
    errors = formsets["surgeries"].forms[0].errors
    assert message in " ".join(errors[field])
    assert not ScreeningQuestionnaire.objects.exists()


def test_removed_rows_are_not_saved(front_desk_client, patient):
    data = full_answers()
    data["surgeries-TOTAL_FORMS"] = "2"
    data.update(
        {
            "surgeries-1-on": "2025-06-01",
            "surgeries-1-region": "hip",
            "surgeries-1-side": "left",
            "surgeries-1-joint_replacement": "on",
            "surgeries-1-DELETE": "on",
        }
    )
    assert front_desk_client.post(url(patient), data).status_code == 302
    assert list(Surgery.objects.values_list("region", flat=True)) == ["shoulder"]


def test_the_service_refuses_an_inr_outside_the_range_even_without_the_form(patient, therapist):
    from django.core.exceptions import ValidationError

    from patients.services import questionnaire_record

    with pytest.raises(ValidationError) as error:
        questionnaire_record(
            patient=patient,
            taken_by=therapist,
            taken_on=dt.date(2026, 3, 9),
            answers={
                "anticoagulant_drug": "warfarin",
                "inr": Decimal("12"),
                "inr_on": dt.date(2026, 3, 1),
            },
            findings={"surgeries": [{"on": dt.date(2027, 1, 1), "region": "hip", "side": "left"}]},
        )
    assert "inr" in error.value.message_dict
    assert not ScreeningQuestionnaire.objects.exists()


def test_the_database_refuses_an_inr_outside_the_range(patient, therapist):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ScreeningQuestionnaire.objects.create(
            patient=patient,
            taken_by=therapist,
            taken_on=dt.date(2026, 3, 9),
            anticoagulant_drug="warfarin",
            inr=Decimal("12"),
            inr_on=dt.date(2026, 3, 1),
        )


def test_the_screening_page_is_grouped_and_labelled(front_desk_client, patient):
    content = front_desk_client.get(url(patient)).content.decode()
    for legend in (
        "Taking part",
        "General health",
        "Bleeding and blood thinners",
        "Pregnancy",
        "Body locations",
    ):
        assert f">{legend}</legend>" in content
    assert 'data-follow-up-of="takes_anticoagulant"' in content
    assert '<label class="form-check-label" for="id_needle_phobia_0">Yes</label>' in content
