"""Patient pages: search and list, registration, the record, archive, access log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from patients.models import Patient, PatientAccessLog
from tests.factories import (
    ConditionFactory,
    ConsentFactory,
    PatientFactory,
    ScreeningFactory,
    add_findings,
)

pytestmark = pytest.mark.django_db

LIST = reverse("patients:list")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def names(response) -> list[str]:
    return [f"{p.first_name} {p.last_name}" for p, _ in response.context["rows"]]


# --- List and search -------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 40])
def test_the_list_runs_a_fixed_number_of_queries(
    front_desk_client, django_assert_num_queries, count
):
    for index in range(count):
        patient = PatientFactory()
        if index % 2:
            ScreeningFactory(patient=patient, taken_on=dt.date(2026, 3, 1))
            ConsentFactory(patient=patient)
    front_desk_client.get(LIST)  # warm the session
    # session and user; the user's own and group permissions; the count of patients; one
    # page of patients with their preferred location and the dates of their latest
    # screening and consent as subqueries; the user's groups (role badge in the nav): 7,
    # whatever the row count (the warm-up renewed the session: none within the minute).
    with django_assert_num_queries(7):
        response = front_desk_client.get(LIST)
    assert response.status_code == 200
    assert len(response.context["rows"]) == min(count, 25)


def test_search_runs_the_same_fixed_number_of_queries(front_desk_client, django_assert_num_queries):
    for _ in range(30):
        PatientFactory(last_name="Whitaker")
    front_desk_client.get(LIST)
    # The same 7 queries as the unfiltered list (see above).
    with django_assert_num_queries(7):
        response = front_desk_client.get(LIST, {"q": "whit", "page": 2})
    assert len(response.context["rows"]) == 5


def test_a_search_lists_its_matches_in_name_order_whichever_plan_is_used(
    front_desk_client, monkeypatch
):
    """Few matches are sorted after the trigram lookup, many are read in index order: the
    page is the same either way."""
    from patients import selectors

    for first, last in [("Ann", "Martin"), ("Bea", "Amartya"), ("Cy", "Martin"), ("Di", "Zmart")]:
        PatientFactory(first_name=first, last_name=last)
    PatientFactory(first_name="Ed", last_name="Other")
    expected = ["Bea Amartya", "Ann Martin", "Cy Martin", "Di Zmart"]
    assert names(front_desk_client.get(LIST, {"q": "mart"})) == expected
    monkeypatch.setattr(selectors, "FEW_MATCHES", 0)  # as if there were many
    assert names(front_desk_client.get(LIST, {"q": "mart"})) == expected
    monkeypatch.undo()
    qs = selectors.patient_list(query="", today=dt.date(2026, 6, 1))
    assert selectors.order_few_matches(qs, selectors.FEW_MATCHES + 1) is qs
    if connection.vendor == "postgresql":  # SQLite sorts nulls first anyway: no modifier
        assert "NULLS FIRST" not in str(qs.query)  # the unfiltered list: index order
        assert "NULLS FIRST" in str(selectors.order_few_matches(qs, 4).query)


@pytest.mark.parametrize("query", ["zoe", "ZOË", "whit", "Zoe Whit", "  zoë  whitaker "])
def test_search_by_name_is_partial_and_case_and_accent_insensitive(front_desk_client, query):
    PatientFactory(first_name="Zoë", last_name="Whitaker")
    PatientFactory(first_name="José", last_name="Martínez")
    assert names(front_desk_client.get(LIST, {"q": query})) == ["Zoë Whitaker"]


def test_search_by_accented_query_finds_the_plain_spelling(front_desk_client):
    PatientFactory(first_name="Jose", last_name="Martinez")
    assert names(front_desk_client.get(LIST, {"q": "martínez"})) == ["Jose Martinez"]


@pytest.mark.parametrize("query", ["1984-02-29", "02/29/1984", "2/29/1984"])
def test_search_by_date_of_birth(front_desk_client, query):
    PatientFactory(first_name="Leap", last_name="Year", date_of_birth=dt.date(1984, 2, 29))
    PatientFactory(first_name="Other", last_name="Day", date_of_birth=dt.date(1984, 3, 1))
    assert names(front_desk_client.get(LIST, {"q": query})) == ["Leap Year"]


@pytest.mark.parametrize("query", ["(415) 555-0101", "4155550101", "555-0101", "5550101"])
def test_search_by_phone_digits_however_typed(front_desk_client, query):
    PatientFactory(first_name="Phone", last_name="Match", phone="+1 415 555 0101")
    PatientFactory(first_name="Phone", last_name="Other", phone="(510) 555-0199")
    assert names(front_desk_client.get(LIST, {"q": query})) == ["Phone Match"]


def test_an_impossible_date_is_searched_as_text_not_a_500(front_desk_client):
    PatientFactory()
    response = front_desk_client.get(LIST, {"q": "1984-02-30"})
    assert response.status_code == 200
    assert names(response) == []
    assert b"No patient matches" in response.content


def test_the_list_shows_screening_and_consent_status(front_desk_client):
    ready = PatientFactory(last_name="Aready")
    ScreeningFactory(patient=ready, taken_on=dt.date(2026, 3, 1))
    ConsentFactory(patient=ready, signed_on=dt.date(2026, 3, 1))
    stale = PatientFactory(last_name="Bstale")
    ScreeningFactory(patient=stale, taken_on=dt.date(2026, 1, 1))
    ConsentFactory(patient=stale, signed_on=dt.date(2025, 1, 1))
    PatientFactory(last_name="Cnothing")
    rows = front_desk_client.get(LIST).context["rows"]
    statuses = [(r.screening_status, r.consent_status) for _, r in rows]
    assert statuses == [("current", "valid"), ("stale", "expired"), ("missing", "missing")]


def test_the_list_is_empty_state_friendly(front_desk_client):
    response = front_desk_client.get(LIST)
    assert b"No patients yet" in response.content


def test_archived_patients_leave_the_list_and_come_back(front_desk_client):
    patient = PatientFactory(first_name="Archie", last_name="Ved")
    response = front_desk_client.get(reverse("patients:archive", args=[patient.pk]))
    assert b"Archive patient" in response.content  # a confirmation page first
    assert Patient.objects.get(pk=patient.pk).archived_at is None
    front_desk_client.post(reverse("patients:archive", args=[patient.pk]))
    assert Patient.objects.get(pk=patient.pk).archived_at is not None
    assert names(front_desk_client.get(LIST)) == []
    assert names(front_desk_client.get(LIST, {"archived": "on"})) == ["Archie Ved"]
    front_desk_client.post(reverse("patients:restore", args=[patient.pk]))
    assert names(front_desk_client.get(LIST)) == ["Archie Ved"]
    assert Patient.objects.filter(pk=patient.pk).exists()  # never deleted


def test_nothing_can_be_added_to_an_archived_record(front_desk_client):
    patient = PatientFactory(archived_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    response = front_desk_client.get(reverse("patients:screening_new", args=[patient.pk]))
    assert response.status_code == 302
    assert response["Location"] == patient.get_absolute_url()


# --- Registration and editing ----------------------------------------------------------------


def test_a_phone_enquiry_registers_with_name_birth_date_and_phone(front_desk_client, front_desk):
    response = front_desk_client.post(
        reverse("patients:register"),
        {
            "first_name": " Zoë ",
            "last_name": "Whitaker",
            "date_of_birth": "1984-02-29",
            "phone": "(415) 555-0101",
        },
    )
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == patient.get_absolute_url()
    assert str(patient.pk) in response["Location"]  # a UUID, never the row number
    assert (patient.first_name, patient.search_name, patient.phone_digits) == (
        "Zoë",
        "zoe whitaker",
        "4155550101",
    )
    assert patient.created_by == front_desk
    page = front_desk_client.get(patient.get_absolute_url())
    assert b"Details still missing" in page.content
    assert "emergency contact" in page.context["patient"].missing_details


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "2026-03-11", "cannot be in the future"),
        ("date_of_birth", "1984-02-30", "Enter a valid date"),
        ("phone", "call me", "Enter a phone number with digits"),
        ("first_name", "", "This field is required"),
    ],
)
def test_registration_refuses_bad_input_field_by_field(front_desk_client, field, value, message):
    data = {"first_name": "A", "last_name": "B", "date_of_birth": "1990-01-01", "phone": "555 1234"}
    data[field] = value
    response = front_desk_client.post(reverse("patients:register"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Patient.objects.exists()


def test_editing_completes_the_details(front_desk_client, location):
    patient = PatientFactory()
    data = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": "1980-05-17",
        "sex": "F",
        "phone": "(555) 010-9999",
        "email": "pat@example.test",
        "address": "1 Main St",
        "emergency_contact_name": "Sam",
        "emergency_contact_phone": "555 0000",
        "referring_physician": "Dr Who",
        "preferred_location": location.pk,
    }
    response = front_desk_client.post(reverse("patients:edit", args=[patient.pk]), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.missing_details == []
    assert patient.phone_digits == "5550109999"


def test_front_desk_cannot_see_or_set_clinical_notes(front_desk, therapist):
    patient = PatientFactory(notes="Sensitive clinical note")
    edit = reverse("patients:edit", args=[patient.pk])
    assert "notes" not in logged_in(front_desk).get(edit).context["form"].fields
    assert "notes" in logged_in(therapist).get(edit).context["form"].fields


# --- The patient page ------------------------------------------------------------------------


def test_every_view_of_a_patient_page_is_logged(front_desk_client, front_desk, manager):
    manager_client = logged_in(manager)
    patient = PatientFactory()
    front_desk_client.get(patient.get_absolute_url())
    front_desk_client.get(patient.get_absolute_url())
    entries = PatientAccessLog.objects.filter(patient=patient)
    assert entries.count() == 2
    assert {e.user for e in entries} == {front_desk}
    assert {e.action for e in entries} == {"view"}
    log = manager_client.get(reverse("patients:access_log", args=[patient.pk]))
    assert log.status_code == 200
    assert front_desk.username in log.content.decode()


def test_front_desk_sees_status_but_not_the_clinical_record(front_desk_client):
    patient = PatientFactory(notes="Sensitive clinical note")
    ScreeningFactory(patient=patient, taken_on=dt.date(2026, 3, 1), anticoagulant_drug="warfarin")
    ConditionFactory(patient=patient, notes="Condition detail")
    content = front_desk_client.get(patient.get_absolute_url()).content.decode()
    assert "Current</span> taken 2026-03-01" in content
    assert "Missing</span> no DN consent on file" in content
    for hidden in ("Sensitive clinical note", "Condition detail", "Cervicalgia", "warfarin"):
        assert hidden not in content


def test_a_therapist_sees_the_complete_record(therapist_client):
    patient = PatientFactory(notes="Sensitive clinical note")
    ScreeningFactory(
        patient=patient,
        taken_on=dt.date(2026, 3, 1),
        anticoagulant_drug="warfarin",
        vitamin_k_antagonist=True,
        inr="2.4",
        inr_on=dt.date(2026, 2, 28),
        pregnancy_due_date=dt.date(2026, 10, 1),
    )
    ConsentFactory(patient=patient, signed_on=dt.date(2025, 6, 1))
    ConditionFactory(patient=patient, notes="Condition detail")
    content = therapist_client.get(patient.get_absolute_url()).content.decode()
    assert "Sensitive clinical note" in content
    assert "Cervicalgia" in content
    assert "Anticoagulant: warfarin, INR 2.4 on 2026-02-28 (target 2.0-3.0)." in content
    assert "Pregnant, first trimester (10 weeks): due 2026-10-01." in content
    assert "Valid</span> until 2026-06-01" in content


def test_a_stale_screening_and_an_expired_consent_are_named(therapist_client):
    patient = PatientFactory()
    ScreeningFactory(patient=patient, taken_on=dt.date(2026, 2, 7))
    ConsentFactory(patient=patient, signed_on=dt.date(2025, 3, 9))
    content = therapist_client.get(patient.get_absolute_url()).content.decode()
    assert "Stale</span> last taken 2026-02-07" in content
    assert "Expired</span> on 2026-03-09" in content


def test_the_patient_page_takes_a_fixed_number_of_queries(therapist_client, therapist):
    """The same count for a bare record and a full one: the finding lists of the
    questionnaires and the areas of the pain maps are read whether or not there are any
    (prefetch_related skips them when there is no questionnaire or map)."""
    from patients.services import pain_map_record

    bare = PatientFactory()
    full = PatientFactory()
    for day in (1, 2, 3):
        add_findings(ScreeningFactory(patient=full, taken_on=dt.date(2026, 3, day)), n=day)
        ConsentFactory(patient=full, signed_on=dt.date(2026, 3, day))
        ConditionFactory(patient=full)
        pain_map_record(
            patient=full,
            recorded_on=dt.date(2026, 3, day),
            recorded_by=therapist,
            areas=[("posterior_neck", "left", 6), ("lateral_hip", "right", day)],
        )

    def count(patient) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        therapist_client.get(patient.get_absolute_url())
        with CaptureQueriesContext(connection) as captured:
            assert therapist_client.get(patient.get_absolute_url()).status_code == 200
        return len(captured)

    # Session, user, permissions (4); the patient; questionnaires, consents, conditions,
    # pain maps, outcomes (5); the six finding lists (one union query); the pain map areas;
    # the access log entry; the screening policy (2); the role groups (nav); the plans;
    # whether the user treats the patient (the FHIR export button): 18 (no session save
    # within the minute).
    assert count(bare) == count(full) == 18


def test_an_unknown_patient_is_404(therapist_client):
    import uuid

    response = therapist_client.get(reverse("patients:detail", args=[uuid.uuid4()]))
    assert response.status_code == 404
