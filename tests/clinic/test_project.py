"""Project-level checks: migrations, docker-compose, the demo seed."""

from __future__ import annotations

import importlib
import io
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from clinic.demo import DEMO_PASSWORD, LOCATIONS, STAFF
from clinic.models import DNCertification, Location, Room, User
from clinic.roles import ROLE_PERMISSIONS, Role, sync_roles

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_there_are_no_pending_migrations():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_docker_compose_parses_and_names_real_modules():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "web", "worker", "beat"}
    for name in ("web", "worker", "beat"):
        command = services[name]["command"]
        words = shlex.split(command.replace("&&", " "))
        if "gunicorn" in words:
            module, _, attr = words[words.index("gunicorn") + 1].partition(":")
            assert hasattr(importlib.import_module(module), attr), name
        if "celery" in words:
            target = words[words.index("-A") + 1]
            assert importlib.import_module(target).celery_app.main == "clinic", name
        if "manage.py" in words:
            assert (ROOT / "manage.py").exists()
    assert (ROOT / "Dockerfile").exists()


@pytest.mark.django_db
def test_every_role_permission_exists():
    sync_roles(strict=True)


def test_the_permission_matrix_is_written_down():
    text = (ROOT / "docs" / "permissions.md").read_text()
    for role, perms in ROLE_PERMISSIONS.items():
        section = text.split(f"## {role.label}\n", 1)[1].split("\n## ", 1)[0]
        listed = {line.strip("- `").split("`")[0] for line in section.splitlines() if "`" in line}
        assert listed == set(perms), role


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_the_logins():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    counts = (Location.objects.count(), Room.objects.count(), User.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Location.objects.count(), Room.objects.count(), User.objects.count()) == counts
    assert counts[0] == len(LOCATIONS) == 5
    assert DEMO_PASSWORD in out.getvalue()
    for spec in STAFF:
        user = User.objects.get(username=spec.username)
        assert user.role is spec.role
        assert user.check_password(DEMO_PASSWORD)
    therapists = [s for s in STAFF if s.role is Role.THERAPIST]
    assert sum(1 for s in therapists if s.certified) >= 3
    uncertified = User.objects.get(username="uncertified")
    from django.utils import timezone

    today = timezone.localdate()
    assert not DNCertification.objects.filter(user=uncertified, valid_until__gte=today).exists()


def test_private_files_have_no_public_url():
    from django.core.files.storage import default_storage

    with pytest.raises(NotImplementedError):
        default_storage.url("plans/some.pdf")
