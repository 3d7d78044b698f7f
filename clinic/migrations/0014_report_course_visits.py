# PostgreSQL: each course row carries its notes' days and NPRS as arrays (rollups.VISIT_COLUMNS),
# so that the outcomes report works out the courses across an edge of its range from them
# instead of from their notes, and a GiST index of the courses' spans finds those across a day
# (with a close estimate of how many there are). SQLite has no arrays: its triggers stay as
# they were and the report reads those courses' notes there.

from django.db import migrations

from clinic.reports import rollups

COLUMN_TYPES = {
    "visit_days": "date[]",
    "before_next": "smallint[]",
    "before_next_day": "date[]",
    "after_prev": "smallint[]",
    "after_prev_day": "date[]",
}
SPAN_INDEX = "report_course_span"


def _install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in rollups.VISIT_COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE {rollups.COURSES} ADD COLUMN {column} {COLUMN_TYPES[column]}",
            params=None,
        )
    for sql in rollups.install_sql("postgresql"):
        schema_editor.execute(sql, params=None)
    rollups.rollup_rebuild(only=(rollups.COURSES,))
    schema_editor.execute(
        f"CREATE INDEX {SPAN_INDEX} ON {rollups.COURSES} "
        "USING gist (daterange(first_day, last_day, '[]'))",
        params=None,
    )


def _uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX {SPAN_INDEX}", params=None)
    for sql in rollups.install_sql("postgresql", visits=False):
        schema_editor.execute(sql, params=None)
    for column in rollups.VISIT_COLUMNS:
        schema_editor.execute(f"ALTER TABLE {rollups.COURSES} DROP COLUMN {column}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0013_report_weeks"),
    ]

    operations = [
        migrations.RunPython(_install, _uninstall),
    ]
