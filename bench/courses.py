"""Approved plans for the scale data: each judged by the screening engine, as approval does.

``approve_scale_plans()`` runs after the scale rows are in (``seed_scale`` calls it; it also
runs alone on a database seeded before it existed: ``manage.py seed_scale --approve-plans``).
For every draft scale plan but the heavy patient's (its editor and live panel are key paths
and must stay editable) it builds the contract case from the database with the same adapter
``plan_approve`` uses (``needling.plans.screening.screen_plan``: the patient's questionnaire and
consent in force on the planned date, the practitioner's certification, the sites), and when
the engine's answer is clear stores what approval stores: status approved, approved_by the
practitioner, approved_at noon (UTC) of the planned date, the snapshot (case, result,
policy) and the CPT code. Plans the engine does not clear (a questionnaire taken after the
planned date, a finding that needs an override) stay drafts, as they would in a clinic. The
plans' signed notes then form the treatment courses the outcomes report reads.

Written in batches: the plans with their sites, overrides and patient facts in a fixed number
of queries per batch, the updates through a temporary table (COPY on PostgreSQL) and one
UPDATE ... FROM per batch. The plan lock trigger allows draft -> approved.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import time

from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone

from bench.scale import SCALE_TAG
from needling.plans.models import PlanOverride, PlanSite, TreatmentPlan
from needling.plans.screening import screen_plan, screening_policy
from patients.selectors import patients_with_facts

BATCH = 2000


def _batch_plans(ids: list[int]) -> list[TreatmentPlan]:
    plans = list(
        TreatmentPlan.objects.filter(pk__in=ids)
        .select_related("practitioner")
        .prefetch_related(
            Prefetch("sites", queryset=PlanSite.objects.select_related("muscle").order_by("order")),
            Prefetch("overrides", queryset=PlanOverride.objects.order_by("recorded_at", "id")),
        )
        .order_by("pk")
    )
    patients = patients_with_facts().in_bulk([p.patient_id for p in plans])
    for plan in plans:
        plan.patient = patients[plan.patient_id]
    return plans


def approve_scale_plans(*, log=print) -> dict[str, int]:
    """Approve the scale plans the engine clears (see the module docstring)."""
    started = time.monotonic()
    policy = screening_policy()
    heavy = (
        TreatmentPlan.objects.filter(patient__notes=SCALE_TAG)
        .order_by("patient__created_at", "patient_id", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    ids = list(
        TreatmentPlan.objects.filter(patient__notes=SCALE_TAG, status="draft")
        .exclude(pk=heavy)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    practitioners: dict = {}
    now = timezone.now()
    counts = {"approved": 0, "left_draft": 0}
    for offset in range(0, len(ids), BATCH):
        rows = []
        for plan in _batch_plans(ids[offset : offset + BATCH]):
            # One practitioner object per therapist, its certification look-up remembered per
            # date (a scale therapist has one certification): the same answer, fewer queries.
            user = practitioners.get(plan.practitioner_id)
            if user is None:
                user = practitioners[plan.practitioner_id] = plan.practitioner
                user.dn_certified_until = functools.lru_cache(maxsize=None)(user.dn_certified_until)
            plan.practitioner = user
            screening = screen_plan(plan, policy=policy)
            if not screening.is_clear:
                counts["left_draft"] += 1
                continue
            rows.append(
                (
                    plan.pk,
                    json.dumps(screening.snapshot()),
                    screening.result.cpt_code,
                    user.pk,
                    dt.datetime.combine(plan.planned_date, dt.time(12), tzinfo=dt.UTC),
                )
            )
        _write(rows, now=now)
        counts["approved"] += len(rows)
    log(
        f"approved {counts['approved']} scale plans, {counts['left_draft']} left as drafts "
        f"(not clear on their planned date) in {time.monotonic() - started:.1f}s"
    )
    return counts


def _write(rows: list[tuple], *, now) -> None:
    if not rows:
        return
    table = TreatmentPlan._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TEMP TABLE scale_approval (id uuid, snapshot jsonb, cpt text, "
                "by_id bigint, at timestamptz) ON COMMIT DROP"
            )
            with cursor.cursor.copy("COPY scale_approval FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"UPDATE {table} AS p SET status = 'approved', approved_at = a.at, "  # noqa: S608
                "approved_by_id = a.by_id, snapshot = a.snapshot, cpt_code = a.cpt, "
                "updated_at = %s FROM scale_approval AS a "
                "WHERE p.id = a.id AND p.status = 'draft'",
                [now],
            )
            # Dropped now, not only at commit: a caller's open transaction may seed again.
            cursor.execute("DROP TABLE scale_approval")
        else:
            ops = connection.ops
            stamp = ops.adapt_datetimefield_value(now)
            cursor.executemany(
                f"UPDATE {table} SET status = 'approved', approved_at = %s, "  # noqa: S608
                "approved_by_id = %s, snapshot = %s, cpt_code = %s, updated_at = %s "
                "WHERE id = %s AND status = 'draft'",
                [
                    (ops.adapt_datetimefield_value(at), by, snap, cpt, stamp, pk.hex)
                    for pk, snap, cpt, by, at in rows
                ],
            )
