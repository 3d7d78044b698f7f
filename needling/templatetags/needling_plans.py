"""Template helpers for plan pages and the patient page's plan list."""

from __future__ import annotations

from django import template

from needling.plans import selectors

register = template.Library()

PATIENT_PLANS_SHOWN = 20


@register.filter
def get_item(mapping, key):
    """``mapping|get_item:key`` -> mapping.get(key) (None for anything that is not a dict)."""
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.simple_tag
def patient_plans(patient, user):
    """The patient's DN plans that `user` may read, newest first (one query)."""
    return list(selectors.patient_plans(patient, user=user)[:PATIENT_PLANS_SHOWN])
