"""The scale seeder and the benchmark harness work (at a tiny scale, on the test database)."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from bench.harness import count_overlaps
from bench.scale import HEAVY_SESSIONS, SCALE_TAG, seed_scale
from clinic.booking.models import Appointment
from clinic.demo import seed
from needling.plans.models import TreatmentPlan
from needling.sessions.models import AdverseEvent, SessionRecord
from patients.models import Consent, Patient, ScreeningQuestionnaire
from tests.shared_rows import rows_for_the_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup, django_db_blocker):
    """The demo clinic, seeded once for the module; each test's changes are rolled back."""
    with rows_for_the_module(django_db_blocker, seed):
        yield


@pytest.fixture
def demo(seeded_demo, db):
    return None


def test_seed_scale_counts_and_no_overlaps(demo):
    result = seed_scale(patients=50, sessions=400, log=lambda _: None)

    scale = Patient.objects.filter(notes=SCALE_TAG)
    assert scale.count() == result.patients == 50
    assert ScreeningQuestionnaire.objects.filter(patient__in=scale).count() == 50
    assert Consent.objects.filter(patient__in=scale).count() == 50
    assert TreatmentPlan.objects.filter(patient__in=scale).count() == 50  # one each
    sessions = SessionRecord.objects.filter(patient__in=scale)
    assert sessions.count() == result.sessions == 400  # --sessions counts the notes
    assert (
        sessions.count()
        == Appointment.objects.filter(patient__in=scale, status="completed").count()
    )
    assert not sessions.exclude(status="signed").exists()
    assert AdverseEvent.objects.filter(session__in=sessions).exists()  # ~19% of sessions
    assert Appointment.objects.filter(patient__in=scale).count() == result.appointments > 400
    assert Appointment.objects.filter(patient__in=scale, status="cancelled").exists()
    heavy = scale.get(first_name="Benchmark", last_name="Heavy")
    assert heavy.appointments.count() == HEAVY_SESSIONS
    # Search fields are filled as Patient.save() would: accents folded, digits only.
    for patient in scale:
        assert patient.search_name
        assert patient.phone_digits.isdigit()
    assert count_overlaps() == 0


def test_seed_scale_refuses_twice_unless_reset(demo):
    call_command("seed_scale", patients=5, sessions=20, stdout=io.StringIO())
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_scale", patients=5, sessions=20)
    call_command("seed_scale", patients=6, sessions=30, reset=True, stdout=io.StringIO())
    assert Patient.objects.filter(notes=SCALE_TAG).count() == 6
    assert SessionRecord.objects.filter(patient__notes=SCALE_TAG).count() == 30


def test_count_overlaps_sees_a_double_booking(demo):
    seed_scale(patients=5, sessions=20, log=lambda _: None)
    one = Appointment.objects.filter(patient__notes=SCALE_TAG).first()
    clone = Appointment.objects.get(pk=one.pk)
    clone.pk = None
    clone.status = "cancelled"
    clone.cancel_reason = "x"
    clone.save()
    assert count_overlaps() == 0  # cancelled rows do not count
    reactivate = Appointment.objects.filter(pk=clone.pk)
    if connection.vendor == "postgresql":  # the exclusion constraints refuse the clash
        with pytest.raises(IntegrityError), transaction.atomic():
            reactivate.update(status="booked", cancel_reason="")
        return
    reactivate.update(status="booked", cancel_reason="")
    assert count_overlaps() == 2  # the same therapist and the same room


def test_heavy_patient_is_the_same_at_every_size(demo):
    """The heavy patient's screening and plan do not depend on the data size, so its pages
    do the same work at 10% and 100% (the query counts are compared across sizes)."""

    def heavy_case():
        heavy = Patient.objects.get(notes=SCALE_TAG, first_name="Benchmark", last_name="Heavy")
        plan = TreatmentPlan.objects.get(patient=heavy)
        screening = ScreeningQuestionnaire.objects.get(patient=heavy)
        return (
            list(plan.sites.order_by("order").values_list("muscle__code", "side", "needle_gauge")),
            plan.practitioner.username,
            screening.anticoagulant_drug,
            screening.diabetes,
        )

    seed_scale(patients=5, sessions=30, log=lambda _: None)
    small = heavy_case()
    seed_scale(patients=40, sessions=300, reset=True, log=lambda _: None)
    assert heavy_case() == small
    assert small[2] == "apixaban" and len(small[0]) == 3


def test_session_notes_are_dated_on_the_local_day(demo):
    seed_scale(patients=10, sessions=200, log=lambda _: None)
    notes = SessionRecord.objects.filter(patient__notes=SCALE_TAG).select_related(
        "appointment__location"
    )
    for note in notes:
        assert note.session_date == note.appointment.local_starts_at.date()
        assert note.signed_by_id == note.practitioner_id and note.signed_at is not None
        assert (
            note.needles_opened
            == note.needles_disposed
            == sum(site.needles for site in note.sites.all())
        )


def test_scale_visits_are_treatment_courses_after_the_plan(demo, monkeypatch):
    """Apart from the heavy patient, a patient's visits are one course: with the plan's
    therapist at the plan's location, in a block of weeks that starts on or after the planned
    date, which is on or after the screening (docs/performance.md: clinic-shaped courses).
    One therapist per location with two starts a day, so that a small data set fills many
    weeks (at full size 60 therapists hold 2,400 weekly slots among 100,000 patients)."""
    import datetime as dt

    from bench import scale

    monkeypatch.setattr(scale, "THERAPISTS_PER_LOCATION", 1)
    monkeypatch.setattr(scale, "STARTS", scale.STARTS[:2])
    seed_scale(patients=150, sessions=1000, log=lambda _: None)
    courses = 0
    for plan in TreatmentPlan.objects.filter(patient__notes=SCALE_TAG).exclude(
        patient__first_name="Benchmark", patient__last_name="Heavy"
    ):
        visits = Appointment.objects.filter(patient_id=plan.patient_id).order_by("starts_at")
        if not visits:
            continue
        courses += 1
        screening = ScreeningQuestionnaire.objects.get(patient_id=plan.patient_id)
        first = visits.first().local_starts_at.date()
        last = visits.last().local_starts_at.date()
        assert screening.taken_on <= plan.planned_date <= first
        assert (first - screening.taken_on).days <= 14
        assert {(v.therapist_id, v.location_id) for v in visits} == {
            (plan.practitioner_id, plan.location_id)
        }
        # A standing weekly slot: one visit a week, a course of at most 1.5x the mean visits.
        assert (last - first) <= dt.timedelta(weeks=len(visits) - 1)
        assert all(
            (b.starts_at - a.starts_at) >= dt.timedelta(days=7) - dt.timedelta(hours=2)
            for a, b in zip(visits, visits[1:], strict=False)
        )
    assert courses >= 100


def test_table_writer_fills_defaults_and_keeps_constraints(demo):
    import datetime as dt

    from django.utils import timezone

    from bench.rows import TableWriter, reserve_ids
    from clinic.booking.models import AppointmentType
    from clinic.staff.models import Location, Room, User

    location = Location.objects.order_by("pk").first()
    room = Room.objects.filter(location=location).first()
    therapist = User.objects.get(username="manager")
    kind = AppointmentType.objects.first()
    patient = Patient.objects.first()
    columns = ("id", "location_id", "patient_id", "appointment_type_id", "therapist_id",
               "room_id", "starts_at", "ends_at", "created_by_id")  # fmt: skip
    writer = TableWriter(Appointment, columns, now=timezone.now())
    starts = timezone.now() + dt.timedelta(days=400)
    first = reserve_ids(Appointment, 2)
    row = (first, location.pk, patient.pk, kind.pk, therapist.pk, room.pk, starts,
           starts + dt.timedelta(minutes=30), therapist.pk)  # fmt: skip
    assert writer.write([row]) == 1
    written = Appointment.objects.get(pk=first)
    assert written.status == "booked" and written.notes == "" and written.series_id is None
    assert written.created_at is not None
    # A row the table's CHECK constraint refuses is refused (ends before it starts).
    bad = (first + 1, *row[1:6], starts, starts - dt.timedelta(minutes=30), therapist.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        writer.write([bad])
    assert not Appointment.objects.filter(pk=first + 1).exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_bench_writes_every_session_row(demo, tmp_path, capsys, fmt):
    from bench import export

    seed_scale(patients=10, sessions=120, log=lambda _: None)
    path = tmp_path / f"out.{fmt}"
    assert export.main([fmt, str(path)]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["rows"] == SessionRecord.objects.count() >= 120
    assert path.stat().st_size > 0
    # The high-water mark of this process, in MB: more than nothing, less than the machine.
    assert 10 < figures["peak_rss_mb"] < 24 * 1024


def test_seeded_plans_are_approved_by_the_engine_and_rollups_stay_right(demo):
    from clinic.reports import rollups
    from clinic.reports.filters import Filters
    from clinic.reports.registry import get_report
    from needling.plans.screening import screen_plan

    seed_scale(patients=40, sessions=300, log=lambda _: None)
    plans = TreatmentPlan.objects.filter(patient__notes=SCALE_TAG)
    approved = plans.filter(status="approved")
    assert approved.count() > 20  # most are clear on their planned date
    heavy = plans.get(patient__first_name="Benchmark", patient__last_name="Heavy")
    assert heavy.status == "draft"  # its editor stays a key path
    for plan in approved[:5]:
        # The stored snapshot is what the engine says of the plan now, as at approval.
        fresh = screen_plan(plan)
        assert plan.snapshot["result"] == fresh.result.to_dict()
        assert plan.snapshot["case"] == fresh.case
        assert plan.cpt_code == fresh.result.cpt_code
        assert plan.approved_by_id == plan.practitioner_id
    # The COPY rows went in with the triggers on (on PostgreSQL without their course
    # statements, the courses built after: bench.scale._courses_rebuilt_after); a reset lifts
    # them, then rebuilds.
    assert rollups.rollup_check() == []
    if connection.vendor == "postgresql":  # the full triggers are back for later writes
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT prosrc FROM pg_proc WHERE proname = %s",
                [f"report_rollup_{rollups.SESSIONS}_insert"],
            )
            assert rollups.COURSES in cursor.fetchone()[0]
    seed_scale(patients=30, sessions=200, reset=True, log=lambda _: None)
    assert rollups.rollup_check() == []
    # The outcomes report finds the approved plans' courses.
    signed = SessionRecord.objects.filter(plan__status="approved")
    days = signed.order_by("session_date").values_list("session_date", flat=True)
    f = Filters(start=days.first(), end=days.last())
    assert get_report("outcomes").count(f) > 0


LOCUST_STATS = "\n".join(
    [
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
        "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
        "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%",
        "GET,floor: password_change_done,100,0,10,11,5,40,900,3.3,0.0,"
        "10,11,12,13,15,20,25,30,40,40,40",
        'GET,"report activity, one year",50,1,30,33,20,90,9000,1.6,0.03,'
        "30,31,33,35,40,60,80,90,90,90,90",
        ",Aggregated,150,1,12,18,5,90,3000,5.0,0.03,12,14,16,20,30,50,70,80,90,90,90",
    ]
)


def test_load_entries_read_locust_statistics(tmp_path):
    from bench.load import _entries, _read_stats

    (tmp_path / "u_stats.csv").write_text(LOCUST_STATS + "\n")
    entries = {e.name: e for e in _entries(10, _read_stats(str(tmp_path / "u")), 30)}
    report = entries["load 10 users: report activity, one year"]
    assert (report.p50_ms, report.p95_ms, report.ratio_to_floor) == (30.0, 60.0, 3.0)
    assert report.value == 1.6 and "1 failed" in report.note and "p99 90" in report.note
    total = entries["load 10 users: all requests"]
    assert total.value == 5.0 and "150 requests, 1 failed" in total.note


def test_load_stage_keeps_to_its_ports():
    from bench.load import measure_load

    with pytest.raises(ValueError, match="8800-8809"):
        measure_load(users=(1,), seconds=1, port=8000)
