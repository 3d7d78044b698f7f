"""Logging in, throttling and idle expiry."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def _reset_axes(db):
    from axes.utils import reset

    reset()
    yield
    reset()


def test_a_user_logs_in_with_the_form_and_lands_on_home(client, therapist):
    response = client.post(reverse("login"), {"username": "thera", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_login_is_throttled_after_five_failures(client, therapist):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "thera", "password": "wrong"})
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    # Even the right password is refused while locked.
    response = client.post(reverse("login"), {"username": "thera", "password": PASSWORD})
    assert response.status_code == 429


def test_four_failures_do_not_lock_the_account(client, therapist):
    for _ in range(4):
        client.post(reverse("login"), {"username": "thera", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "thera", "password": PASSWORD})
    assert response.status_code == 302


def test_the_session_expires_after_30_idle_minutes_and_activity_renews_it(client, therapist):
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        client.force_login(therapist)
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert client.get(reverse("home")).status_code == 200  # renews the session
    with time_machine.travel(start + dt.timedelta(minutes=58), tick=False):
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=89), tick=False):
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_logout_needs_a_post(therapist_client):
    assert therapist_client.get(reverse("logout")).status_code == 405
    response = therapist_client.post(reverse("logout"))
    assert response.status_code == 302
    assert therapist_client.get(reverse("home")).status_code == 302


def test_a_user_changes_their_password(client, therapist):
    client.force_login(therapist)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase",
            "new_password2": "another-long-passphrase",
        },
    )
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.check_password("another-long-passphrase")
