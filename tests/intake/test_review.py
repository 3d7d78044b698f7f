"""Staff review of an intake: the answers beside the last screening, accept (the screening
and consent are recorded, taken by the reviewer) or return with a note; the audit trail
shows both steps; a plan then screens on the patient's answers."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.test import Client
from django.urls import reverse

from needling.knowledge.models import Muscle
from needling.plans import services as plan_services
from needling.plans.screening import screen_plan
from patients.intake.models import Intake, PatientLink
from patients.models import Consent, ScreeningQuestionnaire
from tests.factories import ConditionFactory, PatientFactory, ScreeningFactory
from tests.intake.conftest import TODAY
from tests.intake.helpers import answers, link_path_from_outbox, submit_intake, verify

pytestmark = pytest.mark.django_db

INFECTED_LEFT_SHOULDER = {"infections": [{"region": "shoulder", "side": "left"}]}


@pytest.fixture
def patient():
    return PatientFactory(
        first_name="Omar",
        last_name="Haddad",
        email="omar@example.test",
        date_of_birth=dt.date(1990, 2, 3),
    )


def _submitted(front_desk_client, patient, **answer_overrides):
    data = answers(INFECTED_LEFT_SHOULDER, metal_allergy="yes", **answer_overrides)
    submit_intake(
        front_desk_client,
        patient,
        Client(REMOTE_ADDR="203.0.113.20"),
        data=data,
        name="Omar Haddad",
    )
    return Intake.objects.get(patient=patient, status="pending")


def test_the_review_marks_the_answers_that_changed_since_the_last_screening(
    front_desk_client, patient
):
    ScreeningFactory(patient=patient, taken_on=dt.date(2026, 1, 5), needle_phobia=False)
    intake = _submitted(front_desk_client, patient)
    page = front_desk_client.get(reverse("intake:review", args=[intake.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "the screening of 2026-01-05" in body
    changed = [line for line in body.splitlines() if 'data-changed="true"' in line]
    text = "\n".join(body.split('data-changed="true"')[1:])
    assert "nickel or chromium" in text.lower()
    assert "Infections, wounds, inflamed skin" in text
    # needle phobia was no and is still no: not marked.
    assert len(changed) == 2
    assert "Reported by the patient" in body and "203.0.113.20" in body


def test_the_pending_list_reads_in_one_query(front_desk_client, patient, django_assert_num_queries):
    _submitted(front_desk_client, patient)
    other = PatientFactory(email="x@example.test", date_of_birth=dt.date(1990, 2, 3))
    _submitted(front_desk_client, other)
    # session, user, the user's and the groups' permissions, the user's groups (the nav's
    # role), the page's count, the intakes with their patients (one join): 7 whatever the
    # number of intakes (the client's earlier requests renewed the session this minute).
    with django_assert_num_queries(7):
        response = front_desk_client.get(reverse("intake:list"))
    third = PatientFactory(email="y@example.test", date_of_birth=dt.date(1990, 2, 3))
    _submitted(front_desk_client, third)
    with django_assert_num_queries(7):
        response = front_desk_client.get(reverse("intake:list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert str(patient) in body and str(other) in body


def test_accepting_records_the_screening_and_consent_taken_by_the_reviewer(
    front_desk_client, front_desk, therapist, patient
):
    intake = _submitted(front_desk_client, patient)
    response = front_desk_client.post(reverse("intake:accept", args=[intake.pk]))
    assert response.status_code == 302 and response["Location"] == patient.get_absolute_url()
    intake.refresh_from_db()
    questionnaire = ScreeningQuestionnaire.objects.get(patient=patient)
    consent = Consent.objects.get(patient=patient)
    assert intake.status == "accepted" and intake.source == "patient"
    assert intake.questionnaire == questionnaire and intake.consent == consent
    assert intake.reviewed_by == front_desk
    assert questionnaire.taken_by == front_desk and questionnaire.taken_on == TODAY
    assert questionnaire.metal_allergy is True and questionnaire.needle_phobia is False
    assert [(i.region, i.side) for i in questionnaire.infections.all()] == [("shoulder", "left")]
    assert consent.witness == front_desk and consent.signed_name == "Omar Haddad"
    assert consent.signer == "patient" and consent.signed_on == TODAY

    # The audit trail: the patient's submission (no staff actor, their address), then the
    # reviewer's acceptance.
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Intake), object_pk=str(intake.pk)
    ).order_by("timestamp", "pk")
    assert [(e.action, e.actor) for e in entries] == [
        (LogEntry.Action.CREATE, None),
        (LogEntry.Action.UPDATE, front_desk),
    ]
    assert entries[0].remote_addr == "203.0.113.20"
    assert entries[1].changes_dict["status"] == ["pending", "accepted"]
    assert LogEntry.objects.get_for_object(questionnaire).get().actor == front_desk

    # A DN plan for the patient now screens on what the patient reported.
    plan = plan_services.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient),
        planned_date=TODAY,
    )
    plan_services.plan_site_add(
        plan=plan, user=therapist, muscle=Muscle.objects.get(code="deltoid"), side="left"
    )
    screening = screen_plan(plan)
    assert screening.screening_id == questionnaire.pk
    rules = {f.rule for f in screening.result.findings}
    assert {"local_infection", "metal_allergy"} <= rules
    assert not rules & {"consent_missing", "screening_stale"}
    assert screening.result.decision == "blocked"


def test_an_intake_is_accepted_once(front_desk_client, therapist_client, patient):
    intake = _submitted(front_desk_client, patient)
    assert front_desk_client.post(reverse("intake:accept", args=[intake.pk])).status_code == 302
    response = therapist_client.post(reverse("intake:accept", args=[intake.pk]), follow=True)
    assert "already reviewed" in response.content.decode()
    assert ScreeningQuestionnaire.objects.count() == 1 and Consent.objects.count() == 1


def test_returning_sends_a_new_link_with_the_note_and_the_answers_filled_in(
    therapist_client, front_desk_client, therapist, patient
):
    intake = _submitted(front_desk_client, patient)
    response = therapist_client.post(reverse("intake:return", args=[intake.pk]), {"note": ""})
    assert response.status_code == 400 and "Say what the patient" in response.content.decode()
    sent = len(mail.outbox)
    response = therapist_client.post(
        reverse("intake:return", args=[intake.pk]),
        {"note": "Which shoulder is infected? Please check."},
    )
    assert response.status_code == 302
    intake.refresh_from_db()
    assert intake.status == "returned" and intake.reviewed_by == therapist
    assert intake.review_note == "Which shoulder is infected? Please check."
    assert not ScreeningQuestionnaire.objects.exists() and not Consent.objects.exists()
    assert len(mail.outbox) == sent + 1
    assert "Which shoulder is infected?" in mail.outbox[-1].body
    client = Client()
    verify(client, link_path_from_outbox(), "1990-02-03")
    page = client.get(reverse("intake:step", args=[1])).content.decode()
    assert "Which shoulder is infected?" in page
    assert 'name="willing_to_proceed" id="id_willing_to_proceed_0" value="yes" checked' in page
    entries = LogEntry.objects.get_for_object(intake).order_by("timestamp", "pk")
    assert [e.actor for e in entries] == [None, therapist]
    assert PatientLink.objects.filter(patient=patient, used_at__isnull=True).count() == 1


def test_the_manager_reads_but_cannot_review(manager_client, front_desk_client, patient):
    intake = _submitted(front_desk_client, patient)
    page = manager_client.get(reverse("intake:review", args=[intake.pk]))
    assert page.status_code == 200 and "Accept intake" not in page.content.decode()
    assert manager_client.post(reverse("intake:accept", args=[intake.pk])).status_code == 404
    intake.refresh_from_db()
    assert intake.status == "pending"


def test_an_unknown_intake_or_link_is_404(front_desk_client):
    import uuid

    assert front_desk_client.get(reverse("intake:review", args=[uuid.uuid4()])).status_code == 404
    assert front_desk_client.post(reverse("intake:accept", args=[uuid.uuid4()])).status_code == 404
    assert front_desk_client.post(reverse("intake:revoke", args=[999999])).status_code == 404
    assert front_desk_client.get(reverse("intake:send", args=[uuid.uuid4()])).status_code == 404
