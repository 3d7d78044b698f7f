"""On PostgreSQL, substring search on names and phone digits is answered from trigram
indexes, so it stays fast with 100,000 patients."""

from __future__ import annotations

import pytest
from django.db import connection

from patients.models import Patient
from patients.selectors import search_filter
from tests.factories import PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only")


def test_the_trigram_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'patients_patient'"
        )
        indexes = dict(cursor.fetchall())
    for name, column in (
        ("patients_patient_search_name_trgm", "search_name"),
        ("patients_patient_phone_digits_trgm", "phone_digits"),
    ):
        assert "gin" in indexes[name].lower()
        assert f"{column} gin_trgm_ops" in indexes[name]


@pytest.mark.parametrize(("query", "index"), [("whit", "search_name"), ("5550101", "phone_digits")])
def test_a_search_can_use_the_trigram_index(query, index):
    PatientFactory(first_name="Zoë", last_name="Whitaker", phone="(415) 555-0101")
    condition = search_filter(query)
    sql, params = Patient.objects.filter(condition).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        # Forbid sequential and plain index scans so the planner shows whether the trigram
        # index can answer the filter at all (on a tiny table it rightly prefers a scan).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"patients_patient_{index}_trgm" in plan, plan
