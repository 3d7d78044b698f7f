"""`python -m clinic.healthcheck`, the image's HEALTHCHECK, against a live server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from clinic.common.healthcheck import health_host

ROOT = Path(__file__).resolve().parents[2]


def run_check(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "clinic.common.healthcheck"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ("clinic.example.org,localhost", "clinic.example.org"),
        (" , *, .example.org", "example.org"),
        ("", "localhost"),
        ("*", "localhost"),
    ],
)
def test_it_asks_with_the_first_allowed_host(allowed, host):
    assert health_host(allowed) == host


@pytest.mark.django_db(transaction=True)
def test_it_passes_when_the_server_is_healthy(live_server, settings):
    settings.REDIS_URL = None
    port = str(urlsplit(live_server.url).port)
    result = run_check(PORT=port, ALLOWED_HOSTS="localhost")
    assert result.returncode == 0, result.stderr
    assert '"database": "ok"' in result.stdout


@pytest.mark.django_db(transaction=True)
def test_it_fails_when_health_is_not_200(live_server, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens: /health/ is 503
    port = str(urlsplit(live_server.url).port)
    result = run_check(PORT=port, ALLOWED_HOSTS="localhost")
    assert result.returncode == 1
    assert "/health/ 503" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_it_fails_when_the_host_is_not_allowed(live_server, settings):
    settings.REDIS_URL = None
    port = str(urlsplit(live_server.url).port)
    result = run_check(PORT=port, ALLOWED_HOSTS="clinic.example.org")
    assert result.returncode == 1
    assert "/health/ 400" in result.stderr


def test_it_fails_when_nothing_listens():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the check runs
    result = run_check(PORT=str(port))
    assert result.returncode == 1
    assert "no answer from 127.0.0.1" in result.stderr
