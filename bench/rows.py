"""Fast row writers for the scale seeder: COPY FROM STDIN on PostgreSQL, executemany elsewhere.

``bulk_create`` builds a model instance per row and an INSERT with a parameter per value; at a
million sessions (with three million sites) that is most of an hour. Here the seeder hands
plain tuples to :class:`TableWriter`, which streams them through psycopg's ``cursor.copy()``
(one COPY per chunk; the C implementation formats the values). Columns the seeder does not
give take the model field's default, worked out once per table. Primary keys of integer
tables are reserved up front (:func:`reserve_ids`) so that child rows can point at their
parents without reading anything back.

Everything a normal insert checks is still checked: NOT NULL, CHECK and foreign-key
constraints, unique and exclusion constraints (the booking clash constraints), and the
row triggers. Nothing is disabled.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection, models

AUTO_FIELDS = (models.AutoField, models.BigAutoField, models.SmallAutoField)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _is_auto_pk(field: models.Field) -> bool:
    return field.primary_key and isinstance(field, AUTO_FIELDS)


def _default(field: models.Field, now):
    """The value an insert without this column would store (computed once per table)."""
    if field.has_default():
        value = field.get_default()
    elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        value = now
    elif field.null:
        value = None
    elif isinstance(field, models.CharField | models.TextField):
        value = ""
    else:
        raise ValueError(f"{field.model.__name__}.{field.name} needs a value: it has no default")
    return _plain(field, value)


def _plain(field: models.Field, value):
    """A Python value psycopg's COPY (or sqlite3) can take for this column."""
    if isinstance(field, models.JSONField):
        return None if value is None else json.dumps(value)
    return value


class TableWriter:
    """Writes tuples of ``columns`` (attnames, e.g. ``patient_id``) into one model's table."""

    def __init__(self, model: type[models.Model], columns: Sequence[str], *, now) -> None:
        meta = model._meta
        by_attname = {f.attname: f for f in meta.concrete_fields}
        unknown = [c for c in columns if c not in by_attname]
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {unknown}")
        self.model = model
        given = [by_attname[c] for c in columns]
        rest = [f for f in meta.concrete_fields if f.attname not in columns and not _is_auto_pk(f)]
        self.fields = given + rest
        self.tail = tuple(_default(f, now) for f in rest)
        quote = connection.ops.quote_name
        self.table = quote(meta.db_table)
        self.column_sql = ", ".join(quote(f.column) for f in self.fields)

    def write(self, rows: Iterable[tuple]) -> int:
        tail = self.tail
        count = 0
        with connection.cursor() as cursor:
            if _postgres():
                sql = f"COPY {self.table} ({self.column_sql}) FROM STDIN"
                # The raw psycopg cursor: wrap its errors as Django's (IntegrityError, ...).
                with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row + tail)
                        count += 1
            else:
                placeholders = ", ".join(["%s"] * len(self.fields))
                sql = f"INSERT INTO {self.table} ({self.column_sql}) VALUES ({placeholders})"  # noqa: S608 - names from the model
                # JSON columns arrive as text already (see _plain): only the rest are prepared.
                prepared = [
                    tuple(
                        v if isinstance(v, str) else f.get_db_prep_save(v, connection)
                        for f, v in zip(self.fields, row + tail, strict=True)
                    )
                    for row in rows
                ]
                cursor.executemany(sql, prepared)
                count = len(prepared)
        return count


def reserve_ids(model: type[models.Model], count: int) -> int:
    """Reserve ``count`` consecutive ids of an integer-keyed table; return the first one.

    On PostgreSQL the identity sequence is moved past the block (no other writer is expected
    while seeding); SQLite hands out max(id) + 1 onwards and follows explicit ids itself.
    """
    meta = model._meta
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), nextval(pg_get_serial_sequence("
                "%s, %s)) + %s - 1)",
                [meta.db_table, meta.pk.column, meta.db_table, meta.pk.column, max(count, 1)],
            )
            last = cursor.fetchone()[0]
            return last - max(count, 1) + 1
        table = connection.ops.quote_name(meta.db_table)
        cursor.execute(f"SELECT COALESCE(MAX({meta.pk.column}), 0) + 1 FROM {table}")  # noqa: S608
        return cursor.fetchone()[0]


def write_instances(model: type[models.Model], objs: list[models.Model], *, now) -> None:
    """Insert unsaved instances (ids reserved and set on them, as bulk_create would)."""
    if not objs:
        return
    meta = model._meta
    if _is_auto_pk(meta.pk):
        first = reserve_ids(model, len(objs))
        for offset, obj in enumerate(objs):
            obj.pk = first + offset
    fields = list(meta.concrete_fields)
    writer = TableWriter(model, [f.attname for f in fields], now=now)
    rows = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="write_instances")
        rows.append(tuple(_plain(f, f.pre_save(obj, True)) for f in fields))
        obj._state.adding = False
        obj._state.db = connection.alias
    writer.write(rows)


def check_deferred_constraints() -> None:
    """PostgreSQL: check the pending deferred constraints (foreign keys) now, then defer the
    initially-deferred ones again, leaving the transaction as it began (SET CONSTRAINTS ALL
    DEFERRED would also defer the booking exclusion constraints, which are immediate)."""
    if not _postgres():
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT DISTINCT conname FROM pg_constraint WHERE condeferred")
        names = [connection.ops.quote_name(row[0]) for row in cursor.fetchall()]
        if names:
            cursor.execute(f"SET CONSTRAINTS {', '.join(names)} DEFERRED")
