"""Is a patient ready for dry needling on a day, as far as the paperwork goes?

The screening engine makes the clinical decision; this answers the front-desk question that
comes before it: is there a current screening questionnaire and a valid consent?
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from patients.models import CONSENT_VALID_DAYS

# A questionnaire completed more than this many days before the session is stale
# (the screening_stale rule of the screening contract).
SCREENING_VALID_DAYS = 30

CURRENT, STALE, MISSING = "current", "stale", "missing"
VALID, EXPIRED = "valid", "expired"


@dataclass(frozen=True)
class Readiness:
    screening_status: str  # "current" | "stale" | "missing"
    screened_on: dt.date | None
    consent_status: str  # "valid" | "expired" | "missing"
    consent_valid_until: dt.date | None

    @property
    def screening_valid_until(self) -> dt.date | None:
        if self.screened_on is None:
            return None
        return self.screened_on + dt.timedelta(days=SCREENING_VALID_DAYS)

    @property
    def is_ready(self) -> bool:
        return self.screening_status == CURRENT and self.consent_status == VALID


def readiness_from(
    *, screened_on: dt.date | None, consent_signed_on: dt.date | None, on: dt.date
) -> Readiness:
    """Pure: the readiness on `on` given the dates of the latest screening and consent signed
    on or before that day."""
    if screened_on is None or screened_on > on:
        screening_status, screened_on = MISSING, None
    elif (on - screened_on).days > SCREENING_VALID_DAYS:
        screening_status = STALE
    else:
        screening_status = CURRENT
    if consent_signed_on is None or consent_signed_on > on:
        consent_status, valid_until = MISSING, None
    else:
        valid_until = consent_signed_on + dt.timedelta(days=CONSENT_VALID_DAYS)
        consent_status = VALID if on <= valid_until else EXPIRED
    return Readiness(
        screening_status=screening_status,
        screened_on=screened_on,
        consent_status=consent_status,
        consent_valid_until=valid_until,
    )


def dn_readiness(patient, *, on: dt.date) -> Readiness:
    """Screening and consent status of `patient` on `on`.

    Uses the patient's prefetched questionnaires and consents when present (see
    selectors.patients_with_facts), else two small queries. For many patients at once, annotate
    the two dates in the query and call readiness_from (as the patient list does).
    """
    from patients.models import Consent, ScreeningQuestionnaire

    cache = getattr(patient, "_prefetched_objects_cache", {})
    if "questionnaires" in cache:
        dates = [q.taken_on for q in cache["questionnaires"] if q.taken_on <= on]
        screened_on = max(dates, default=None)
    else:
        screened_on = (
            ScreeningQuestionnaire.objects.filter(patient=patient, taken_on__lte=on)
            .order_by("-taken_on")
            .values_list("taken_on", flat=True)
            .first()
        )
    # The latest consent signed by then; a withdrawn one counts as none (see latest_consent).
    if "consents" in cache:
        signed = [c for c in cache["consents"] if c.signed_on <= on]
        latest = max(signed, key=lambda c: (c.signed_on, c.recorded_at), default=None)
        latest = (latest.signed_on, latest.withdrawn_on) if latest else None
    else:
        latest = (
            Consent.objects.filter(patient=patient, signed_on__lte=on)
            .order_by("-signed_on", "-recorded_at")
            .values_list("signed_on", "withdrawn_on")
            .first()
        )
    consent_signed_on = None
    if latest is not None and not (latest[1] is not None and latest[1] <= on):
        consent_signed_on = latest[0]
    return readiness_from(screened_on=screened_on, consent_signed_on=consent_signed_on, on=on)
