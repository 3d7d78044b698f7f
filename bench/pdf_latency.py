"""The plan PDF: time from approval to a downloadable document, and where the time goes.

``measure_pdf_latency(repeats=20)`` takes approved plans of the data, and for each makes a new
version (``plan_new_version``: a draft copy, screened afresh) and approves it through
``plan_approve`` as its practitioner would. Approval creates the PDF job row and sends the
Celery task once the transaction commits; the clock runs from the call to ``plan_approve``
until the job's row says DONE with a stored file (polled every 10 ms, at most 60 s). With
``CELERY_EAGER`` (the benchmark's settings, no broker) the task runs in this process on
commit, so the figure is approval + render + store with no queue wait; with ``REDIS_URL`` and a
running worker it includes the broker and the worker's pick-up.

The breakdown times each stage of the job on its own for the same plans, in the order the
job runs them: the approval (screening in the transaction, the update, the job row), loading
the plan for the document, screening it again (the job re-checks), the HTML (template and
body chart), WeasyPrint (layout and PDF), and storing the file.
"""

from __future__ import annotations

import statistics
import time

from django.db import transaction

from bench.harness import Entry, _percentile


def _plans(count: int) -> list:
    from needling.plans.models import TreatmentPlan

    return list(
        TreatmentPlan.objects.filter(status="approved", sites__isnull=False)
        .select_related("practitioner")
        .distinct()
        .order_by("-approved_at", "pk")[:count]
    )


def measure_pdf_latency(*, repeats: int = 20) -> list[Entry]:
    from needling.plans.documents import (
        load_plan_for_document,
        render_plan_html,
        render_plan_pdf,
        store_pdf,
    )
    from needling.plans.models import DocumentStatus, PlanDocument
    from needling.plans.screening import screen_plan
    from needling.plans.services import plan_approve, plan_new_version

    latencies, approvals = [], []
    stages: dict[str, list[float]] = {
        "load": [],
        "screen": [],
        "html": [],
        "weasyprint": [],
        "store": [],
    }
    skipped = 0
    for plan in _plans(repeats * 3):
        if len(latencies) >= repeats:
            break
        user = plan.practitioner
        with transaction.atomic():
            draft = plan_new_version(plan=plan, user=user)
        if not screen_plan(draft).is_clear:
            skipped += 1  # e.g. its screening is now more than 30 days before its date
            continue
        started = time.perf_counter()
        with transaction.atomic():
            approved = plan_approve(plan=draft, user=user)
            approved_in = time.perf_counter() - started
        document = PlanDocument.objects.filter(plan=approved).order_by("-created_at").first()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, name = PlanDocument.objects.filter(pk=document.pk).values_list(
                "status", "file_name"
            )[0]
            if status in (DocumentStatus.DONE, DocumentStatus.FAILED):
                break
            time.sleep(0.01)
        if status != DocumentStatus.DONE or not name:
            raise RuntimeError(f"the PDF job of plan {approved.pk} ended {status}")
        latencies.append((time.perf_counter() - started) * 1000)
        approvals.append(approved_in * 1000)
        # The job's stages on their own, for the same plan.
        t = time.perf_counter()
        loaded = load_plan_for_document(approved.pk)
        t, stages["load"] = _lap(t, stages["load"])
        screening = screen_plan(loaded)
        t, stages["screen"] = _lap(t, stages["screen"])
        render_plan_html(loaded, screening)
        t, stages["html"] = _lap(t, stages["html"])
        pdf = render_plan_pdf(loaded, screening)  # HTML again, then WeasyPrint
        t, stages["weasyprint"] = _lap(t, stages["weasyprint"])
        store_pdf(loaded, pdf)
        t, stages["store"] = _lap(t, stages["store"])
    if not latencies:
        return []
    html = statistics.median(stages["html"])
    parts = {
        "approval (screen, update, job row)": statistics.median(approvals),
        "load plan": statistics.median(stages["load"]),
        "screen again": statistics.median(stages["screen"]),
        "HTML (template, body chart)": html,
        "WeasyPrint layout and PDF": statistics.median(stages["weasyprint"]) - html,
        "store file": statistics.median(stages["store"]),
    }
    note = "; ".join(f"{k} {v:.1f} ms" for k, v in parts.items())
    return [
        Entry(
            name="PDF plan: approval to downloadable document",
            p50_ms=round(statistics.median(latencies), 1),
            p95_ms=round(_percentile(latencies, 0.95), 1),
            value=len(latencies),
            unit="approvals",
            note=f"median stages: {note}"
            + (f"; {skipped} plans skipped (not clear)" * bool(skipped)),
        )
    ]


def _lap(started: float, bucket: list[float]) -> tuple[float, list[float]]:
    now = time.perf_counter()
    bucket.append((now - started) * 1000)
    return now, bucket
