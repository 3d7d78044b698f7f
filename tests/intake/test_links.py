"""A link that cannot be used (never issued, used, expired, revoked, locked) gets one page
that says nothing about the patient; openings are throttled per address and per token."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from patients.intake.models import PatientLink
from tests.factories import PatientFactory
from tests.intake.helpers import send_link, submit_intake, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return PatientFactory(
        first_name="Ingrid",
        last_name="Solberg",
        email="ingrid@example.test",
        date_of_birth=dt.date(1975, 9, 30),
    )


def _unavailable(response):
    assert response.status_code == 404
    body = response.content.decode()
    assert "This link cannot be used" in body
    return body


def _no_patient_in(body: str, patient) -> None:
    for secret in (patient.first_name, patient.last_name, "1975-09-30", patient.email):
        assert secret not in body


def test_a_forged_used_expired_revoked_or_locked_link_gets_the_same_page(
    front_desk_client, patient, fixed_now
):
    pages = {}
    pages["forged"] = _unavailable(Client().get("/intake/p/not-a-real-token-0123456789abcdef/"))
    pages["too long"] = _unavailable(Client().get("/intake/p/" + "A" * 300 + "/"))

    used = submit_intake(front_desk_client, patient, Client(), name="Ingrid Solberg")
    pages["used"] = _unavailable(Client().get(used))

    revoked = send_link(front_desk_client, patient)
    link = PatientLink.objects.filter(used_at__isnull=True).get()
    response = front_desk_client.post(reverse("intake:revoke", args=[link.pk]))
    assert response.status_code == 302
    pages["revoked"] = _unavailable(Client().get(revoked))

    locked = send_link(front_desk_client, patient)
    client = Client()
    for _ in range(5):
        verify(client, locked, "2000-01-01")
    pages["locked"] = _unavailable(Client().get(locked))

    expired = send_link(front_desk_client, patient)
    fixed_now.shift(dt.timedelta(hours=72, seconds=1))
    pages["expired"] = _unavailable(Client().get(expired))
    pages["expired, posting the right date"] = _unavailable(verify(Client(), expired, "1975-09-30"))

    # The pages differ only in the CSRF token every page carries.
    csrf_free = {name: re.sub(r'"X-CSRFToken": "[^"]*"', "", body) for name, body in pages.items()}
    assert len(set(csrf_free.values())) == 1, "every unusable link looks the same"
    for body in pages.values():
        _no_patient_in(body, patient)


def test_a_link_is_still_open_just_before_72_hours(front_desk_client, patient, fixed_now):
    path = send_link(front_desk_client, patient)
    fixed_now.shift(dt.timedelta(hours=71, minutes=59))
    assert Client().get(path).status_code == 200


def test_an_expired_link_ends_a_session_that_was_already_verified(
    front_desk_client, patient, fixed_now, settings
):
    settings.SESSION_COOKIE_AGE = 5 * 24 * 3600  # the session outlives the link here
    path = send_link(front_desk_client, patient)
    client = Client()
    verify(client, path, "1975-09-30")
    assert client.get(reverse("intake:step", args=[1])).status_code == 200
    fixed_now.shift(dt.timedelta(hours=73))
    _unavailable(client.get(reverse("intake:step", args=[1])))


def test_revoking_ends_a_session_that_was_already_verified(front_desk_client, patient):
    path = send_link(front_desk_client, patient)
    client = Client()
    verify(client, path, "1975-09-30")
    link = PatientLink.objects.get()
    front_desk_client.post(reverse("intake:revoke", args=[link.pk]))
    _unavailable(client.post(reverse("intake:step", args=[1]), {"needle_phobia": "no"}))
    link.refresh_from_db()
    assert link.revoked_at is not None and link.draft == {}


def test_revoking_a_used_link_changes_nothing(front_desk_client, patient):
    submit_intake(front_desk_client, patient, Client())
    link = PatientLink.objects.get()
    response = front_desk_client.post(reverse("intake:revoke", args=[link.pk]), follow=True)
    assert "already used" in response.content.decode()
    link.refresh_from_db()
    assert link.revoked_at is None and link.used_at is not None


def test_five_wrong_dates_of_birth_lock_the_link_for_good(front_desk_client, patient):
    path = send_link(front_desk_client, patient)
    client = Client()
    for left in (4, 3, 2, 1):
        response = verify(client, path, "1975-09-29")
        assert response.status_code == 400
        assert f"{left} {'try' if left == 1 else 'tries'} left" in response.content.decode()
    _unavailable(verify(client, path, "1975-09-29"))
    link = PatientLink.objects.get()
    assert link.failed_attempts == 5 and link.locked_at is not None
    # The right date no longer opens it, from any browser.
    _unavailable(verify(Client(), path, "1975-09-30"))


def test_a_malformed_date_is_a_field_message_and_no_attempt(front_desk_client, patient):
    path = send_link(front_desk_client, patient)
    response = verify(Client(), path, "30/09/75 or so")
    assert response.status_code == 400
    assert "Enter a date" in response.content.decode()
    assert PatientLink.objects.get().failed_attempts == 0


def test_the_steps_need_a_verified_session(front_desk_client, patient):
    send_link(front_desk_client, patient)
    # No session (never verified, or it timed out): open the link again; saved answers stay.
    response = Client().get(reverse("intake:step", args=[1]))
    assert response.status_code == 404
    assert "Please open your link again" in response.content.decode()
    client = Client()
    session = client.session
    session["intake_link_id"] = "1"  # a tampered value is no link
    session.save()
    _unavailable(client.get(reverse("intake:step", args=[1])))


def test_an_unknown_step_is_the_unavailable_page(front_desk_client, patient):
    path = send_link(front_desk_client, patient)
    client = Client()
    verify(client, path, "1975-09-30")
    _unavailable(client.get(reverse("intake:step", args=[99])))


def test_opening_is_throttled_per_token(front_desk_client, patient, settings):
    settings.INTAKE_THROTTLE_PER_TOKEN = 3
    path = send_link(front_desk_client, patient)
    for n in range(3):
        assert Client(REMOTE_ADDR=f"198.51.100.{n}").get(path).status_code == 200
    response = Client(REMOTE_ADDR="198.51.100.9").get(path)
    assert response.status_code == 429 and response["Retry-After"]


def test_opening_is_throttled_per_address_across_tokens(settings):
    settings.INTAKE_THROTTLE_PER_IP = 4
    client = Client(REMOTE_ADDR="192.0.2.50")
    statuses = [client.get(f"/intake/p/guess-{n:04d}/").status_code for n in range(6)]
    assert statuses == [404, 404, 404, 404, 429, 429]
    # Another address is not held back.
    assert Client(REMOTE_ADDR="192.0.2.51").get("/intake/p/guess-9999/").status_code == 404


def test_public_pages_keep_the_referrer_on_site_and_are_not_cached(front_desk_client, patient):
    path = send_link(front_desk_client, patient)
    response = Client().get(path)
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
