"""Withdrawing a DN consent: dated, by whom, why; audited like every change to a consent.

From the withdrawal date on the consent is not in force: the screening facts and the
front desk's readiness see no consent, so a DN plan is blocked by the missing-consent rule
until the patient signs a new one. An earlier consent does not come back into force.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.staff.models import User
from patients.models import Consent


@transaction.atomic
def consent_withdraw(
    *, consent: Consent, user: User, withdrawn_on: dt.date, reason: str
) -> Consent:
    """Record that the patient withdrew `consent` on `withdrawn_on`. Once only."""
    locked = Consent.objects.select_for_update().select_related("patient").get(pk=consent.pk)
    if locked.withdrawn_on is not None:
        raise ValidationError(
            f"This consent was already withdrawn on {locked.withdrawn_on:%Y-%m-%d}."
        )
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = "Say why the consent is withdrawn (in the patient's words if you can)."
    if withdrawn_on is None:
        errors["withdrawn_on"] = "Give the date the patient withdrew consent."
    elif withdrawn_on > timezone.localdate():
        errors["withdrawn_on"] = "The withdrawal date cannot be in the future."
    elif withdrawn_on < locked.signed_on:
        errors["withdrawn_on"] = "The withdrawal date is before the consent was signed."
    if errors:
        raise ValidationError(errors)
    locked.withdrawn_on = withdrawn_on
    locked.withdrawn_by = user
    locked.withdrawal_reason = reason
    locked.withdrawal_recorded_at = timezone.now()
    locked.full_clean()
    # save() (not a queryset update) so that the audit log records who changed what.
    locked.save(
        update_fields=[
            "withdrawn_on",
            "withdrawn_by",
            "withdrawal_reason",
            "withdrawal_recorded_at",
        ]
    )
    return locked
