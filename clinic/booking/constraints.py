"""The database guarantee against double-booking, on PostgreSQL only.

An exclusion constraint over (therapist, time range) and (room, time range) with btree_gist
makes two overlapping active appointments impossible, whatever code writes them. SQLite has
no such constraint: there the booking service's overlap check runs inside a transaction that
takes the write lock at BEGIN (``transaction_mode: IMMEDIATE`` in settings), so checks and
inserts are serialised.

``ExclusionConstraint`` would emit PostgreSQL DDL on SQLite (and SQLite rebuilds tables from
the model's constraints whenever a later migration alters the table), so the subclass below
emits no DDL and skips validation on any other database. Model state and migrations stay the
same on both vendors.
"""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Func


class TsTzRange(Func):
    """tstzrange(start, end, bounds): the half-open range an appointment occupies."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An ExclusionConstraint that exists on PostgreSQL and is a no-op elsewhere."""

    @staticmethod
    def _is_postgres(schema_editor) -> bool:
        return schema_editor.connection.vendor == "postgresql"

    def constraint_sql(self, model, schema_editor):
        if not self._is_postgres(schema_editor):
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        if not self._is_postgres(schema_editor):
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        if not self._is_postgres(schema_editor):
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if connections[using].vendor != "postgresql":
            return
        super().validate(model, instance, exclude=exclude, using=using)
