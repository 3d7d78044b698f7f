"""Text messages: a small backend interface, chosen by the SMS_BACKEND setting.

- ConsoleSmsBackend (the default) writes the message to the log, like Django's console mail
  backend; nothing leaves the machine.
- LocmemSmsBackend keeps messages in ``sms.outbox`` (tests).
- TwilioSmsBackend posts to Twilio's REST API (Messages resource) with the standard library;
  it needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

outbox: list[SmsMessage] = []


class SmsError(Exception):
    """The provider refused or could not be reached; the message was not sent."""


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class BaseSmsBackend:
    def send(self, message: SmsMessage) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    def send(self, message: SmsMessage) -> None:
        logger.info("SMS to %s: %s", message.to, message.body)


class LocmemSmsBackend(BaseSmsBackend):
    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


class TwilioSmsBackend(BaseSmsBackend):
    API = "https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json"
    TIMEOUT = 10

    def __init__(self, opener=None):
        self.sid = getattr(settings, "TWILIO_ACCOUNT_SID", "")
        self.token = getattr(settings, "TWILIO_AUTH_TOKEN", "")
        self.sender = getattr(settings, "TWILIO_FROM_NUMBER", "")
        if not (self.sid and self.token and self.sender):
            raise ImproperlyConfigured(
                "TwilioSmsBackend needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                "TWILIO_FROM_NUMBER."
            )
        self.opener = opener or urllib.request.urlopen

    def request(self, message: SmsMessage) -> urllib.request.Request:
        data = urllib.parse.urlencode(
            {"To": message.to, "From": self.sender, "Body": message.body}
        ).encode()
        credentials = base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        return urllib.request.Request(  # noqa: S310 (a fixed https URL)
            self.API.format(sid=urllib.parse.quote(self.sid, safe="")),
            data=data,
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )

    def send(self, message: SmsMessage) -> None:
        try:
            with self.opener(self.request(message), timeout=self.TIMEOUT) as response:
                payload = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise SmsError(f"Twilio answered {error.code}") from None
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise SmsError(f"Twilio could not be reached: {error}") from None
        if payload.get("status") in {"failed", "undelivered"}:
            raise SmsError(f"Twilio did not accept the message: {payload.get('status')}")


def sms_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()


def sms_send(*, to: str, body: str) -> None:
    sms_backend().send(SmsMessage(to=to, body=body))
