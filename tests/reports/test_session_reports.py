"""Reports built on DN session notes: sessions export, Outcomes, Safety, Activity, Compliance."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.reports import exports
from clinic.reports.filters import Filters
from clinic.reports.registry import get_report
from clinic.staff.roles import Role
from needling.plans import services as plans
from needling.plans.models import TreatmentPlan
from needling.sessions.models import AdverseEvent, SessionAccessLog, SessionRecord
from tests.booking.factories import AppointmentFactory
from tests.factories import (
    ConditionFactory,
    ConsentFactory,
    PatientFactory,
    ScreeningFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

JUNE = Filters(start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30))


def plan_for(therapist, patient, location, icd="M54.2", description="Neck pain"):
    plan = plans.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient, icd10_code=icd, description=description),
        planned_date=dt.date(2026, 6, 20),
        location=location,
    )
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        status="approved",
        approved_by=therapist,
        approved_at=timezone.now(),
        snapshot={"case": 1},
        cpt_code="20560",
    )
    return plan


def session(
    plan,
    day,
    *,
    before=None,
    after=None,
    events=(),
    signed=True,
    opened=2,
    disposed=2,
    note="",
    cpt="20560",
):
    appointment = AppointmentFactory(
        therapist=plan.practitioner,
        location=plan.location,
        patient=plan.patient,
        starts_at=dt.datetime(2026, 6, day, 17, tzinfo=dt.UTC),
    )
    record = SessionRecord.objects.create(
        appointment=appointment,
        plan=plan,
        patient=plan.patient,
        practitioner=plan.practitioner,
        location=plan.location,
        session_date=dt.date(2026, 6, day),
        questionnaire=ScreeningFactory(patient=plan.patient),
        consent=ConsentFactory(patient=plan.patient),
        nprs_before=before,
        nprs_after=after,
        needles_opened=opened,
        needles_disposed=disposed,
        needle_incident_note=note,
    )
    for kind, severity in events:
        AdverseEvent.objects.create(session=record, kind=kind, severity=severity)
    if signed:
        SessionRecord.objects.filter(pk=record.pk).update(
            status="signed", signed_at=timezone.now(), signed_by=plan.practitioner, cpt_code=cpt
        )
    return record


def test_outcomes_share_reaching_mcid_and_median_change(frozen, therapist, location):
    better = plan_for(therapist, PatientFactory(), location)
    session(better, 2, before=7, after=5)
    session(better, 9, before=5, after=4)  # 7 -> 4: improved by 3, MCID reached
    same = plan_for(therapist, PatientFactory(), location, icd="M79.1", description="Myalgia")
    session(same, 3, before=6, after=6)
    session(same, 10, before=6, after=5)  # 6 -> 5: 1 point, not reached
    session(same, 11, before=1, after=0, signed=False)  # drafts are not counted
    other = UserFactory(role=Role.THERAPIST, username="other")
    theirs = plan_for(other, PatientFactory(), location)
    session(theirs, 4, before=8, after=3)
    page = get_report("outcomes").page(JUNE)
    assert dict(page["summary"])["Courses with NPRS recorded"] == 3
    assert dict(page["summary"])["Reached the MCID"] == "2 (67%)"
    assert dict(page["summary"])["Median change"] == 3
    per_condition = {row[0]: row[1:] for row in page["table"]["rows"]}
    assert per_condition["M54.2 Neck pain"] == (2, 2, "100%", 4.0)
    assert per_condition["M79.1 Myalgia"] == (1, 0, "0%", 1)
    per_therapist = {row[0]: row[1:] for row in page["extra_tables"][0]["rows"]}
    assert per_therapist[therapist.username] == (2, 1, "50%", 2.0)
    assert per_therapist["other"] == (1, 1, "100%", 5)
    only_other = get_report("outcomes").page(
        Filters(start=JUNE.start, end=JUNE.end, therapist_id=other.pk)
    )
    assert dict(only_other["summary"])["Courses with NPRS recorded"] == 1


def test_safety_rates_per_100_sessions_beside_reference_and_major_events(
    frozen, therapist, location
):
    plan = plan_for(therapist, PatientFactory(last_name="Safe"), location)
    session(plan, 2, events=[("bruising", "mild")])
    session(plan, 3, events=[("bruising", "mild"), ("pain_after", "moderate")])
    session(plan, 4, events=[("pneumothorax", "severe")])
    session(
        plan, 5, opened=3, disposed=2, note="One needle dropped, found on the floor and disposed."
    )
    session(plan, 6, events=[("bleeding", "mild")], signed=False)
    page = get_report("safety").page(JUNE)
    summary = dict(page["summary"])
    assert summary["Signed sessions"] == 4
    assert summary["Sessions with a minor event per 100"].startswith("50.00 (Brady 2014 mild: 19.2")
    assert summary["Sessions with a major event per 100"].startswith("25.00 ")
    assert summary["Needle-count incidents"] == 1
    rows = {row[0]: row[1:] for row in page["table"]["rows"]}
    assert rows["Bruising"] == (2, 0, 0, 2, "50.00", 7.6)
    assert rows["Pain after treatment"] == (0, 1, 0, 1, "25.00", 2.2)
    assert rows["Bleeding"] == (0, 0, 0, 0, "0.00", 4.7)
    assert rows["Pneumothorax"] == (0, 0, 1, 1, "25.00", "–")
    major = page["extra_tables"][1]["rows"]
    assert [(r[3], r[4], r[5]) for r in major] == [
        (f"Safe, {plan.patient.first_name}", "Pneumothorax", "severe")
    ]
    assert len(list(get_report("safety").rows(JUNE))) == 4


def test_activity_counts_sessions_per_week_and_cpt_codes(frozen, therapist, location):
    plan = plan_for(therapist, PatientFactory(), location)
    session(plan, 1)  # Monday 1 June
    session(plan, 3, cpt="20561")
    session(plan, 9)
    session(plan, 10, signed=False)
    page = get_report("activity").page(JUNE)
    weekly, cpt = page["extra_tables"]
    assert weekly["rows"] == [
        ("2026-06-01", therapist.username, 2),
        ("2026-06-08", therapist.username, 2),
    ]
    assert cpt["rows"] == [("20560", "1 or 2 muscles", 2), ("20561", "3 or more muscles", 1)]


def test_compliance_lists_notes_unsigned_after_24_hours(frozen, therapist, location):
    plan = plan_for(therapist, PatientFactory(last_name="Pending"), location)
    old = session(plan, 15, signed=False)
    SessionRecord.objects.filter(pk=old.pk).update(created_at=frozen - dt.timedelta(hours=25))
    session(plan, 16, signed=False)  # opened just now: not overdue
    rows = [r for r in get_report("compliance").rows(JUNE) if r[0].startswith("Note unsigned")]
    assert rows == [
        (
            "Note unsigned after 24 hours",
            therapist.username,
            f"Pending, {plan.patient.first_name}",
            dt.date(2026, 6, 15),
        )
    ]


def test_access_log_includes_session_note_reads(frozen, manager_client, therapist, location):
    plan = plan_for(therapist, PatientFactory(), location)
    note = session(plan, 15)
    SessionAccessLog.objects.create(session=note, user=therapist)
    response = manager_client.get(
        reverse("reports:report", kwargs={"slug": "access"}),
        {"start": "2026-06-15", "end": "2026-06-21", "patient": str(plan.patient.pk)},
    )
    assert response.context["page"]["who"] == [(therapist.get_full_name(), therapist.username, 1)]
    assert "Read the session note of 2026-06-15" in response.content.decode()


def test_session_rows_export_one_row_per_session(frozen, therapist, location, tmp_path):
    plan = plan_for(therapist, PatientFactory(last_name="Rows"), location)
    for day in (2, 3, 4):
        session(plan, day, before=5, after=3)
    report = get_report("sessions")
    buffer = io.BytesIO()
    assert exports.write_csv(report, JUNE, buffer) == 3
    lines = list(csv.reader(io.StringIO(buffer.getvalue().decode())))
    assert lines[0] == list(report.columns)
    assert lines[1][1:10] == [
        "2026-06-02",
        location.name,
        therapist.username,
        "Rows",
        plan.patient.first_name,
        "signed",
        "20560",
        "5",
        "3",
    ]
    assert exports.write_xlsx(report, JUNE, tmp_path / "s.xlsx") == 3


@pytest.mark.parametrize("slug", ["sessions", "outcomes", "safety"])
def test_session_report_pages_and_exports(frozen, manager_client, therapist, location, slug):
    plan = plan_for(therapist, PatientFactory(), location)
    session(plan, 2, before=6, after=2, events=[("bruising", "mild")])
    params = {"start": "2026-06-01", "end": "2026-06-30"}
    page = manager_client.get(reverse("reports:report", kwargs={"slug": slug}), params)
    assert page.status_code == 200 and b"report-chart" in page.content
    for fmt in ["csv", "xlsx"] + (["pdf"] if slug == "safety" else []):
        response = manager_client.get(
            reverse("reports:export", kwargs={"slug": slug, "format": fmt}), params
        )
        assert response.status_code == 200, fmt


def test_the_weekly_sessions_table_shows_its_first_rows_and_says_how_many(
    frozen, therapist, location, monkeypatch, manager_client
):
    from django.urls import reverse

    from clinic.reports import sessions as session_reports

    plan = plan_for(therapist, PatientFactory(), location)
    session(plan, 1)
    session(plan, 9)
    session(plan, 16)
    monkeypatch.setattr(session_reports, "PAGE_ROWS", 2)
    weekly = get_report("activity").page(JUNE)["extra_tables"][0]
    assert weekly["rows"] == [
        ("2026-06-01", therapist.username, 1),
        ("2026-06-08", therapist.username, 1),
    ]
    assert weekly["total"] == 3
    response = manager_client.get(
        reverse("reports:report", kwargs={"slug": "activity"}),
        {"start": "2026-06-01", "end": "2026-06-30"},
    )
    assert "The first 2 of 3 rows: choose a therapist or a shorter range" in response.text


def test_the_needle_incident_count_is_every_incident_not_the_listed_ones(
    frozen, therapist, location, monkeypatch
):
    from clinic.reports import sessions as session_reports

    monkeypatch.setattr(session_reports, "PAGE_ROWS", 2)
    plan = plan_for(therapist, PatientFactory(), location)
    for day in (2, 3, 4):
        session(plan, day, opened=3, disposed=2, note="One needle dropped and disposed.")
    session(plan, 5)  # counts agree: no incident
    page = get_report("safety").page(JUNE)
    assert dict(page["summary"])["Needle-count incidents"] == 3
    assert [row[0].day for row in page["extra_tables"][0]["rows"]] == [2, 3]
