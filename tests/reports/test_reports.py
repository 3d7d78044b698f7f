"""Reports: the numbers, the filters, the exports, the jobs and the access rules."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from clinic.reports import exports
from clinic.reports import jobs as services
from clinic.reports.filters import Filters
from clinic.reports.models import ExportJob
from clinic.reports.registry import get_report
from clinic.staff.roles import Role
from patients.models import PatientAccessLog
from tests.booking.factories import AppointmentFactory
from tests.factories import (
    CertificationFactory,
    ConditionFactory,
    ConsentFactory,
    LicenceFactory,
    LocationFactory,
    PatientFactory,
    UserFactory,
)
from tests.hypothesis_profiles import examples

pytestmark = pytest.mark.django_db

JUNE = Filters(start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30))


def at(day: int, hour: int = 17) -> dt.datetime:
    return dt.datetime(2026, 6, day, hour, tzinfo=dt.UTC)


def appointments(therapist, location, statuses, day=10):
    for i, status in enumerate(statuses):
        AppointmentFactory(
            therapist=therapist,
            location=location,
            status=status,
            cancel_reason="Patient ill" if status == "cancelled" else "",
            starts_at=at(day + i // 6, 15 + i % 6),
        )


def test_activity_counts_and_rates_per_therapist(frozen, therapist, location):
    other = UserFactory(role=Role.THERAPIST, username="second")
    appointments(therapist, location, ["completed", "completed", "cancelled", "no_show"])
    appointments(other, LocationFactory(), ["completed", "booked"])
    AppointmentFactory(
        therapist=therapist, location=location, starts_at=at(1) - dt.timedelta(days=5)
    )
    report = get_report("activity")
    page = report.page(JUNE)
    assert dict(page["summary"])["Booked"] == 6
    rows = {row[0]: row for row in page["table"]["rows"]}
    mine = rows[therapist.get_full_name()]
    assert mine[1:5] == (4, 2, 1, 1)
    assert mine[5:] == ("50.0%", "25.0%", "25.0%")
    by_location = report.page(Filters(start=JUNE.start, end=JUNE.end, location_id=location.pk))
    assert dict(by_location["summary"])["Booked"] == 4
    by_therapist = report.page(Filters(start=JUNE.start, end=JUNE.end, therapist_id=other.pk))
    assert dict(by_therapist["summary"])["Booked"] == 2
    assert report.count(JUNE) == 6


def test_overrides_list_who_when_patient_and_reason(frozen, therapist, location):
    from needling.plans import services as plans
    from needling.plans.models import PlanOverride

    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    plan = plans.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient),
        planned_date=dt.date(2026, 6, 20),
    )
    PlanOverride.objects.create(
        plan=plan,
        rule="diabetes",
        reason="Stable HbA1c, reviewed with the GP, no neuropathy.",
        recorded_by=therapist,
    )
    rows = list(get_report("overrides").rows(JUNE))
    assert rows == [
        (
            "2026-06-17 12:00",
            therapist.username,
            "Lovelace, Ada",
            "diabetes",
            "Stable HbA1c, reviewed with the GP, no neuropathy.",
            str(plan.pk),
        )
    ]
    assert (
        get_report("overrides")
        .rows(Filters(start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31)))
        .__next__
        is not None
    )
    assert (
        list(
            get_report("overrides").rows(
                Filters(start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31))
            )
        )
        == []
    )


def test_compliance_lists_expiring_consents_and_credentials(frozen, therapist):
    soon = PatientFactory(last_name="Soon")
    ConsentFactory(patient=soon, signed_on=dt.date(2025, 7, 1))  # expires 2026-07-01
    renewed = PatientFactory(last_name="Renewed")
    ConsentFactory(patient=renewed, signed_on=dt.date(2025, 7, 1))
    ConsentFactory(patient=renewed, signed_on=dt.date(2026, 6, 1))
    ConsentFactory(patient=PatientFactory(last_name="Later"), signed_on=dt.date(2025, 9, 1))
    LicenceFactory(user=therapist, state="OR", expires_on=dt.date(2026, 8, 1))
    LicenceFactory(user=therapist, state="NV", expires_on=dt.date(2026, 12, 1))
    lapsing = UserFactory(role=Role.THERAPIST, username="lapsing")
    CertificationFactory(
        user=lapsing, certified_on=dt.date(2024, 1, 1), valid_until=dt.date(2026, 7, 10)
    )
    rows = list(get_report("compliance").rows(JUNE))
    kinds = [(row[0], row[1]) for row in rows]
    assert ("Consent expiring", f"Soon, {soon.first_name}") in kinds
    assert not any("Renewed" in who or "Later" in who for _, who in kinds)
    assert ("Licence expiring", therapist.username) in kinds
    assert ("DN certification expiring", "lapsing") in kinds
    assert len(rows) == 3


def test_compliance_lists_plans_whose_approver_has_since_lapsed(frozen, therapist):
    from needling.plans.models import TreatmentPlan

    patient = PatientFactory(last_name="Approved")
    lapsed = UserFactory(role=Role.THERAPIST, username="lapsed")
    CertificationFactory(
        user=lapsed, certified_on=dt.date(2024, 1, 1), valid_until=dt.date(2026, 6, 5)
    )
    from needling.plans import services as plans

    plan = plans.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient),
        planned_date=dt.date(2026, 6, 20),
    )
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        status="approved",
        approved_by=lapsed,
        approved_at=at(3),
        snapshot={"case": 1},
        cpt_code="20560",
    )
    other = plans.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient),
        planned_date=dt.date(2026, 6, 20),
    )
    TreatmentPlan.objects.filter(pk=other.pk).update(
        status="approved",
        approved_by=therapist,
        approved_at=at(3),
        snapshot={"case": 1},
        cpt_code="20560",
    )
    rows = [r for r in get_report("compliance").rows(JUNE) if r[0].startswith("Plan approved")]
    assert rows == [
        (
            "Plan approved, certification since lapsed",
            "lapsed",
            f"Approved, {patient.first_name}",
            dt.date(2026, 6, 3),
        )
    ]


def test_access_log_answers_who_saw_this_patient_last_week(
    frozen, manager_client, therapist, front_desk
):
    patient = PatientFactory()
    other = PatientFactory()
    for user, day in ((therapist, 10), (therapist, 11), (front_desk, 12)):
        row = PatientAccessLog.objects.create(patient=patient, user=user)
        PatientAccessLog.objects.filter(pk=row.pk).update(accessed_at=at(day))
    old = PatientAccessLog.objects.create(patient=patient, user=front_desk)
    PatientAccessLog.objects.filter(pk=old.pk).update(accessed_at=at(1))
    PatientAccessLog.objects.create(patient=other, user=front_desk)
    url = reverse("reports:report", kwargs={"slug": "access"})
    response = manager_client.get(
        url, {"start": "2026-06-08", "end": "2026-06-14", "patient": str(patient.pk)}
    )
    assert response.status_code == 200
    who = response.context["page"]["who"]
    assert who == [
        (therapist.get_full_name(), therapist.username, 2),
        (front_desk.get_full_name(), front_desk.username, 1),
    ]
    assert f"{therapist.username}): 2 times" in response.content.decode()


def test_changes_report_finds_a_patients_records(frozen, manager_client, manager):
    from auditlog.context import set_actor

    with set_actor(manager):
        patient = PatientFactory(last_name="Audited")
        ConsentFactory(patient=patient)
        PatientFactory(last_name="Elsewhere")
    rows = list(
        get_report("changes").rows(Filters(start=JUNE.start, end=JUNE.end, patient_id=patient.pk))
    )
    types = sorted(row[3] for row in rows)
    assert types == ["consent", "patient"]
    assert all(row[1] == manager.username for row in rows)
    by_user = list(
        get_report("changes").rows(Filters(start=JUNE.start, end=JUNE.end, user_id=manager.pk))
    )
    assert len(by_user) >= 3


def test_report_pages_take_a_fixed_number_of_queries(
    frozen, manager_client, therapist, location, django_assert_num_queries
):
    appointments(therapist, location, ["completed"] * 3)
    url = reverse("reports:report", kwargs={"slug": "activity"})
    params = {"start": "2026-06-01", "end": "2026-06-30"}
    manager_client.get(url, params)
    # session, user, permissions (2), the per-therapist counts (the roll-up's whole UTC days,
    # the appointments of the partial days at the edges, the therapists' names), the user's
    # groups (nav role), DN sessions per therapist per week (the roll-up's first 100 weekly
    # groups with their number and the CPT totals), location choices, therapist choices (one
    # plain query each: clinic.common.widgets.load_model_choices); the warm-up renewed the
    # session, so no session save within the minute
    with django_assert_num_queries(11) as small:
        manager_client.get(url, params)
    appointments(therapist, location, ["cancelled"] * 20, day=12)
    with django_assert_num_queries(len(small.captured_queries)):
        manager_client.get(url, params)


def _page_queries(client, slug: str) -> tuple[int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("reports:report", kwargs={"slug": slug})
    params = {"start": "2026-06-01", "end": "2026-06-30"}
    client.get(url, params)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured), response


def _fill(slug: str, n: int, therapist) -> None:
    """n rows for the report's table in June 2026."""
    if slug == "compliance":  # consents running out within 30 days of 17 June
        for _ in range(n):
            ConsentFactory(patient=PatientFactory(), signed_on=dt.date(2025, 7, 1))
    elif slug == "access":  # patient page views and session note reads
        from needling.sessions.models import SessionAccessLog

        patient = PatientFactory()
        PatientAccessLog.objects.bulk_create(
            PatientAccessLog(patient=patient, user=therapist, accessed_at=at(10)) for _ in range(n)
        )
        assert SessionAccessLog.objects.count() == 0  # none: the notes query runs anyway
    else:  # changes: audit log entries (each patient created is logged)
        for _ in range(n):
            PatientFactory()


@pytest.mark.parametrize("slug", ["compliance", "changes", "access"])
def test_report_tables_show_the_first_100_rows_in_a_fixed_number_of_queries(
    frozen, manager_client, therapist, slug
):
    _fill(slug, 3, therapist)
    few, _ = _page_queries(manager_client, slug)
    _fill(slug, 120, therapist)
    many, response = _page_queries(manager_client, slug)
    assert many == few
    table = response.context["page"]["table"]
    assert len(table["rows"]) == 100
    assert table["total"] >= 123
    assert f"(the first 100 of {table['total']}; export for all)" in response.content.decode()


def test_the_compliance_page_counts_every_item_and_exports_them_all(frozen, manager_client):
    for _ in range(105):
        ConsentFactory(patient=PatientFactory(), signed_on=dt.date(2025, 7, 1))
    LicenceFactory(expires_on=dt.date(2026, 8, 1))
    _, response = _page_queries(manager_client, "compliance")
    page = response.context["page"]
    # Exact counts per kind though the table stops at 100 rows.
    assert page["summary"] == [("Consent expiring", 105), ("Licence expiring", 1)]
    assert page["table"]["total"] == 106
    assert len(list(get_report("compliance").rows(JUNE))) == 106


@pytest.mark.parametrize("slug", ["activity", "overrides", "compliance", "changes", "access"])
def test_every_report_page_and_export_works(frozen, manager_client, slug):
    AppointmentFactory(starts_at=at(10))
    url = reverse("reports:report", kwargs={"slug": slug})
    assert manager_client.get(url).status_code == 200
    formats = ["csv", "xlsx"] + (["pdf"] if get_report(slug).pdf else [])
    for fmt in formats:
        response = manager_client.get(
            reverse("reports:export", kwargs={"slug": slug, "format": fmt}),
            {"start": "2026-06-01", "end": "2026-06-30"},
        )
        assert response.status_code == 200, fmt
        assert "attachment" in response["Content-Disposition"]
    if "pdf" not in formats:
        assert (
            manager_client.get(
                reverse("reports:export", kwargs={"slug": slug, "format": "pdf"})
            ).status_code
            == 404
        )


def test_csv_and_xlsx_writers_stream_every_row(frozen, therapist, location, tmp_path):
    appointments(therapist, location, ["completed"] * 5 + ["=cmd|' /C calc'!A0"] * 0)
    report = get_report("activity")
    buffer = io.BytesIO()
    assert exports.write_csv(report, JUNE, buffer) == 5
    lines = list(csv.reader(io.StringIO(buffer.getvalue().decode())))
    assert lines[0] == list(report.columns) and len(lines) == 6
    path = tmp_path / "a.xlsx"
    assert exports.write_xlsx(report, JUNE, path) == 5
    sheet = load_workbook(path, read_only=True).active
    assert sum(1 for _ in sheet.iter_rows()) == 6


def test_spreadsheet_formulas_are_neutralised(frozen, therapist):
    from needling.plans import services as plans
    from needling.plans.models import PlanOverride

    patient = PatientFactory()
    plan = plans.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient),
        planned_date=dt.date(2026, 6, 20),
    )
    PlanOverride.objects.create(
        plan=plan,
        rule="diabetes",
        reason='=HYPERLINK("http://example.com", "reviewed with the GP today")',
        recorded_by=therapist,
    )
    buffer = io.BytesIO()
    exports.write_csv(get_report("overrides"), JUNE, buffer)
    assert "'=HYPERLINK" in buffer.getvalue().decode()


def test_large_export_becomes_a_job_with_progress_and_private_download(
    frozen,
    manager_client,
    manager,
    therapist,
    location,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.REPORTS_EXPORT_ASYNC_ROWS = 3
    appointments(therapist, location, ["completed"] * 5)
    url = reverse("reports:export", kwargs={"slug": "activity", "format": "csv"})
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.get(url, {"start": "2026-06-01", "end": "2026-06-30"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "reports:job", kwargs={"pk": job.pk}
    )
    assert (job.status, job.rows_total, job.rows_done, job.manager) == ("done", 5, 5, manager)
    page = manager_client.get(response.url, HTTP_HX_REQUEST="true")
    assert b"100%" in page.content and b"Download" in page.content
    download = manager_client.get(reverse("reports:job_download", kwargs={"pk": job.pk}))
    body = b"".join(download.streaming_content).decode()
    assert len(body.strip().splitlines()) == 6
    other_manager = UserFactory(role=Role.MANAGER)
    manager_client.force_login(other_manager)
    assert (
        manager_client.get(reverse("reports:job_download", kwargs={"pk": job.pk})).status_code
        == 404
    )


def test_a_pending_job_polls_and_a_failed_one_says_why(frozen, manager_client, manager):
    job = ExportJob.objects.create(
        manager=manager,
        report="activity",
        format="csv",
        filters=JUNE.to_json(),
        rows_total=10,
        rows_done=4,
    )
    response = manager_client.get(reverse("reports:job", kwargs={"pk": job.pk}))
    assert b'hx-trigger="every 1s"' in response.content and b"40%" in response.content
    services.export_job_fail(job_id=job.pk, error="disk full")
    response = manager_client.get(reverse("reports:job", kwargs={"pk": job.pk}))
    assert b"disk full" in response.content and b"hx-trigger" not in response.content
    assert services.export_job_run(job_id=job.pk) == "skipped"


def test_exports_are_purged_after_seven_days(frozen, manager):
    from django.core.files.base import ContentFile

    old = ExportJob(manager=manager, report="activity", format="csv", status="done")
    old.file_name = default_storage.save(f"exports/{old.pk}.csv", ContentFile(b"x"))
    old.save()
    ExportJob.objects.filter(pk=old.pk).update(created_at=frozen - dt.timedelta(days=8))
    fresh = ExportJob.objects.create(manager=manager, report="activity", format="csv")
    assert services.export_jobs_purge() == 1
    assert not default_storage.exists(old.file_name)
    assert list(ExportJob.objects.all()) == [fresh]


def test_plan_pdf_download_is_in_the_access_log(frozen, therapist_client, therapist):
    from needling.knowledge.models import Muscle
    from needling.plans import documents
    from needling.plans import services as plans
    from tests.factories import ScreeningFactory

    patient = PatientFactory()
    ScreeningFactory(patient=patient, taken_on=dt.date(2026, 6, 17))
    ConsentFactory(patient=patient, signed_on=dt.date(2026, 6, 17))
    plan = plans.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient),
        planned_date=dt.date(2026, 6, 17),
    )
    plans.plan_site_add(
        plan=plan, user=therapist, muscle=Muscle.objects.get(code="deltoid"), side="left"
    )
    approved = plans.plan_approve(plan=plan, user=therapist)
    documents.plan_document_render(document_id=approved.document.pk)
    response = therapist_client.get(
        reverse("needling:plan_document_download", kwargs={"pk": plan.pk})
    )
    assert response.status_code == 200
    assert (
        PatientAccessLog.objects.filter(patient=patient, user=therapist, action="plan_pdf").count()
        == 1
    )


def test_audit_reports_need_the_audit_permission(frozen, client):
    from django.contrib.auth.models import Permission

    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_reports"))
    client.force_login(user)
    assert client.get(reverse("reports:report", kwargs={"slug": "activity"})).status_code == 200
    # A report the user may not read is the same 404 as one that does not exist.
    refused = client.get(reverse("reports:report", kwargs={"slug": "access"}))
    missing = client.get(reverse("reports:report", kwargs={"slug": "nope"}))
    assert refused.status_code == missing.status_code == 404
    assert refused.content == missing.content
    export = reverse("reports:export", kwargs={"slug": "access", "format": "csv"})
    assert client.get(export).status_code == 404


def test_bad_filters_name_the_field(frozen, manager_client):
    url = reverse("reports:report", kwargs={"slug": "activity"})
    response = manager_client.get(url, {"start": "2026-06-30", "end": "2026-06-01"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "end": ["The end date must be on or after the start date."]
    }
    response = manager_client.get(url, {"location": "999999"})
    assert "location" in response.context["form"].errors


text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["2026-02-30", "9999-99-99", "-1", "0", "1e9", str(uuid.uuid4())]),
)


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    start=text,
    end=text,
    location=text,
    therapist=text,
    patient=text,
    user=text,
    slug=st.sampled_from(["activity", "access", "compliance"]),
)
def test_any_filter_input_gives_a_page_or_a_message_never_a_500(
    manager_client, start, end, location, therapist, patient, user, slug
):
    params = {
        "start": start,
        "end": end,
        "location": location,
        "therapist": therapist,
        "patient": patient,
        "user": user,
    }
    params = {k: v.replace("\x00", "") for k, v in params.items()}
    response = manager_client.get(reverse("reports:report", kwargs={"slug": slug}), params)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.context["form"].errors
    export = manager_client.get(
        reverse("reports:export", kwargs={"slug": slug, "format": "csv"}), params
    )
    assert export.status_code in (200, 400)
