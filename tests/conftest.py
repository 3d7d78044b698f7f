"""One set of role fixtures used everywhere: a therapist, a front-desk user, a manager and an
uncertified therapist, all working at one location. And the reference data put back after a
test that empties the database."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.staff.roles import Role
from tests import (
    hypothesis_profiles,  # noqa: F401  (registers and loads the profile)
    scheduling,
)
from tests.factories import CertificationFactory, LicenceFactory, LocationFactory, UserFactory


class MigratedRows:
    """What the migrations leave in a new test database: the reference data of the data
    migrations (the muscle and rule catalogues, the screening settings row, consent text
    version 1) and what post_migrate makes (content types, permissions, the role groups with
    their permissions). Read once per process, right after the test database is built.

    A transactional test's flush empties every table, and Django then sends post_migrate to
    build content types, permissions and groups again (about 1 s on PostgreSQL, each time).
    Instead the flush puts these rows back as they were, ids included, with one bulk insert
    per table (``flush_restores_migrated_rows``).
    """

    rows: dict | None = None

    @classmethod
    def take(cls) -> None:
        from django.apps import apps

        rows = {}
        for model in apps.get_models(include_auto_created=True):
            if model._meta.proxy or not model._meta.managed:
                continue
            found = list(model._base_manager.all())
            if found:
                rows[model] = found
        cls.rows = rows

    @classmethod
    def restore(cls) -> None:
        from django.contrib.contenttypes.models import ContentType
        from django.core.management.color import no_style
        from django.db import connection, transaction

        # Django's foreign keys are deferred: inside one transaction the order of the tables
        # does not matter.
        with transaction.atomic():
            for model, found in cls.rows.items():
                model._base_manager.bulk_create(found)
            # Explicit ids move no sequence: set each past its rows (a flush may reset them).
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), list(cls.rows)):
                    cursor.execute(sql)
        ContentType.objects.clear_cache()


@pytest.fixture(scope="session")
def _migrations_from_the_cache():
    """While the test database is built: on SQLite, ``migrate`` copies the migrated database
    kept by an earlier run instead of migrating, or keeps a copy of what it migrated
    (tests/migrated_db.py). Requested before pytest-django's ``django_db_setup``."""
    from django.core.management.commands import migrate

    from tests import migrated_db

    original = migrate.Command.handle

    def handle(self, *args, **options):
        from django.contrib.contenttypes.models import ContentType
        from django.db import connections

        connection = connections[options["database"]]
        if connection.vendor != "sqlite" or not migrated_db.enabled():
            return original(self, *args, **options)
        connection.ensure_connection()
        if migrated_db.restore(connection.connection):
            ContentType.objects.clear_cache()
            return None
        result = original(self, *args, **options)
        migrated_db.store(connection.connection)
        return result

    migrate.Command.handle = handle
    yield
    migrate.Command.handle = original


@pytest.fixture(scope="session")
def django_db_setup(_migrations_from_the_cache, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        MigratedRows.take()
    yield
    with django_db_blocker.unblock():
        _end_other_sessions()


def _end_other_sessions() -> None:
    """Before the test database is dropped: end the connections other threads left open
    (the live server's and the race tests' threads keep theirs up to CONN_MAX_AGE). With one
    still open PostgreSQL waited 5 s at the DROP DATABASE, then refused it, on every worker."""
    from django.db import connection, connections

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    connections.close_all()


@pytest.fixture(scope="session", autouse=True)
def flush_empties_only_what_has_rows():
    """On PostgreSQL, a transactional test's flush deletes the rows of the tables that have
    any, instead of truncating every table: a TRUNCATE of all 64 tables took 0.2-0.3 s (each
    table gets new files), the look-up and the DELETEs of the handful with rows about 20 ms.
    Triggers are set aside for those DELETEs (``session_replication_role``, as for a
    TRUNCATE, which fires no row trigger): the append-only tables would refuse them, and the
    report roll-ups are rebuilt after every flush anyway. Without the right to do that (not a
    superuser) it truncates as Django does."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables or not _may_set_replication_role(self.connection):
            return original(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        quote = self.quote_name
        probe = " UNION ALL ".join(
            f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(table)})"  # noqa: S608
            for table in tables
        )
        with self.connection.cursor() as cursor:  # quoted names of Django's own tables
            cursor.execute(probe, list(tables))
            filled = [name for (name,) in cursor.fetchall()]
        if not filled:
            return []
        deletes = [f"DELETE FROM {quote(table)}" for table in filled]  # noqa: S608
        return ["SET LOCAL session_replication_role = replica", *deletes]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


def _may_set_replication_role(connection) -> bool:
    if not hasattr(connection, "_may_set_replication_role"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
        connection._may_set_replication_role = bool(row and row[0])
    return connection._may_set_replication_role


@pytest.fixture(scope="session", autouse=True)
def flush_restores_migrated_rows():
    """After a transactional test, the flush puts the migrated rows back (MigratedRows)
    instead of sending post_migrate. Before they are read (no test database yet) it sends
    post_migrate, as Django does."""
    from django.core.management.commands import flush

    original = flush.emit_post_migrate_signal

    def restore(verbosity, interactive, db, **kwargs):
        if MigratedRows.rows is None:
            return original(verbosity, interactive, db, **kwargs)
        MigratedRows.restore()

    flush.emit_post_migrate_signal = restore
    yield
    flush.emit_post_migrate_signal = original


def _flushes_the_database(request) -> bool:
    """Whether pytest-django ran this test as a TransactionTestCase, which empties every table
    when it ends (the same rule pytest-django's _django_db_helper applies)."""
    from pytest_django.fixtures import validate_django_db

    marker = request.node.get_closest_marker("django_db")
    if marker:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        if transaction or reset_sequences:
            return True
    return "transactional_db" in request.fixturenames or "live_server" in request.fixturenames


def pytest_fixture_post_finalizer(fixturedef, request):
    # Run serially, pytest-django puts the transactional tests last, after every test that
    # relies on the reference data. Under pytest-xdist a worker takes whole files in any order,
    # so the flushed database would reach the next file's tests: the flush puts the migrated
    # rows back (flush_restores_migrated_rows), and this hook, which runs right after
    # pytest-django's per-test helper has finished (and flushed), rebuilds the roll-ups.
    if fixturedef.argname != "_django_db_helper" or not _flushes_the_database(request):
        return
    from pytest_django.plugin import blocking_manager_key

    with request.config.stash[blocking_manager_key].unblock():
        # The flush empties the report roll-up tables before the tables they count, whose
        # delete triggers then take their counts off again: negative counts for rows that are
        # gone, which the next file's reports would read. Rebuilt from the (empty) rows.
        from clinic.reports.rollups import rollup_rebuild

        rollup_rebuild()


def make_location():
    return LocationFactory(name="Mission District")


def make_therapist(location):
    user = UserFactory(
        username="thera", first_name="Theresa", last_name="Okafor", role=Role.THERAPIST
    )
    user.locations.add(location)
    LicenceFactory(user=user)
    CertificationFactory(user=user)
    return user


def make_front_desk(location):
    user = UserFactory(
        username="desk", first_name="Fatima", last_name="Diallo", role=Role.FRONT_DESK
    )
    user.locations.add(location)
    return user


def make_manager(location):
    user = UserFactory(username="boss", first_name="Morgan", last_name="Reyes", role=Role.MANAGER)
    user.locations.add(location)
    return user


@pytest.fixture
def location(db):
    return make_location()


@pytest.fixture
def therapist(location):
    return make_therapist(location)


@pytest.fixture
def uncertified_therapist(location):
    user = UserFactory(
        username="uncert", first_name="Ursula", last_name="Lindqvist", role=Role.THERAPIST
    )
    user.locations.add(location)
    CertificationFactory(
        user=user, certified_on=dt.date(2020, 1, 1), valid_until=dt.date(2023, 1, 1)
    )
    return user


@pytest.fixture
def front_desk(location):
    return make_front_desk(location)


@pytest.fixture
def manager(location):
    return make_manager(location)


@pytest.fixture
def role_users(therapist, front_desk, manager) -> dict[str, object]:
    return {"therapist": therapist, "front_desk": front_desk, "manager": manager}


def _client_for(user):
    # A Client of its own per role, so that two role clients in one test stay two users.
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def therapist_client(therapist):
    return _client_for(therapist)


@pytest.fixture
def front_desk_client(front_desk):
    return _client_for(front_desk)


@pytest.fixture
def manager_client(manager):
    return _client_for(manager)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    # Under --dist loadfile: the costliest files first, browser tests one by one
    # (tests/scheduling.py). Any other --dist keeps xdist's own scheduler.
    if config.getvalue("dist") == "loadfile":
        return scheduling.make_scheduler(config, log)
    return None


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controlling process (or a run without xdist)
        config.pluginmanager.register(scheduling.DurationRecorder(config), "test-durations")


def pytest_collection_finish(session):
    """Fewer, cheaper garbage collections (in each xdist worker, once its tests are
    collected): what exists now (modules, Django's apps, the collected tests) is frozen out of
    every later collection, and the youngest generation is collected after 50,000 new
    allocations instead of 700. The cyclic collector took 3.4 s of a 22 s run of the URL
    matrix and the patients' tests (16%), 1.5 s after this; reference counting frees
    everything else as before."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 50)
