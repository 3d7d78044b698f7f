"""FHIR R4 export: a Bundle per patient from the patient page, NDJSON per location.

Every resource is validated with fhir.resources. fhir.resources 8 ships FHIR R5 as its
default package and R4B (4.3.0) under ``fhir.resources.R4B``; there is no 4.0.1 package in
the 7+/8 series. R4B changed none of the six resources exported here (Patient, Condition,
Consent, Procedure, Observation, AdverseEvent) against R4, so R4B models validate them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from fhir.resources.R4B import get_fhir_model_class

from needling.fhir import resources as r
from needling.fhir.export import patient_bundle
from needling.sessions import services as session_services
from patients.models import OutcomeMeasure, PatientAccessLog
from tests.booking.factories import AppointmentFactory
from tests.factories import LocationFactory, PatientFactory, UserFactory
from tests.sessions.helpers import complete_and_sign, opened_session

pytestmark = pytest.mark.django_db


def validate(resource: dict) -> dict:
    """Parse with the FHIR model of its type and return the model's own JSON of it."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return json.loads(model.model_dump_json(exclude_none=True))


@pytest.fixture
def treated(therapist, location):
    """A patient with a condition, consent, a baseline NPRS and one signed DN session on three
    muscles (CPT 20561) with an adverse event; a second, draft session is not exported."""
    session = opened_session(
        therapist=therapist,
        location=location,
        sites=(("upper_trapezius", "left"), ("deltoid", "right"), ("gluteus_medius", "left")),
    )
    patient = session.patient
    OutcomeMeasure.objects.create(
        patient=patient,
        measure="nprs",
        score=Decimal(7),
        taken_on=session.session_date,
        recorded_by=therapist,
    )
    session_services.adverse_event_add(
        session=session, user=therapist, kind="bruising", severity="mild", note="small, lateral"
    )
    complete_and_sign(session, therapist)
    return patient


def by_type(bundle: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        out.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return out


def test_the_bundle_and_every_resource_validate_as_fhir(treated):
    bundle = patient_bundle(treated)
    assert bundle["type"] == "collection"
    get_fhir_model_class("Bundle").model_validate(bundle)
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        validate(entry["resource"])
    kinds = by_type(bundle)
    assert {k: len(v) for k, v in kinds.items()} == {
        "Patient": 1,
        "Condition": 1,
        "Consent": 1,
        "Procedure": 1,
        "Observation": 3,  # the baseline, NPRS before and after the session
        "AdverseEvent": 1,
    }


def test_the_codes_are_the_standard_ones(treated):
    kinds = by_type(patient_bundle(treated))
    condition = kinds["Condition"][0]
    assert condition["code"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "code": "M54.2",
        "display": "Cervicalgia",
    }
    procedure = kinds["Procedure"][0]
    assert procedure["code"]["coding"][0]["system"] == "http://www.ama-assn.org/go/cpt"
    assert procedure["code"]["coding"][0]["code"] == "20561"
    sites = [(s["coding"][0]["code"], s["text"]) for s in procedure["bodySite"]]
    assert sites == [
        ("upper_trapezius", "Upper trapezius, left"),
        ("deltoid", "Deltoid, right"),
        ("gluteus_medius", "Gluteus medius, left"),
    ]
    observations = kinds["Observation"]
    assert {o["code"]["coding"][0]["code"] for o in observations} == {"72514-3"}
    assert {o["code"]["coding"][0]["system"] for o in observations} == {"http://loinc.org"}
    assert sorted(o["valueInteger"] for o in observations) == [3, 6, 7]
    parts = [o for o in observations if "partOf" in o]
    assert {p["partOf"][0]["reference"] for p in parts} == {f"urn:uuid:{procedure['id']}"}
    event = kinds["AdverseEvent"][0]
    assert event["severity"]["coding"][0]["code"] == "mild"
    assert event["seriousness"]["coding"][0]["code"] == "non-serious"
    assert event["suspectEntity"][0]["instance"]["reference"] == f"urn:uuid:{procedure['id']}"


def test_references_resolve_inside_the_bundle(treated):
    bundle = patient_bundle(treated)
    urls = {entry["fullUrl"] for entry in bundle["entry"]}

    def references(node):
        if isinstance(node, dict):
            if "reference" in node:
                yield node["reference"]
            for value in node.values():
                yield from references(value)
        elif isinstance(node, list):
            for value in node:
                yield from references(value)

    found = list(references([e["resource"] for e in bundle["entry"]]))
    assert len(found) >= 8
    assert set(found) <= urls


def test_ids_are_stable_across_exports(treated):
    first = [e["resource"]["id"] for e in patient_bundle(treated)["entry"]]
    second = [e["resource"]["id"] for e in patient_bundle(treated)["entry"]]
    assert first == second
    assert len(set(first)) == len(first)
    assert first[0] == str(treated.pk)


def test_a_draft_session_is_not_exported(therapist, location):
    session = opened_session(therapist=therapist, location=location)
    kinds = by_type(patient_bundle(session.patient))
    assert "Procedure" not in kinds
    assert "AdverseEvent" not in kinds


def test_a_demo_patient_round_trips_through_the_fhir_models(settings, tmp_path):
    from clinic.demo import seed
    from patients.models import Patient

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }
    seed()
    patient = Patient.objects.get(first_name="Lucía")
    bundle = patient_bundle(patient)
    kinds = by_type(bundle)
    assert len(kinds["Procedure"]) == 2
    assert {p["code"]["coding"][0]["code"] for p in kinds["Procedure"]} == {"20561"}
    model = get_fhir_model_class("Bundle").model_validate(bundle)
    again = json.loads(model.model_dump_json(exclude_none=True))
    assert [e["resource"]["id"] for e in again["entry"]] == [
        e["resource"]["id"] for e in bundle["entry"]
    ]
    # Every resource survives the model unchanged but for the model's own date formatting.
    for original, parsed in zip(bundle["entry"], again["entry"], strict=True):
        assert validate(parsed["resource"]) == validate(original["resource"])
        assert parsed["resource"]["resourceType"] == original["resource"]["resourceType"]
    assert kinds["Patient"][0]["name"][0]["given"] == ["Lucía"]


# --- The download from the patient page ------------------------------------------------------


def url(patient) -> str:
    return reverse("needling:patient_fhir_bundle", kwargs={"patient_pk": patient.pk})


def test_the_treating_therapist_downloads_it_and_it_is_logged(therapist_client, treated):
    response = therapist_client.get(url(treated))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    get_fhir_model_class("Bundle").model_validate(json.loads(response.content))
    log = PatientAccessLog.objects.filter(patient=treated, action="fhir_export")
    assert log.count() == 1


def test_a_manager_downloads_any_patient(manager_client, manager, treated):
    assert manager_client.get(url(treated)).status_code == 200
    assert PatientAccessLog.objects.filter(patient=treated, user=manager, action="fhir_export")


def test_another_therapist_gets_404(client, location, treated):
    from clinic.staff.roles import Role

    other = UserFactory(username="other", role=Role.THERAPIST)
    other.locations.add(location)
    client.force_login(other)
    assert client.get(url(treated)).status_code == 404
    assert not PatientAccessLog.objects.filter(patient=treated, action="fhir_export").exists()


def test_a_therapist_with_only_an_appointment_is_treating(client, location):
    from clinic.staff.roles import Role

    therapist = UserFactory(username="booked", role=Role.THERAPIST)
    patient = PatientFactory()
    AppointmentFactory(location=location, therapist=therapist, patient=patient)
    client.force_login(therapist)
    assert client.get(url(patient)).status_code == 200


def test_the_front_desk_is_refused(front_desk_client, treated):
    assert front_desk_client.get(url(treated)).status_code == 404


def test_an_unknown_patient_is_404(manager_client):
    import uuid

    missing = reverse("needling:patient_fhir_bundle", kwargs={"patient_pk": uuid.uuid4()})
    assert manager_client.get(missing).status_code == 404


def test_the_patient_page_shows_the_button_to_those_who_may(
    therapist_client, manager_client, front_desk_client, treated
):
    link = url(treated)
    assert link in therapist_client.get(treated.get_absolute_url()).content.decode()
    assert link in manager_client.get(treated.get_absolute_url()).content.decode()
    assert link not in front_desk_client.get(treated.get_absolute_url()).content.decode()


def test_the_button_is_hidden_from_a_therapist_who_does_not_treat(client, treated):
    from clinic.staff.roles import Role

    client.force_login(UserFactory(username="stranger", role=Role.THERAPIST))
    page = client.get(treated.get_absolute_url())
    assert page.status_code == 200
    assert url(treated) not in page.content.decode()


# --- Bulk NDJSON per location ----------------------------------------------------------------


def export(tmp_path, location, user, **options) -> str:
    out = io.StringIO()
    call_command(
        "fhir_export",
        location=str(location.pk),
        user=user.username,
        output=str(tmp_path),
        stdout=out,
        **options,
    )
    return out.getvalue()


def test_the_command_writes_one_ndjson_file_per_type(tmp_path, manager, location, treated):
    elsewhere = PatientFactory(preferred_location=LocationFactory(name="Oakland"))
    here = PatientFactory(preferred_location=location)
    message = export(tmp_path, location, manager)
    assert "Exported 2 patients" in message
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"{t}.ndjson" for t in sorted(r_ for r_ in r_types())]
    patients = [json.loads(line) for line in (tmp_path / "Patient.ndjson").open()]
    assert {p["id"] for p in patients} == {str(treated.pk), str(here.pk)}
    assert str(elsewhere.pk) not in {p["id"] for p in patients}
    for path in tmp_path.iterdir():
        for line in path.open():
            resource = json.loads(line)
            assert resource["resourceType"] == path.stem
            validate(resource)
            for ref in _refs(resource):
                assert ref.split("/")[0] in r_types() and "/" in ref
    logged = PatientAccessLog.objects.filter(user=manager, action="fhir_export")
    assert set(logged.values_list("patient_id", flat=True)) == {treated.pk, here.pk}


def r_types():
    return {"Patient", "Condition", "Consent", "Procedure", "Observation", "AdverseEvent"}


def _refs(node):
    if isinstance(node, dict):
        if "reference" in node:
            yield node["reference"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_command_reads_a_fixed_number_of_queries_per_chunk(
    tmp_path, manager, location, treated, django_assert_num_queries
):
    for _ in range(5):
        PatientFactory(preferred_location=location)
    # 6 patients in chunks of 2 = 3 chunks. Per chunk: 4 reads (conditions, consents with
    # their text, NPRS outcomes, signed notes) and 1 access-log insert; the one chunk holding
    # a signed note also reads its sites with muscles and its adverse events (Django skips a
    # prefetch over no rows). Before them: the location, the manager, the manager's groups
    # (role), and the patient cursor (one statement; on SQLite Django fetches in chunks from
    # it, on PostgreSQL it is a server-side cursor).
    with django_assert_num_queries(4 + 3 * 5 + 2):
        export(tmp_path, location, manager, chunk_size=2)
    assert len((tmp_path / "Patient.ndjson").read_text().splitlines()) == 6


def test_a_second_export_leaves_no_stale_file(tmp_path, manager, location):
    (tmp_path / "AdverseEvent.ndjson").write_text('{"resourceType": "AdverseEvent"}\n')
    (tmp_path / "notes.txt").write_text("kept")
    PatientFactory(preferred_location=location)
    export(tmp_path, location, manager)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Patient.ndjson", "notes.txt"]


def test_the_command_refuses_a_non_manager_and_an_unknown_location(
    tmp_path, therapist, manager, location
):
    with pytest.raises(CommandError, match="not a manager"):
        export(tmp_path, location, therapist)
    with pytest.raises(CommandError, match="no location"):
        call_command("fhir_export", location="Nowhere", user=manager.username, output=str(tmp_path))
    assert not PatientAccessLog.objects.filter(action="fhir_export").exists()


def test_a_consent_past_its_year_is_inactive(treated):
    consent = treated.consents.get()
    resource = r.consent(
        consent,
        patient_id=str(treated.pk),
        ref=r.relative_ref,
        today=consent.signed_on + dt.timedelta(days=366),
    )
    assert resource["status"] == "inactive"
    validate(resource)
