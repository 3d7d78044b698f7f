"""Rows built once and shared by the tests of a module, like Django's setUpTestData.

The builder runs in a transaction opened for the module; every test then runs in its own
savepoint on top of it (pytest-django's `db`), so what a test changes is rolled back after it
and the next test sees the shared rows as built. The module's transaction is rolled back at
the end, so the next module starts from the empty database as before.

Only for modules whose tests use plain `db` (not `transactional_db` or `live_server`: their
flush would empty the shared rows). Use it where building is what costs: the demo seed takes
seconds, and seeding it once per module instead of once per test is most of the saving.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import transaction

T = TypeVar("T")


@contextlib.contextmanager
def rows_for_the_module(django_db_blocker, build: Callable[[], T]) -> Iterator[T]:
    """Run build() in a transaction that stays open while the caller's tests run.

    Request `django_db_setup` in the fixture that uses this, so the test database exists.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        with django_db_blocker.unblock():
            built = build()
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def module_sessions(users: dict) -> dict:
    """A logged-in session for each of ``users`` (name -> user), made inside the module's
    transaction (call it from a ``rows_for_the_module`` builder): a test then logs its client
    in with ``log_in(client, sessions[name])`` instead of ``force_login``, which writes a
    session row, the user's last login and its audit entry, and runs the lock-out plugin's
    handlers, on every call."""
    from django.conf import settings
    from django.test import Client

    sessions = {}
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        sessions[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return sessions


def log_in(client, session_key: str):
    """Give ``client`` a session ``module_sessions`` made; returns the client."""
    from django.conf import settings

    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client
