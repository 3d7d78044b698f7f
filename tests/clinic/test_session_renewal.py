"""Idle expiry renewed at most once a minute (clinic/common/session_renewal.py)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import PASSWORD

START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
IDLE = dt.timedelta(minutes=30)


@pytest.fixture(autouse=True)
def _reset_axes(db):
    from axes.utils import reset

    reset()
    yield
    reset()


def session_writes(client, when: dt.datetime) -> int:
    """GET home at `when`; the number of statements that wrote the session table."""
    with time_machine.travel(when, tick=False), CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return sum(
        1
        for q in queries.captured_queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    )


def stored_expiry(client) -> dt.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def logged_in(client, when: dt.datetime) -> None:
    with time_machine.travel(when, tick=False):
        response = client.post(reverse("login"), {"username": "thera", "password": PASSWORD})
    assert response.status_code == 302


def test_requests_within_a_minute_of_the_last_renewal_write_nothing(client, therapist):
    logged_in(client, START)  # the log-in's own save is the first renewal
    assert stored_expiry(client) == START + IDLE
    for seconds in (1, 20, 59):
        assert session_writes(client, START + dt.timedelta(seconds=seconds)) == 0
    assert stored_expiry(client) == START + IDLE


def test_the_first_request_a_minute_after_the_renewal_renews_it_once(client, therapist):
    logged_in(client, START)
    minute = START + dt.timedelta(seconds=60)
    assert session_writes(client, minute) == 1
    assert stored_expiry(client) == minute + IDLE
    assert session_writes(client, minute + dt.timedelta(seconds=30)) == 0
    assert session_writes(client, minute + dt.timedelta(seconds=61)) == 1
    assert stored_expiry(client) == minute + dt.timedelta(seconds=61) + IDLE


def test_a_session_from_before_the_middleware_is_renewed_on_its_next_request(client, therapist):
    with time_machine.travel(START, tick=False):
        client.force_login(therapist)  # no renewal stamp in the session
    assert session_writes(client, START + dt.timedelta(seconds=5)) == 1


@pytest.mark.parametrize(
    ("idle_after_last_request", "status"),
    [
        # Last request 50 s after the renewal: the expiry is the renewal + 30 minutes,
        # 29 min 10 s after the last request -- within a minute of exact, never later.
        (dt.timedelta(minutes=29, seconds=9), 200),
        (dt.timedelta(minutes=29, seconds=10), 302),
        (dt.timedelta(minutes=30), 302),
    ],
)
def test_the_idle_timeout_is_exact_to_the_minute(
    client, therapist, idle_after_last_request, status
):
    logged_in(client, START)
    renewal = START + dt.timedelta(minutes=5)
    assert session_writes(client, renewal) == 1
    last_request = renewal + dt.timedelta(seconds=50)
    assert session_writes(client, last_request) == 0
    with time_machine.travel(last_request + idle_after_last_request, tick=False):
        response = client.get(reverse("home"))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))


def test_anonymous_requests_and_stale_cookies_create_no_session(client, db):
    client.cookies["sessionid"] = "no-such-session-key-0123456789abcdef"
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("login")).status_code == 200
    assert not [q for q in queries.captured_queries if "INSERT" in q["sql"].upper()]
    assert Session.objects.count() == 0


def test_logging_out_leaves_no_session_behind(client, therapist):
    logged_in(client, START)
    with time_machine.travel(START + dt.timedelta(seconds=10), tick=False):
        assert client.post(reverse("logout")).status_code == 302
    assert Session.objects.count() == 0
