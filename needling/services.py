"""Writes for the knowledge base and the clinic's screening policy."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from needling.models import ApiToken, Contraindication, ScreeningSettings, StricterRule


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


@transaction.atomic
def api_token_issue(*, user, name: str) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token (for example the system that uses it)."})
    return ApiToken.issue(user=user, name=name)


@transaction.atomic
def api_token_revoke(*, user, token_id: int) -> None:
    updated = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated != 1:
        raise ValidationError("No such active token.")
