"""A real Celery worker (prefork, on Redis) is killed in the middle of rendering a PDF plan, or
of writing an export: the message comes back (acks_late, reject_on_worker_lost) and finds the
job claimed, the sweep hands the job back and it runs again, and exactly one document (one
export) and one file come out.

Needs PostgreSQL (the worker process shares the test database) and REDIS_URL; CI has both.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from clinic.celery import app as celery_app
from needling.knowledge.models import Muscle
from needling.plans import services
from needling.plans import tasks as documents
from needling.plans.models import PlanDocument
from tests.factories import ConditionFactory
from tests.sessions.helpers import ready_patient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
REDIS_URL = os.environ.get("REDIS_URL")
ROOT = Path(__file__).resolve().parents[2]


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(autouse=True)
def fixed_day():
    """Real time here (instead of the plans' fixed day): the worker process shares the
    database, not a time machine."""
    yield None


@pytest.fixture
def plan(therapist, location):
    today = timezone.localdate()
    patient = ready_patient(therapist=therapist, on=today)
    plan = services.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient, recorded_by=therapist),
        planned_date=today,
        location=location,
    )
    services.plan_site_add(
        plan=plan, user=therapist, muscle=Muscle.objects.get(code="deltoid"), side="right"
    )
    return plan


@pytest.fixture
def worker(tmp_path):
    if connection.vendor != "postgresql" or not REDIS_URL:
        pytest.skip("needs PostgreSQL and REDIS_URL (CI has both)")
    storage = tmp_path / "private"  # where the plans' private_storage fixture points
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )
    marker, started = tmp_path / "slow", tmp_path / "started"
    marker.touch()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url,
        "CELERY_EAGER": "0",
        "PRIVATE_STORAGE_ROOT": str(storage),
        # Not a pytest-xdist worker: without this, tests.settings would move its private
        # files to a per-worker folder beside `storage`.
        "PYTEST_XDIST_WORKER": "",
        "DN_SLOW_RENDER_MARKER": str(marker),
        "DN_RENDER_STARTED": str(started),
    }
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.plans.slow_render_worker",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield {"storage": storage, "marker": marker, "started": started, "process": process}
    finally:
        celery_app.conf.task_always_eager = saved
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output)  # the worker's log, shown when the test fails
        celery_app.control.purge()


def test_a_worker_killed_mid_render_is_retried_and_yields_one_document(worker, plan, therapist):
    services.plan_approve(plan=plan, user=therapist)  # on_commit: the task goes to Redis
    document = PlanDocument.objects.get(plan=plan)

    # The worker claims the job and blocks in the render: kill that process.
    pid = int(
        wait_for(
            lambda: worker["started"].exists() and worker["started"].read_text(),
            60,
            "the render to start",
        )
    )
    document.refresh_from_db()
    assert (document.status, document.attempts) == ("running", 1)
    worker["marker"].unlink()  # later renders go straight through
    os.kill(pid, signal.SIGKILL)

    # The message comes back (acks_late + reject_on_worker_lost) and finds the job claimed;
    # the sweep hands back a job running past the task's time limit and sends it again.
    time.sleep(2)
    later = timezone.now() + documents.SWEEP_RUNNING_AFTER + dt.timedelta(minutes=1)
    assert documents.plan_documents_sweep(now=later) == 1
    done = wait_for(
        lambda: PlanDocument.objects.filter(pk=document.pk, status="done").first(),
        90,
        "the PDF to be rendered again",
    )
    assert done.attempts == 2
    assert PlanDocument.objects.filter(plan=plan).count() == 1
    pdfs = list(worker["storage"].rglob("*.pdf"))
    assert len(pdfs) == 1 and pdfs[0].read_bytes().startswith(b"%PDF-")
    assert worker["process"].poll() is None  # the worker itself lives on


def test_a_worker_killed_mid_export_is_retried_and_yields_one_file(worker, manager, location):
    from clinic.reports import jobs as reports_jobs
    from clinic.reports import services as reports_services
    from clinic.reports import tasks as reports_tasks
    from clinic.reports.filters import Filters
    from clinic.reports.models import ExportJob
    from tests.booking.factories import AppointmentFactory

    AppointmentFactory(location=location, starts_at=timezone.now() - dt.timedelta(days=1))
    today = timezone.localdate()
    job = reports_services.export_job_create(  # on_commit: the task goes to Redis
        manager=manager,
        report="activity",
        filters=Filters(start=today - dt.timedelta(days=7), end=today),
        format="csv",
        rows_total=1,
    )
    pid = int(
        wait_for(
            lambda: worker["started"].exists() and worker["started"].read_text(),
            60,
            "the export to start",
        )
    )
    assert ExportJob.objects.get(pk=job.pk).status == "running"
    worker["marker"].unlink()
    os.kill(pid, signal.SIGKILL)

    time.sleep(2)
    later = timezone.now() + reports_jobs.SWEEP_RUNNING_AFTER + dt.timedelta(minutes=1)
    assert reports_tasks.export_jobs_sweep(now=later) == 1
    done = wait_for(
        lambda: ExportJob.objects.filter(pk=job.pk, status="done").first(),
        90,
        "the export to run again",
    )
    assert done.rows_done == 1
    files = list((worker["storage"] / "exports").iterdir())
    assert [f.name for f in files] == [f"{job.pk}.csv"]
    assert len(files[0].read_text().strip().splitlines()) == 2
    assert worker["process"].poll() is None
