"""Reads of the knowledge base as the screening engine's plain values."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from needling.knowledge import catalogue
from needling.knowledge.models import Muscle, ScreeningSettings, StricterRule


def screening_settings() -> ScreeningSettings:
    row, _ = ScreeningSettings.objects.get_or_create(pk=1)
    return row


def muscle_facts() -> Mapping[str, catalogue.Muscle]:
    """Active muscles as the engine reads them (manager edits in the admin included)."""
    return MappingProxyType({m.code: m.as_fact() for m in Muscle.objects.filter(is_active=True)})


def active_stricter_rules():
    return StricterRule.objects.filter(revoked_at__isnull=True).select_related("rule", "adopted_by")
