"""Fill phone_digits for existing rows, and on PostgreSQL add trigram GIN indexes so that
substring search on names and phone digits stays fast with 100,000 patients.

SQLite has no pg_trgm: there the index operations do nothing (a full scan of a local
database is the SQLite trade-off).
"""

import re

from django.db import migrations

TRIGRAM_INDEXES = {
    "patients_patient_search_name_trgm": "search_name",
    "patients_patient_phone_digits_trgm": "phone_digits",
}


def fill_phone_digits(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    for patient in Patient.objects.only("pk", "phone").iterator():
        digits = re.sub(r"\D", "", patient.phone or "")
        Patient.objects.filter(pk=patient.pk).update(phone_digits=digits)


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON patients_patient "
            f"USING gin ({column} gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_screening_consent_clinical")]

    operations = [
        migrations.RunPython(fill_phone_digits, migrations.RunPython.noop),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes),
    ]
