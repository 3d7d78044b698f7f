"""The settings refuse bad configuration at start-up and pass the deploy check."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE_ENV = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**BASE_ENV, "DJANGO_SETTINGS_MODULE": "clinic.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "clinic.example.org",
        "DATABASE_URL": "sqlite:////tmp/dn-clinic-deploy-check.sqlite3",
    }
    env.update(overrides)
    return env


def test_it_refuses_to_start_without_a_secret_key_outside_debug():
    env = production_env()
    del env["SECRET_KEY"]
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_pass_the_deploy_check_with_no_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("SESSION_IDLE_MINUTES", "half an hour", "SESSION_IDLE_MINUTES='half an hour' is not"),
        ("SESSION_IDLE_MINUTES", "0", "SESSION_IDLE_MINUTES=0 must be at least 1"),
        ("CLINIC_TIME_ZONE", "Mars/Olympus_Mons", "CLINIC_TIME_ZONE='Mars/Olympus_Mons' is not"),
        ("DATABASE_URL", "mysql://root@localhost/clinic", "DATABASE_URL must point at"),
        ("DATABASE_URL", "nonsense://", "DATABASE_URL is not a usable database URL"),
    ],
)
def test_bad_values_stop_start_up_with_a_clear_message(variable, value, message):
    result = run_manage("check", **production_env(**{variable: value}))
    assert result.returncode != 0
    assert message in result.stderr


def test_debug_without_a_secret_key_uses_a_generated_development_key(settings):
    # The running test settings have a key; a debug process without one still starts.
    env = production_env(DEBUG="1")
    del env["SECRET_KEY"]
    result = run_manage("check", **env)
    assert result.returncode == 0, result.stderr


def test_time_zone_sessions_and_throttling_defaults(settings):
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "America/Los_Angeles"
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False  # renewed once a minute instead
    assert settings.SESSION_RENEW_SECONDS == 60
    sessions = settings.MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware")
    assert (
        settings.MIDDLEWARE[sessions + 1]
        == "clinic.common.session_renewal.SessionRenewalMiddleware"
    )
    assert settings.AXES_FAILURE_LIMIT == 5
    assert "django.contrib.auth.middleware.LoginRequiredMiddleware" in settings.MIDDLEWARE


def celery_config(**env: str) -> list[str]:
    code = (
        "import django; django.setup();"
        "from clinic.celery import app;"
        "print(app.conf.task_always_eager, app.conf.broker_url)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**BASE_ENV, "DJANGO_SETTINGS_MODULE": "clinic.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_without_redis_celery_runs_tasks_in_process():
    assert celery_config(**production_env(DEBUG="1")) == ["True", "memory://"]


def test_with_redis_celery_uses_it_as_broker():
    env = production_env(DEBUG="1", REDIS_URL="redis://127.0.0.1:6399/3")
    assert celery_config(**env) == ["False", "redis://127.0.0.1:6399/3"]


@pytest.mark.django_db
def test_postgres_connections_compile_no_jit():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
