"""The SMS backends: console by default, Twilio's REST API behind the setting (never called
here: a fake opener stands in for the network)."""

from __future__ import annotations

import base64
import io
import json
import logging
import urllib.error
import urllib.parse

import pytest
from django.core.exceptions import ImproperlyConfigured

from patients.intake import sms


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def twilio(settings):
    settings.TWILIO_ACCOUNT_SID = "AC0123456789abcdef"
    settings.TWILIO_AUTH_TOKEN = "secret-token"  # noqa: S105
    settings.TWILIO_FROM_NUMBER = "+14155550100"


def test_the_default_backend_writes_to_the_log_and_sends_nothing(settings, caplog):
    settings.SMS_BACKEND = "patients.intake.sms.ConsoleSmsBackend"
    with caplog.at_level(logging.INFO, logger="patients.intake.sms"):
        sms.sms_send(to="+14155550123", body="Hello")
    assert "SMS to +14155550123: Hello" in caplog.text
    assert sms.outbox == []


def test_twilio_posts_the_message_with_basic_auth(twilio):
    sent = []

    def opener(request, timeout):
        sent.append((request, timeout))
        return FakeResponse(json.dumps({"sid": "SM1", "status": "queued"}).encode())

    sms.TwilioSmsBackend(opener=opener).send(sms.SmsMessage(to="+14155550123", body="Hi there"))
    ((request, timeout),) = sent
    assert request.get_method() == "POST" and timeout == 10
    assert request.full_url == (
        "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef/Messages.json"
    )
    assert urllib.parse.parse_qs(request.data.decode()) == {
        "To": ["+14155550123"],
        "From": ["+14155550100"],
        "Body": ["Hi there"],
    }
    expected = base64.b64encode(b"AC0123456789abcdef:secret-token").decode()
    assert request.get_header("Authorization") == f"Basic {expected}"


@pytest.mark.parametrize(
    "failure",
    [
        urllib.error.HTTPError("https://api.twilio.com", 401, "Unauthorized", {}, None),
        urllib.error.URLError("no route to host"),
        TimeoutError("timed out"),
    ],
)
def test_twilio_failures_become_sms_errors(twilio, failure):
    def opener(request, timeout):
        raise failure

    with pytest.raises(sms.SmsError):
        sms.TwilioSmsBackend(opener=opener).send(sms.SmsMessage(to="+1", body="x"))


def test_a_refused_message_is_an_sms_error(twilio):
    def opener(request, timeout):
        return FakeResponse(json.dumps({"status": "failed"}).encode())

    with pytest.raises(sms.SmsError, match="failed"):
        sms.TwilioSmsBackend(opener=opener).send(sms.SmsMessage(to="+1", body="x"))


def test_twilio_without_credentials_refuses_to_start(settings):
    settings.TWILIO_ACCOUNT_SID = ""
    with pytest.raises(ImproperlyConfigured):
        sms.TwilioSmsBackend()


@pytest.mark.django_db
def test_a_failed_text_message_keeps_no_link(front_desk_client, settings):
    from django.urls import reverse

    from patients.intake.models import PatientLink
    from tests.factories import PatientFactory

    settings.SMS_BACKEND = "tests.intake.test_sms.BrokenBackend"
    patient = PatientFactory()
    response = front_desk_client.post(reverse("intake:send", args=[patient.pk]), {"channel": "sms"})
    assert response.status_code == 400
    assert "could not be sent" in response.content.decode()
    assert not PatientLink.objects.exists()


class BrokenBackend(sms.BaseSmsBackend):
    def send(self, message):
        raise sms.SmsError("provider down")
