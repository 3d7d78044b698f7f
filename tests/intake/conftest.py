"""Intake tests: a fixed day, a local-memory cache (the throttle counts there) and the
local-memory SMS backend."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from patients.intake import sms

TODAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 20, tzinfo=dt.UTC)  # midday in the clinic's zone


@pytest.fixture(autouse=True)
def fixed_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def local_cache_and_sms(settings):
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.SMS_BACKEND = "patients.intake.sms.LocmemSmsBackend"
    cache.clear()
    sms.outbox.clear()
    yield
    cache.clear()
    sms.outbox.clear()
