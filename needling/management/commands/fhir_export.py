"""`manage.py fhir_export --location L --user MANAGER --output DIR`: bulk FHIR R4 export.

Writes every patient of a location as NDJSON in the FHIR Bulk Data style: one file per
resource type (``Patient.ndjson``, ``Condition.ndjson``, ...; a type with no resources gets
no file), one resource per line, references as ``Type/id``. Patients are read from a
database cursor a chunk at a time with each chunk's rows fetched together, so memory stays
flat however large the location. Each exported patient gets a row in the access log, in the
name of the manager who ran the export.
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from clinic.staff.models import Location
from clinic.staff.roles import Role
from needling.fhir import resources as r
from needling.fhir.export import (
    CHUNK_SIZE,
    RESOURCE_TYPES,
    location_chunks,
    ndjson_line,
    record_resources,
)
from patients.models import PatientAccessLog


class Command(BaseCommand):
    help = "Export every patient of a location as FHIR R4 NDJSON, one file per resource type."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--location", required=True, help="location id or exact name")
        parser.add_argument("--user", required=True, help="username of the manager exporting")
        parser.add_argument("--output", required=True, help="directory for the .ndjson files")
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)

    def handle(self, *args, location: str, user: str, output: str, chunk_size: int, **options):
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1")
        place = self._location(location)
        exporter = self._manager(user)
        directory = Path(output)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"{output}: cannot create the directory ({exc})") from None
        # A type with no resources this time gets no file: remove what an earlier export to
        # the same directory left, so every file there is from this export.
        for kind in RESOURCE_TYPES:
            (directory / f"{kind}.ndjson").unlink(missing_ok=True)
        counts = self._export(place, exporter, directory, chunk_size)
        total = counts.get("Patient", 0)
        summary = ", ".join(f"{name} {counts[name]}" for name in sorted(counts)) or "nothing"
        self.stdout.write(f"Exported {total} patients of {place.name} to {directory}: {summary}")

    def _export(self, place, exporter, directory: Path, chunk_size: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        today: dt.date = timezone.localdate()
        with ExitStack() as files:
            handles = {}
            for records in location_chunks(place, chunk_size=chunk_size):
                for record in records:
                    for resource in record_resources(record, ref=r.relative_ref, today=today):
                        kind = resource["resourceType"]
                        if kind not in handles:
                            path = directory / f"{kind}.ndjson"
                            handles[kind] = files.enter_context(path.open("w", encoding="utf-8"))
                        handles[kind].write(ndjson_line(resource))
                        counts[kind] = counts.get(kind, 0) + 1
                PatientAccessLog.objects.bulk_create(
                    PatientAccessLog(
                        patient=record.patient,
                        user=exporter,
                        action=PatientAccessLog.Action.FHIR_EXPORT,
                    )
                    for record in records
                )
        return counts

    @staticmethod
    def _location(value: str) -> Location:
        found = Location.objects.filter(pk=int(value)) if value.isdigit() else None
        place = (found.first() if found is not None else None) or (
            Location.objects.filter(name=value).first()
        )
        if place is None:
            raise CommandError(f"--location: no location {value!r}")
        return place

    @staticmethod
    def _manager(username: str):
        member = get_user_model().objects.filter(username=username, is_active=True).first()
        if member is None:
            raise CommandError(f"--user: no active user {username!r}")
        if member.role != Role.MANAGER:
            raise CommandError(f"--user: {username} is not a manager")
        return member
