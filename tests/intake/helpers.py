"""Driving the patient's side of an intake with the test client."""

from __future__ import annotations

import re

from django.core import mail
from django.urls import reverse

from patients.intake.questionnaire import STEPS
from tests.patients.helpers import screening_data

LINK = re.compile(r"https?://[^/\s]+(/intake/p/[A-Za-z0-9_\-]+/)")


def answers(rows=None, **overrides) -> dict:
    """The questionnaire as the patient posts it (no date: the intake dates it)."""
    data = screening_data("2026-03-10", rows, **overrides)
    data.pop("taken_on")
    return data


def link_path_from_outbox(index: int = -1) -> str:
    message = mail.outbox[index]
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def send_link(staff_client, patient, channel="email") -> str:
    response = staff_client.post(reverse("intake:send", args=[patient.pk]), {"channel": channel})
    assert response.status_code == 302, response.content.decode()[:2000]
    return link_path_from_outbox() if channel == "email" else ""


def verify(client, path, date_of_birth):
    return client.post(path, {"date_of_birth": date_of_birth})


def fill_steps(client, data: dict) -> None:
    """Post every questionnaire step (each takes its own keys from the whole post)."""
    for step in STEPS[:-1]:
        response = client.post(reverse("intake:step", args=[step.number]), data)
        assert response.status_code == 302, (step.title, response.content.decode()[:3000])


def sign(client, *, name="Pat Ient", signer="patient", relationship="", version=1, **extra):
    data = {
        "text_version": str(version),
        "signer": signer,
        "signed_name": name,
        "guardian_relationship": relationship,
        "confirmed": "on",
        "send": "1",
        **extra,
    }
    return client.post(reverse("intake:step", args=[STEPS[-1].number]), data)


def submit_intake(staff_client, patient, client, data=None, **sign_kwargs):
    path = send_link(staff_client, patient)
    assert verify(client, path, patient.date_of_birth.isoformat()).status_code == 302
    fill_steps(client, data or answers())
    response = sign(client, **sign_kwargs)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == reverse("intake:done")
    return path


def pending_intake(patient):
    """A pending intake made through the services (no browser): a healthy adult's answers."""
    from patients import services as patient_services
    from patients.intake import services

    link, _ = services.link_issue(
        patient=patient,
        purpose="intake",
        channel="email",
        sent_to="patient@example.test",
        created_by=None,
    )
    as_lists = {key: [value] for key, value in answers().items()}
    return services.intake_submit(
        link=link,
        answers=as_lists,
        consent_text=patient_services.consent_text_current(),
        signer="patient",
        signed_name=patient.full_name,
        ip="192.0.2.1",
    )
