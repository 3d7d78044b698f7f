"""The patient page's FHIR export button (patients may not import needling)."""

from __future__ import annotations

from django import template

from needling.fhir.selectors import may_export

register = template.Library()


@register.simple_tag
def can_export_fhir(user, patient) -> bool:
    """Whether ``user`` may download ``patient``'s FHIR Bundle (at most 3 queries)."""
    return may_export(user, patient)
