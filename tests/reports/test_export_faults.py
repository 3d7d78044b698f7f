"""Faults: the broker is unreachable while a therapist approves a plan and a manager asks for
a large export; both succeed for the user, and when the broker is back each job runs exactly
once (one PDF, one export file). A job whose worker died is handed back and yields one file.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clinic.celery import app as celery_app
from clinic.reports import jobs, tasks
from clinic.reports.models import ExportJob
from needling.knowledge.models import Muscle
from needling.plans import services as plans
from needling.plans import tasks as documents
from needling.plans import tasks as plan_tasks
from needling.plans.models import PlanDocument
from tests.booking.factories import AppointmentFactory
from tests.factories import ConditionFactory
from tests.sessions.helpers import ready_patient

pytestmark = pytest.mark.django_db

QUERY = {"start": "2026-06-01", "end": "2026-06-30"}


@pytest.fixture
def storage(settings, tmp_path):
    root = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "clinic.common.storage.PrivateStorage",
            "OPTIONS": {"location": root},
        },
    }
    return root


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2026, 6, 17, 19, 0, tzinfo=dt.UTC), tick=True) as t:
        yield t


@pytest.fixture
def broker_down():
    """The Celery app pointed at a Redis that is not there, with eager mode off."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}

    def reset_pools():
        celery_app._pool = None
        amqp = celery_app.__dict__.get("amqp")
        if amqp is not None:
            amqp._producer_pool = None

    celery_app.conf.update(broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
    reset_pools()
    yield
    celery_app.conf.update(**saved)
    reset_pools()


def files(root, folder: str) -> list[str]:
    where = root / folder
    return sorted(p.name for p in where.rglob("*") if p.is_file()) if where.exists() else []


def _draft_plan(therapist, location):
    patient = ready_patient(therapist=therapist, on=timezone.localdate())
    plan = plans.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient, recorded_by=therapist),
        planned_date=timezone.localdate(),
        location=location,
    )
    plans.plan_site_add(
        plan=plan, user=therapist, muscle=Muscle.objects.get(code="deltoid"), side="left"
    )
    return plan


def test_approval_and_a_large_export_succeed_while_the_broker_is_down_and_run_once_later(
    clock,
    storage,
    broker_down,
    therapist,
    location,
    therapist_client,
    manager_client,
    settings,
    django_capture_on_commit_callbacks,
    caplog,
):
    settings.REPORTS_EXPORT_ASYNC_ROWS = 2
    for hour in (15, 16, 17):
        AppointmentFactory(
            therapist=therapist,
            location=location,
            starts_at=dt.datetime(2026, 6, 10, hour, tzinfo=dt.UTC),
        )
    plan = _draft_plan(therapist, location)

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        approve = therapist_client.post(reverse("needling:plan_approve", kwargs={"pk": plan.pk}))
    with django_capture_on_commit_callbacks(execute=True):
        export = manager_client.get(
            reverse("reports:export", kwargs={"slug": "activity", "format": "csv"}), QUERY
        )
    assert time.monotonic() - started < 20  # neither request hangs on the dead broker
    # Both succeed for the user.
    assert approve.status_code == 302 and export.status_code == 302
    job = ExportJob.objects.get()
    assert export.url == reverse("reports:job", kwargs={"pk": job.pk})
    assert manager_client.get(export.url).status_code == 200
    document = PlanDocument.objects.get(plan=plan)
    assert (document.status, job.status) == ("pending", "pending")
    assert document.enqueued_at is not None and job.enqueued_at is not None
    assert caplog.text.count("broker is unreachable") == 2

    # Still down a few minutes later: the sweeps try, log, and both jobs stay pending.
    clock.shift(dt.timedelta(minutes=2))
    assert documents.plan_documents_sweep() == 0
    assert tasks.export_jobs_sweep() == 0
    assert ExportJob.objects.get().status == "pending"
    assert PlanDocument.objects.get(plan=plan).status == "pending"

    # The broker is back (eager mode stands in for the worker): each sweep sends its job.
    celery_app.conf.update(task_always_eager=True)
    clock.shift(dt.timedelta(minutes=2))
    assert plan_tasks.plan_documents_sweep_task.delay().get() == 1
    assert tasks.export_jobs_sweep_task.delay().get() == 1
    # ... exactly once: later sweeps find nothing to send.
    clock.shift(dt.timedelta(minutes=2))
    assert plan_tasks.plan_documents_sweep_task.delay().get() == 0
    assert tasks.export_jobs_sweep_task.delay().get() == 0

    document.refresh_from_db()
    job.refresh_from_db()
    assert (document.status, document.attempts) == ("done", 1)
    assert (job.status, job.rows_done, job.rows_total) == ("done", 3, 3)
    assert len(files(storage, "exports")) == 1
    assert len([n for n in files(storage, "plans") if n.endswith(".pdf")]) == 1
    download = manager_client.get(reverse("reports:job_download", kwargs={"pk": job.pk}))
    assert len(b"".join(download.streaming_content).decode().strip().splitlines()) == 4


def test_an_export_whose_worker_died_is_handed_back_and_yields_one_file(
    clock, storage, manager, therapist, location
):
    from clinic.reports.filters import Filters

    AppointmentFactory(
        therapist=therapist,
        location=location,
        starts_at=dt.datetime(2026, 6, 10, 15, tzinfo=dt.UTC),
    )
    job = ExportJob.objects.create(
        manager=manager,
        report="activity",
        format="csv",
        filters=Filters(start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30)).to_json(),
        rows_total=1,
    )
    # A worker claimed it, wrote part of the file, and was killed.
    ExportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    (storage / "exports").mkdir(parents=True)
    (storage / "exports" / f"{job.pk}.csv").write_text("Date,Sta")
    # The message comes back (acks_late): the job is claimed already, so it is skipped ...
    assert jobs.export_job_run(job_id=job.pk) == "skipped"
    # ... and the sweep leaves a job alone while its worker may still be running.
    assert tasks.export_jobs_sweep() == 0
    clock.shift(jobs.SWEEP_RUNNING_AFTER + dt.timedelta(minutes=1))
    assert tasks.export_jobs_sweep() == 1  # handed back and sent (eager: run now)
    job.refresh_from_db()
    assert (job.status, job.rows_done) == ("done", 1)
    assert files(storage, "exports") == [f"{job.pk}.csv"]
    body = (storage / "exports" / f"{job.pk}.csv").read_text().splitlines()
    assert body[0].startswith("Date,Start") and len(body) == 2
    assert tasks.export_jobs_sweep() == 0


def test_the_sweep_waits_longer_than_the_task_may_run_and_is_on_the_beat(settings):
    assert jobs.SWEEP_RUNNING_AFTER.total_seconds() > tasks.export_job_run_task.time_limit
    entry = settings.CELERY_BEAT_SCHEDULE["reports-export-sweep"]
    assert entry["task"] == tasks.export_jobs_sweep_task.name and entry["schedule"] <= 60
