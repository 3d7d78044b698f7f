"""Static files as production serves them: DEBUG off, the manifest storage, hashed names.

The test settings serve static files from the folders (STATIC_MANIFEST=0), which hid that the
Dockerfile's collectstatic wrote no manifest and every production page was a 500 ("Missing
staticfiles manifest entry"). These tests build the files the way the image does and render
pages with the production storage.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
BOOTSTRAP = "vendor/bootstrap-5.3.9/bootstrap.min.css"
HASHED_BOOTSTRAP = re.compile(
    r'href="/static/vendor/bootstrap-5\.3\.9/bootstrap\.min\.[0-9a-f]{12}\.css"'
)
# gzip and brotli copies are most of collectstatic's time (~8 s of CPU) and no part of the
# manifest: the tests build the files without them.
NO_COMPRESSION = ["css", "js", "map", "svg", "txt", "html", "json", "md", "ttf", "eot", "woff"]


def dockerfile_collectstatic() -> tuple[dict[str, str], list[str]]:
    """The environment and the command of the Dockerfile's `RUN ... collectstatic` line."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [ln for ln in text.splitlines() if ln.startswith("RUN ") and "collectstatic" in ln]
    assert len(lines) == 1, "the Dockerfile runs collectstatic exactly once"
    words = shlex.split(lines[0].removeprefix("RUN "))
    env = {}
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    assert words[:2] == ["python", "manage.py"] and "collectstatic" in words, words
    return env, words[2:]


def clean_env(**env: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        **env,
    }


def test_the_dockerfile_builds_a_manifest_that_production_serves_pages_from(tmp_path):
    static_root = tmp_path / "staticfiles"
    build_env, command = dockerfile_collectstatic()
    # clinic.settings with the Dockerfile's environment; only compression is left out.
    (tmp_path / "build_settings.py").write_text(
        "from clinic.settings import *  # noqa\n"
        f"WHITENOISE_SKIP_COMPRESS_EXTENSIONS = {NO_COMPRESSION!r}\n"
    )
    built = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=clean_env(
            **build_env,
            STATIC_ROOT=str(static_root),
            DJANGO_SETTINGS_MODULE="build_settings",
            PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}",
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    manifest = static_root / "staticfiles.json"
    assert manifest.exists(), "collectstatic wrote no manifest: every DEBUG=0 page would 500"
    assert BOOTSTRAP in json.loads(manifest.read_text())["paths"]

    # The running container: DEBUG off, no STATIC_MANIFEST override, the image's files.
    render = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/accounts/login/', secure=True, HTTP_HOST='clinic.example.org');"
        "print(r.status_code); print(r.content.decode())"
    )
    served = subprocess.run(
        [sys.executable, "-c", render],
        cwd=ROOT,
        env=clean_env(
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="clinic.example.org",
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
            STATIC_ROOT=str(static_root),
            PRIVATE_STORAGE_ROOT=str(tmp_path / "private"),
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert served.returncode == 0, served.stderr
    status, _, html = served.stdout.partition("\n")
    assert status == "200", served.stderr[-2000:]
    assert HASHED_BOOTSTRAP.search(html), "the page links the hashed file from the manifest"


@pytest.fixture
def production_static(settings, tmp_path):
    """DEBUG off and the manifest storage, with the files collected into tmp_path."""
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    settings.DEBUG = False
    settings.WHITENOISE_SKIP_COMPRESS_EXTENSIONS = NO_COMPRESSION
    return settings.STATIC_ROOT


@pytest.mark.django_db
def test_without_collected_files_the_manifest_storage_fails_every_page(client, production_static):
    # What production did: the storage finds no manifest entry and the page cannot render.
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        client.get(reverse("login"))


@pytest.mark.django_db
def test_collected_files_serve_the_login_page_and_a_signed_in_page(
    client, production_static, therapist
):
    call_command("collectstatic", "--no-input", verbosity=0)
    assert (production_static / "staticfiles.json").exists()
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert HASHED_BOOTSTRAP.search(response.content.decode())
    client.force_login(therapist)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert HASHED_BOOTSTRAP.search(response.content.decode())
