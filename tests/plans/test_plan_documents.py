"""The PDF plan: a Celery job whose state is a table row, re-screened at the moment of printing."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core.files.storage import default_storage
from django.utils import timezone
from pypdf import PdfReader

from clinic.celery import app as celery_app
from needling.plans import documents, services, tasks
from needling.plans.models import PlanDocument
from needling.plans.screening import screen_plan
from tests.factories import ScreeningFactory
from tests.plans.conftest import REASON, TODAY, add

pytestmark = pytest.mark.django_db

DEEP_REASON = "Piriformis needled with ultrasound guidance and pressure held for two minutes."


def pdf_text(document: PlanDocument) -> str:
    with default_storage.open(document.file_name, "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def approve(django_capture_on_commit_callbacks):
    """Approve as the views do: the render task is sent when the transaction commits."""

    def _approve(plan, user):
        with django_capture_on_commit_callbacks(execute=True):
            services.plan_approve(plan=plan, user=user)
        return PlanDocument.objects.get(plan=plan)

    return _approve


@pytest.fixture
def warfarin_plan(plan, therapist, patient):
    ScreeningFactory(
        patient=patient,
        taken_on=TODAY,
        anticoagulant_drug="warfarin",
        vitamin_k_antagonist=True,
        inr="2.5",
        inr_on=TODAY - dt.timedelta(days=3),
    )
    add(plan, therapist, "upper_trapezius", "left", needle_gauge="0.16", needle_length_mm=15)
    add(plan, therapist, "gluteus_medius", "right", technique="estim", estim_hz=4, estim_minutes=10)
    add(plan, therapist, "piriformis", "right", needle_gauge="0.30", needle_length_mm=60)
    services.plan_override_record(plan=plan, user=therapist, rule="anticoagulant", reason=REASON)
    services.plan_override_record(
        plan=plan, user=therapist, rule="bleeding_risk_deep_site", reason=DEEP_REASON
    )
    return plan


def test_approval_renders_the_pdf_plan(warfarin_plan, therapist, approve):
    document = approve(warfarin_plan, therapist)
    assert (document.status, document.attempts, document.error) == ("done", 1, "")
    assert document.file_name == f"plans/{warfarin_plan.pk}/dn-plan-v1.pdf"
    text = flat(pdf_text(document))
    # Header, patient, condition, practitioner and certification, consent.
    assert "Mission District" in text
    assert "Zoë Whitaker" in text
    assert "M54.2 Cervicalgia" in text
    assert "Theresa Okafor" in text and "valid until 2028-01-14" in text
    assert "consent signed 2026-03-01" in text
    # Sites with needle specs, precautions and depth cautions.
    for expected in (
        "Upper trapezius",
        "Gluteus medius",
        "Piriformis",
        "0.16 x 15 mm",
        "0.30 x 60 mm",
        "4 Hz, 10 min",
        "Lung field",
        "lung apex lies close",
        "sciatic nerve",
    ):
        assert expected in text, expected
    # Findings and overrides with reasons; the approval stamp; CPT.
    assert "Anticoagulant" in text
    assert REASON in text
    assert DEEP_REASON in text
    assert "APPROVED by Theresa Okafor" in text
    assert "CPT 20561" in text
    # Page two: the aftercare sheet, with the lung warning for the trapezius site.
    assert "After your dry needling session" in text
    assert "24 to 48 hours" in text and "72 hours" in text
    assert "Bruising" in text and "Tiredness" in text
    assert "up to two days after the session" in text


def render_text(plan) -> tuple[str, PdfReader]:
    """Render the plan now, as the job does, and return the PDF's text and its reader."""
    plan = documents.load_plan_for_document(plan.pk)
    reader = PdfReader(io.BytesIO(documents.render_plan_pdf(plan, screen_plan(plan))))
    return flat("\n".join(page.extract_text() for page in reader.pages)), reader


def test_each_render_reflects_the_current_data_with_the_shared_fonts_and_stylesheet(
    plan, therapist, patient, location, approve
):
    add(plan, therapist, "deltoid", "right")
    approve(plan, therapist)
    setup = documents._pdf_setup()
    before, reader = render_text(plan)
    assert "Zoë Whitaker" in before and location.phone in before
    # The stylesheet parsed once still applies: US Letter pages, the footer with page numbers.
    assert [float(v) for v in reader.pages[0].mediabox[2:]] == [612, 792]
    assert f"page 1 of {len(reader.pages)}" in before

    patient.first_name = "Zoey"
    patient.save(update_fields=["first_name"])
    old_phone, location.phone = location.phone, "(555) 555-0199"
    location.save(update_fields=["phone"])
    after, _ = render_text(plan)
    assert documents._pdf_setup() is setup  # the same fonts and stylesheet were reused
    assert "Zoey Whitaker" in after and "Zoë Whitaker" not in after
    assert "(555) 555-0199" in after and old_phone not in after


def test_each_thread_gets_its_own_fonts_and_stylesheet():
    here = documents._pdf_setup()
    other = []
    thread = threading.Thread(target=lambda: other.append(documents._pdf_setup()))
    thread.start()
    thread.join()
    assert other[0] is not here and other[0][0] is not here[0]


def test_without_a_lung_risk_site_the_aftercare_has_no_lung_warning(plan, therapist, approve):
    add(plan, therapist, "gluteus_medius", "right")
    text = flat(pdf_text(approve(plan, therapist)))
    assert "After your dry needling session" in text
    assert "up to two days after the session" not in text


def test_running_the_job_twice_yields_one_document(plan, therapist, approve, private_storage):
    add(plan, therapist, "deltoid", "right")
    document = approve(plan, therapist)
    first = document.finished_at
    assert tasks.plan_document_render_task.delay(document.pk).get() == "done"
    document.refresh_from_db()
    assert (document.status, document.attempts, document.finished_at) == ("done", 1, first)
    files = list((private_storage / "plans" / str(plan.pk)).iterdir())
    assert [f.name for f in files] == ["dn-plan-v1.pdf"]


def test_the_job_refuses_to_print_a_plan_that_is_no_longer_clear(
    plan, therapist, patient, django_capture_on_commit_callbacks
):
    add(plan, therapist, "deltoid", "right")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.plan_approve(plan=plan, user=therapist)
    # Between approval and printing the patient reports a fear of needles.
    ScreeningFactory(patient=patient, taken_on=TODAY, needle_phobia=True)
    for callback in callbacks:
        callback()
    document = PlanDocument.objects.get(plan=plan)
    assert document.status == "failed"
    assert "now blocked" in document.error and "needle_phobia" in document.error
    assert document.file_name == ""
    assert not default_storage.exists(documents.pdf_file_name(plan))


def test_a_superseded_plan_is_not_printed(plan, therapist, django_capture_on_commit_callbacks):
    add(plan, therapist, "deltoid", "right")
    with django_capture_on_commit_callbacks(execute=False):
        services.plan_approve(plan=plan, user=therapist)
    services.plan_new_version(plan=plan, user=therapist)
    document = PlanDocument.objects.get(plan=plan)
    assert documents.plan_document_render(document_id=document.pk) == "failed"
    document.refresh_from_db()
    assert "superseded" in document.error


def test_a_failing_render_is_retried_with_backoff(plan, therapist, approve):
    add(plan, therapist, "deltoid", "right")
    real = documents.render_plan_pdf
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("font cache busy")
        return real(*args, **kwargs)

    with mock.patch.object(documents, "render_plan_pdf", side_effect=flaky):
        document = approve(plan, therapist)
    assert (document.status, document.attempts) == ("done", 2)
    assert [tasks.backoff(n) for n in range(5)] == [10, 20, 40, 80, 160]


def test_on_a_worker_a_failed_attempt_is_retried_later_with_backoff(
    plan, therapist, django_capture_on_commit_callbacks
):
    add(plan, therapist, "deltoid", "right")
    with django_capture_on_commit_callbacks(execute=False):
        services.plan_approve(plan=plan, user=therapist)
    document = PlanDocument.objects.get(plan=plan)
    task = tasks.plan_document_render_task
    task.push_request(retries=2, is_eager=False, called_directly=False)
    try:
        with (
            mock.patch.object(documents, "render_plan_pdf", side_effect=OSError("busy")),
            mock.patch.object(task, "retry", side_effect=Retry()) as retry,
            pytest.raises(Retry),
        ):
            task.run(document.pk)
    finally:
        task.pop_request()
    assert retry.call_args.kwargs["countdown"] == 40
    document.refresh_from_db()
    assert (document.status, document.attempts) == ("pending", 1)
    assert "busy" in document.error


def test_a_render_that_always_fails_ends_failed_with_the_error(plan, therapist, approve):
    add(plan, therapist, "deltoid", "right")
    with mock.patch.object(documents, "render_plan_pdf", side_effect=OSError("disk full")):
        document = approve(plan, therapist)
    assert document.status == "failed"
    assert document.attempts == tasks.MAX_RETRIES + 1
    assert "disk full" in document.error


def test_the_task_has_time_limits_and_late_acks():
    task = tasks.plan_document_render_task
    assert (task.soft_time_limit, task.time_limit, task.acks_late) == (60, 90, True)


def test_a_failed_job_can_be_queued_again(
    plan, therapist, patient, django_capture_on_commit_callbacks
):
    add(plan, therapist, "deltoid", "right")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.plan_approve(plan=plan, user=therapist)
    questionnaire = ScreeningFactory(patient=patient, taken_on=TODAY, needle_phobia=True)
    callbacks[0]()
    document = PlanDocument.objects.get(plan=plan)
    assert document.status == "failed"
    # The answer was a data-entry slip: the questionnaire is corrected by a new one.
    questionnaire.delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.plan_document_retry(document=document, user=therapist)
    document.refresh_from_db()
    assert (document.status, document.attempts) == ("done", 2)
    assert not services.plan_document_retry(document=document, user=therapist)


# --- A broker outage ----------------------------------------------------------------------


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


def test_approval_succeeds_while_the_broker_is_down_and_the_sweep_sends_the_job_later(
    plan, therapist, django_capture_on_commit_callbacks, fixed_day, broker_down, caplog
):
    add(plan, therapist, "deltoid", "right")
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        approved = services.plan_approve(plan=plan, user=therapist)
    assert time.monotonic() - started < 15
    assert approved.status == "approved"
    document = PlanDocument.objects.get(plan=plan)
    assert (document.status, document.attempts) == ("pending", 0)
    assert document.enqueued_at is not None
    assert "broker is unreachable" in caplog.text

    # Still down a minute later: the sweep tries, logs, and the job stays pending.
    fixed_day.shift(dt.timedelta(minutes=2))
    assert tasks.plan_documents_sweep() == 0
    assert PlanDocument.objects.get(pk=document.pk).status == "pending"

    # The broker is back (eager mode stands in for the worker): the sweep sends the job.
    celery_app.conf.update(task_always_eager=True)
    fixed_day.shift(dt.timedelta(minutes=2))
    assert tasks.plan_documents_sweep_task.delay().get() == 1
    document.refresh_from_db()
    assert (document.status, document.attempts) == ("done", 1)


def test_the_sweep_leaves_recently_sent_jobs_alone(
    plan, therapist, django_capture_on_commit_callbacks
):
    add(plan, therapist, "deltoid", "right")
    with django_capture_on_commit_callbacks(execute=False):
        services.plan_approve(plan=plan, user=therapist)
    document = PlanDocument.objects.get(plan=plan)
    PlanDocument.objects.filter(pk=document.pk).update(enqueued_at=timezone.now())
    assert tasks.plan_documents_sweep() == 0
    assert PlanDocument.objects.get(pk=document.pk).status == "pending"


def test_the_sweep_hands_back_a_job_whose_worker_died(
    plan, therapist, django_capture_on_commit_callbacks, fixed_day
):
    add(plan, therapist, "deltoid", "right")
    with django_capture_on_commit_callbacks(execute=False):
        services.plan_approve(plan=plan, user=therapist)
    document = PlanDocument.objects.get(plan=plan)
    PlanDocument.objects.filter(pk=document.pk).update(
        status="running", attempts=1, started_at=timezone.now()
    )
    assert tasks.plan_documents_sweep() == 0  # running for a moment only: left alone
    fixed_day.shift(dt.timedelta(minutes=11))
    assert tasks.plan_documents_sweep() == 1
    document.refresh_from_db()
    assert (document.status, document.attempts) == ("done", 2)


def test_the_sweep_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["needling-plan-documents-sweep"]
    assert entry["task"] == tasks.plan_documents_sweep_task.name
    assert entry["schedule"] <= 60
