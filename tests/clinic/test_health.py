from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse


@pytest.mark.django_db
def test_health_reports_the_database_and_redis(client, settings):
    settings.REDIS_URL = None
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "not configured"}


@pytest.mark.django_db
def test_health_is_503_when_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["redis"].startswith("down")
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_health_is_503_when_the_database_is_down(client, settings):
    settings.REDIS_URL = None
    with mock.patch("django.db.connection.cursor", side_effect=OperationalError("gone")):
        response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["database"] == "down: OperationalError"


@pytest.mark.django_db
def test_health_reports_a_live_redis(client, settings):
    import os

    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL not set (CI sets it)")
    settings.REDIS_URL = url
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json()["redis"] == "ok"
