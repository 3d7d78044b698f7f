"""The patient's DN screening and consent status, for the booking form.

`patients.readiness.dn_readiness(patient, *, on)` belongs to the patients app and may not be
installed yet: the import is made lazily, and when it fails the booking form says "Screening
and consent status unavailable" instead of guessing.
"""

from __future__ import annotations

import datetime as dt


def readiness_for(patient, on: dt.date):
    """`patients.readiness.dn_readiness(patient, on=on)`, or None when that is unavailable.

    The result is a frozen dataclass with screening_status ('current'|'stale'|'missing'),
    screened_on, consent_status ('valid'|'expired'|'missing') and consent_valid_until.
    """
    try:
        from patients.readiness import dn_readiness
    except ImportError:
        return None
    return dn_readiness(patient, on=on)
