"""Writes to the clinic's screening policy: its settings and stricter rules."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from needling.knowledge.models import Contraindication, ScreeningSettings, StricterRule


@transaction.atomic
def screening_settings_update(
    *, user, post_surgical_window_days: int, bilateral_counts_twice: bool
) -> ScreeningSettings:
    row, _ = ScreeningSettings.objects.select_for_update().get_or_create(pk=1)
    row.post_surgical_window_days = post_surgical_window_days
    row.bilateral_counts_twice = bilateral_counts_twice
    row.updated_by = user
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def stricter_rule_adopt(*, user, rule: Contraindication, reason: str) -> StricterRule:
    if StricterRule.objects.filter(rule=rule, revoked_at__isnull=True).exists():
        raise ValidationError({"rule": f"{rule.code} is already treated as absolute."})
    record = StricterRule(rule=rule, reason=reason.strip(), adopted_by=user)
    record.full_clean()
    record.save()
    return record


@transaction.atomic
def stricter_rule_revoke(*, user, record: StricterRule) -> None:
    """Return a rule to the contract's severity. The record stays, marked revoked."""
    updated = StricterRule.objects.filter(pk=record.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=user
    )
    if updated != 1:
        raise ValidationError("That policy was already revoked.")
