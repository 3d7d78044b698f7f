"""A migrated SQLite test database, kept between runs: each pytest worker (and the SQLite race
script) copies it instead of running every migration again (about 5 s of CPU each on this
machine: Django's migration state rendering and SQLite's table rebuilds).

The copy is made by the first run that migrates, right after ``migrate`` (its post_migrate
handlers included), with SQLite's backup API, under ``.pytest_cache/``. It is used only while
everything it could depend on is unchanged: the key hashes every Python and data file of the
apps (migrations import the catalogues, the rules and the roll-up triggers' SQL from them),
the test settings, ``uv.lock`` (Django and the third-party apps' migrations), and the Python
and SQLite versions. Any change makes a new copy on the next run.

CI does not use it (``CI`` set, or ``TEST_MIGRATION_CACHE=0``): there every run migrates a
new database, so the migrations themselves stay tested. PostgreSQL runs always migrate.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("clinic", "patients", "needling")
CACHE_DIR = ROOT / ".pytest_cache" / "migrated-db"


def enabled() -> bool:
    return not os.environ.get("CI") and os.environ.get("TEST_MIGRATION_CACHE", "1") != "0"


@functools.cache
def cache_key() -> str:
    digest = hashlib.sha256()
    files = [ROOT / "uv.lock", ROOT / "tests" / "settings.py"]
    for app in APPS:
        files += sorted(
            p
            for p in (ROOT / app).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        )
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    digest.update(f"{sys.version}|{sqlite3.sqlite_version}".encode())
    return digest.hexdigest()[:24]


def cached_file() -> Path:
    return CACHE_DIR / f"{cache_key()}.sqlite3"


def restore(target: sqlite3.Connection) -> bool:
    """Copy the migrated database into ``target``; False when there is none to copy."""
    path = cached_file()
    if not enabled() or not path.exists():
        return False
    source = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
    return True


def store(source: sqlite3.Connection) -> None:
    """Keep a copy of the just-migrated ``source`` (written aside, then renamed into place, so
    two workers migrating at once never leave half a file)."""
    if not enabled():
        return
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    for old in CACHE_DIR.glob("*.sqlite3"):  # copies for older code: never used again
        if old != cached_file():
            old.unlink(missing_ok=True)
    handle, temporary = tempfile.mkstemp(dir=CACHE_DIR, suffix=".part")
    os.close(handle)
    target = sqlite3.connect(temporary)
    try:
        source.backup(target)
    finally:
        target.close()
    os.replace(temporary, cached_file())


def copy_to(path: Path) -> bool:
    """Write the migrated database to the file ``path`` (the race script); False if none."""
    if not path.parent.exists():
        return False
    target = sqlite3.connect(path)
    try:
        return restore(target)
    finally:
        target.close()
