"""Project-level checks: migrations, docker-compose, the demo seed."""

from __future__ import annotations

import importlib
import io
import json
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from clinic.staff.demo import DEMO_PASSWORD, LOCATIONS, STAFF
from clinic.staff.models import DNCertification, Location, Room, User
from clinic.staff.roles import ROLE_PERMISSIONS, Role, sync_roles

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_there_are_no_pending_migrations():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def assert_names_real_modules(words: list[str], where: str) -> None:
    """A gunicorn, celery, `python -m` or manage.py command line names things that exist."""
    if "gunicorn" in words:
        module, _, attr = words[words.index("gunicorn") + 1].partition(":")
        assert hasattr(importlib.import_module(module), attr), where
    if "celery" in words:
        target = words[words.index("-A") + 1]
        assert importlib.import_module(target).celery_app.main == "clinic", where
    if "python" in words and "-m" in words:
        module = importlib.import_module(words[words.index("-m") + 1])
        assert callable(getattr(module, "main", None)), where
    if "manage.py" in words:
        assert (ROOT / "manage.py").exists(), where


def test_docker_compose_parses_and_names_real_modules():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "web", "worker", "beat"}
    for name in ("web", "worker", "beat"):
        command = services[name]["command"]
        assert_names_real_modules(shlex.split(command.replace("&&", " ")), name)
    # web keeps the image's HEALTHCHECK; the worker is pinged over the broker; beat (which
    # listens on nothing) must not inherit the web check.
    assert "healthcheck" not in services["web"]
    ping = services["worker"]["healthcheck"]["test"]
    assert ping[0] == "CMD-SHELL"
    ping_words = shlex.split(ping[1])
    assert ping_words[ping_words.index("-A") + 2 :][:2] == ["inspect", "ping"]
    assert_names_real_modules(ping_words, "worker healthcheck")
    assert services["beat"]["healthcheck"] == {"disable": True}
    # The image runs as a user who cannot write /app: beat's schedule file goes elsewhere.
    beat = shlex.split(services["beat"]["command"])
    assert not beat[beat.index("--schedule") + 1].startswith("/app")


def dockerfile_instruction(text: str, name: str) -> list[str]:
    """The exec-form (JSON) arguments of the Dockerfile's one `name` instruction."""
    lines = [ln for ln in text.replace("\\\n", " ").splitlines() if ln.startswith(name + " ")]
    assert len(lines) == 1, name
    arguments = lines[0].removeprefix(name + " ")
    if name == "HEALTHCHECK":
        options, _, arguments = arguments.partition("CMD ")
        assert "--interval" in options
    return json.loads(arguments)


def test_the_dockerfile_health_check_and_command_name_real_modules():
    text = (ROOT / "Dockerfile").read_text()
    command = dockerfile_instruction(text, "CMD")
    assert command[0] == "gunicorn"
    assert_names_real_modules(command, "CMD")
    check = dockerfile_instruction(text, "HEALTHCHECK")
    assert check[:2] == ["python", "-m"]
    assert_names_real_modules(check, "HEALTHCHECK")


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
