"""The intake link: sending, opening with the date of birth, the questionnaire and consent
step by step, and a pending intake that changes nothing until staff review it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from patients.intake import sms
from patients.intake.models import Intake, PatientLink
from patients.intake.questionnaire import STEPS
from patients.intake.tokens import token_hash
from patients.models import Consent, ScreeningQuestionnaire
from tests.factories import PatientFactory
from tests.intake.helpers import answers, fill_steps, send_link, sign, submit_intake, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return PatientFactory(
        first_name="Rosa",
        last_name="Delgado",
        email="rosa@example.test",
        date_of_birth=dt.date(1980, 5, 17),
    )


def test_the_front_desk_emails_a_link_whose_token_is_stored_only_as_a_hash(
    front_desk_client, patient
):
    path = send_link(front_desk_client, patient)
    token = path.rstrip("/").rsplit("/", 1)[1]
    link = PatientLink.objects.get()
    assert mail.outbox[0].to == ["rosa@example.test"]
    assert link.token_hash == token_hash(token) and token not in link.token_hash
    assert link.purpose == "intake" and link.patient == patient
    assert link.expires_at - link.created_at == dt.timedelta(hours=72)
    assert len(token) >= 43


def test_a_text_message_goes_through_the_sms_backend(front_desk_client, patient):
    send_link(front_desk_client, patient, channel="sms")
    assert len(sms.outbox) == 1 and sms.outbox[0].to == patient.phone
    assert "/intake/p/" in sms.outbox[0].body and not mail.outbox


def test_a_patient_without_an_email_gets_a_field_message_and_no_link(front_desk_client):
    patient = PatientFactory(email="")
    response = front_desk_client.post(
        reverse("intake:send", args=[patient.pk]), {"channel": "email"}
    )
    assert response.status_code == 400
    assert "no email address" in response.content.decode()
    assert not PatientLink.objects.exists() and not mail.outbox


def test_a_new_link_revokes_the_one_still_open(front_desk_client, patient):
    first = send_link(front_desk_client, patient)
    send_link(front_desk_client, patient)
    assert Client().get(first).status_code == 404
    assert PatientLink.objects.filter(revoked_at__isnull=False).count() == 1


def test_the_patient_walks_the_steps_and_leaves_a_pending_intake(front_desk_client, patient):
    client = Client(REMOTE_ADDR="203.0.113.7")
    path = send_link(front_desk_client, patient)
    page = client.get(path)
    assert page.status_code == 200
    assert "Rosa" not in page.content.decode()  # nothing about the patient before the check
    response = verify(client, path, "1980-05-17")
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:step", args=[1])
    fill_steps(client, answers(metal_allergy="yes"))
    consent_page = client.get(reverse("intake:step", args=[STEPS[-1].number]))
    assert "Informed consent" in consent_page.content.decode() or "consent" in (
        consent_page.content.decode().lower()
    )
    response = sign(client, name="Rosa Delgado")
    assert response.status_code == 302

    intake = Intake.objects.get()
    assert intake.status == "pending" and intake.source == "patient"
    assert intake.submitted_ip == "203.0.113.7"
    assert intake.signed_name == "Rosa Delgado" and intake.signer == "patient"
    assert intake.answers["metal_allergy"] == ["yes"]
    # Nothing on the record until a member of staff reviews it.
    assert not ScreeningQuestionnaire.objects.exists() and not Consent.objects.exists()
    link = PatientLink.objects.get()
    assert link.used_at is not None and link.draft == {}


def test_progress_is_kept_per_section_when_the_connection_drops(front_desk_client, patient):
    path = send_link(front_desk_client, patient)
    first = Client()
    verify(first, path, "1980-05-17")
    first.post(reverse("intake:step", args=[1]), answers(needle_phobia="yes"))
    # A new browser (the old session is gone): open the link again, the answer is still there.
    second = Client()
    response = verify(second, path, "1980-05-17")
    assert response["Location"] == reverse("intake:step", args=[2])
    page = second.get(reverse("intake:step", args=[1])).content.decode()
    assert 'name="needle_phobia" id="id_needle_phobia_0" value="yes" checked' in page
    assert PatientLink.objects.get().draft["answers"]["needle_phobia"] == ["yes"]


def test_bad_answers_get_field_messages_and_are_kept(front_desk_client, patient):
    path = send_link(front_desk_client, patient)
    client = Client()
    verify(client, path, "1980-05-17")
    pregnancy = next(s for s in STEPS if "pregnant" in s.names)
    response = client.post(reverse("intake:step", args=[pregnancy.number]), answers(pregnant="yes"))
    assert response.status_code == 400
    assert "Enter the estimated due date." in response.content.decode()
    assert PatientLink.objects.get().draft["answers"]["pregnant"] == ["yes"]
    # An unanswered question on a step is a field message too.
    data = answers()
    data.pop("needle_phobia")
    response = client.post(reverse("intake:step", args=[1]), data)
    assert response.status_code == 400 and "Answer yes or no." in response.content.decode()


def test_a_yes_to_a_finding_list_needs_a_row(front_desk_client, patient):
    path = send_link(front_desk_client, patient)
    client = Client()
    verify(client, path, "1980-05-17")
    findings = next(s for s in STEPS if s.kind == "findings")
    response = client.post(
        reverse("intake:step", args=[findings.number]), answers(has_infections="yes")
    )
    assert response.status_code == 400
    assert "add the infection or wound below" in response.content.decode()


def test_the_consent_needs_a_typed_name_and_the_tick(front_desk_client, patient):
    path = send_link(front_desk_client, patient)
    client = Client()
    verify(client, path, "1980-05-17")
    fill_steps(client, answers())
    response = sign(client, name="   ", confirmed="")
    body = response.content.decode()
    assert response.status_code == 400
    assert "Type your full name" in body and "Tick the box" in body
    assert not Intake.objects.exists()


def test_a_minor_is_signed_for_by_a_guardian_who_says_how_they_are_related(front_desk_client):
    child = PatientFactory(email="family@example.test", date_of_birth=dt.date(2014, 1, 2))
    path = send_link(front_desk_client, child)
    client = Client()
    verify(client, path, "2014-01-02")
    fill_steps(client, answers())
    response = sign(client, name="Ana Child", signer="patient")
    assert response.status_code == 400
    assert "parent or legal guardian" in response.content.decode()
    response = sign(client, name="Marta Child", signer="guardian", relationship="")
    assert response.status_code == 400
    assert "Say how you are related" in response.content.decode()
    response = sign(client, name="Marta Child", signer="guardian", relationship="mother")
    assert response.status_code == 302
    intake = Intake.objects.get()
    assert (intake.signer, intake.signed_name, intake.guardian_relationship) == (
        "guardian",
        "Marta Child",
        "mother",
    )


def test_a_missing_answer_found_at_signing_sends_the_patient_back_to_its_step(
    front_desk_client, patient
):
    path = send_link(front_desk_client, patient)
    client = Client()
    verify(client, path, "1980-05-17")
    # Skip the first steps (e.g. a typed URL): the consent step sends them back.
    response = sign(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:step", args=[1])
    assert not Intake.objects.exists()


def test_a_submitted_link_cannot_be_used_again(front_desk_client, patient):
    client = Client()
    path = submit_intake(front_desk_client, patient, client)
    assert Client().get(path).status_code == 404
    # The session that sent it has no step to go back to either.
    assert client.get(reverse("intake:step", args=[1])).status_code == 404
    assert Intake.objects.count() == 1
