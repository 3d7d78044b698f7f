"""Reads that turn the clinic's data into the screening engine's plain values."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from needling.knowledge import catalogue
from needling.models import Muscle, ScreeningSettings, StricterRule
from needling.screening import Policy


def screening_settings() -> ScreeningSettings:
    row, _ = ScreeningSettings.objects.get_or_create(pk=1)
    return row


def screening_policy() -> Policy:
    """The clinic's policy as the engine's value: two queries."""
    row = screening_settings()
    stricter = frozenset(
        StricterRule.objects.filter(revoked_at__isnull=True).values_list("rule__code", flat=True)
    )
    return Policy(
        post_surgical_window_days=row.post_surgical_window_days,
        stricter_rules=stricter,
        bilateral_counts_twice=row.bilateral_counts_twice,
    )


def muscle_facts() -> Mapping[str, catalogue.Muscle]:
    """Active muscles as the engine reads them (manager edits in the admin included)."""
    return MappingProxyType({m.code: m.as_fact() for m in Muscle.objects.filter(is_active=True)})


def active_stricter_rules():
    return StricterRule.objects.filter(revoked_at__isnull=True).select_related("rule", "adopted_by")
