"""Reads for patient pages and for the parts of the app that judge a patient (plans, booking).

Each selector returns a queryset with the joins its page needs, so query counts stay fixed.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery

from patients.models import (
    Condition,
    Consent,
    OutcomeMeasure,
    PainMap,
    PainMapArea,
    Patient,
    PatientAccessLog,
    ScreeningQuestionnaire,
    fold,
    phone_digits,
)

FINDING_RELATIONS = (
    "implanted_devices",
    "infections",
    "tumors",
    "lymphedema",
    "surgeries",
    "varicosities",
)


def questionnaires_with_findings() -> QuerySet[ScreeningQuestionnaire]:
    return ScreeningQuestionnaire.objects.select_related("taken_by").prefetch_related(
        *FINDING_RELATIONS
    )


def latest_questionnaire(patient: Patient, *, on: dt.date) -> ScreeningQuestionnaire | None:
    """The questionnaire in force on `on`: the latest one taken on or before that day."""
    cached = getattr(patient, "_prefetched_objects_cache", {}).get("questionnaires")
    if cached is not None:
        return _latest(cached, on, "taken_on", "created_at")
    return (
        questionnaires_with_findings()
        .filter(patient=patient, taken_on__lte=on)
        .order_by("-taken_on", "-created_at")
        .first()
    )


def latest_consent(patient: Patient, *, on: dt.date) -> Consent | None:
    """The consent in force on `on`: the latest one signed on or before that day."""
    cached = getattr(patient, "_prefetched_objects_cache", {}).get("consents")
    if cached is not None:
        return _latest(cached, on, "signed_on", "recorded_at")
    return (
        Consent.objects.select_related("text", "witness")
        .filter(patient=patient, signed_on__lte=on)
        .order_by("-signed_on", "-recorded_at")
        .first()
    )


def _latest(rows, on: dt.date, date_attr: str, tie_attr: str):
    eligible = [row for row in rows if getattr(row, date_attr) <= on]
    if not eligible:
        return None
    return max(eligible, key=lambda row: (getattr(row, date_attr), getattr(row, tie_attr)))


def patients_with_facts() -> QuerySet[Patient]:
    """Patients with everything patient_facts() and dn_readiness() read, in 8 queries for any
    number of patients (patients, questionnaires, six finding tables, consents: 9)."""
    return Patient.objects.prefetch_related(
        Prefetch("questionnaires", queryset=questionnaires_with_findings()),
        Prefetch("consents", queryset=Consent.objects.select_related("text", "witness")),
    )


def patient_record(*, clinical: bool) -> QuerySet[Patient]:
    """Everything the patient page shows. Clinical parts only for users who may see them."""
    prefetches: list = [
        Prefetch("questionnaires", queryset=questionnaires_with_findings()),
        Prefetch("consents", queryset=Consent.objects.select_related("text", "witness")),
    ]
    if clinical:
        prefetches += [
            Prefetch(
                "conditions",
                queryset=Condition.objects.select_related("recorded_by").order_by(
                    "resolved_on", "-recorded_at"
                ),
            ),
            Prefetch(
                "pain_maps",
                queryset=PainMap.objects.select_related("recorded_by").prefetch_related(
                    Prefetch("areas", queryset=PainMapArea.objects.order_by("-nprs", "area"))
                ),
            ),
            Prefetch(
                "outcomes",
                queryset=OutcomeMeasure.objects.select_related("condition", "recorded_by"),
            ),
        ]
    return Patient.objects.select_related("preferred_location", "created_by").prefetch_related(
        *prefetches
    )


# --- Search ---------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
MIN_PHONE_DIGITS = 3


def parse_search_date(text: str) -> dt.date | None:
    """A date of birth typed as YYYY-MM-DD or MM/DD/YYYY, or None."""
    text = text.strip()
    match = _ISO_DATE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _US_DATE.match(text)
        if not match:
            return None
        month, day, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def search_filter(query: str) -> Q | None:
    """The filter for a search box query: a date of birth, phone digits, or a name part.

    Names are compared folded (case- and accent-free) on both sides with a plain substring
    match, which PostgreSQL answers from the trigram index on search_name.
    """
    query = (query or "").strip()
    if not query:
        return None
    born = parse_search_date(query)
    if born is not None:
        return Q(date_of_birth=born)
    if not re.search(r"[^\d\s()+\-.]", query):
        digits = phone_digits(query)
        if len(digits) >= MIN_PHONE_DIGITS:
            return Q(phone_digits__contains=digits)
    folded = fold(query)
    if not folded:
        return None
    return Q(search_name__contains=folded)


def patient_list(*, query: str = "", archived: bool = False, today: dt.date) -> QuerySet[Patient]:
    """Patients for the list and search page, with the dates of their latest screening and
    consent (on or before today) as annotations: one query per page, plus the count."""
    patients = Patient.objects.filter(archived_at__isnull=not archived)
    condition = search_filter(query)
    if condition is not None:
        patients = patients.filter(condition)
    latest_screening = (
        ScreeningQuestionnaire.objects.filter(patient=OuterRef("pk"), taken_on__lte=today)
        .order_by("-taken_on", "-created_at")
        .values("taken_on")[:1]
    )
    latest_consent_on = (
        Consent.objects.filter(patient=OuterRef("pk"), signed_on__lte=today)
        .order_by("-signed_on", "-recorded_at")
        .values("signed_on")[:1]
    )
    return (
        patients.select_related("preferred_location")
        .annotate(
            latest_screened_on=Subquery(latest_screening),
            latest_consent_signed_on=Subquery(latest_consent_on),
        )
        .order_by("last_name", "first_name", "date_of_birth", "pk")
    )


FEW_MATCHES = 5000


def order_few_matches(patients: QuerySet[Patient], matches: int) -> QuerySet[Patient]:
    """The list order for a search that matched ``matches`` patients (the paginator's count).

    PostgreSQL would walk the list-order index and filter each row, expecting the matches to
    be spread evenly through the alphabet; a name search's matches are not ("mart" starts
    half-way through), so that walk read 50,000 rows for a page at 100,000 patients (30 ms).
    With few matches it is cheaper to take them from the trigram index and sort them: the
    same order, written NULLS FIRST (last_name is never null), which the index cannot give.
    """
    if matches > FEW_MATCHES:
        return patients
    return patients.order_by(
        F("last_name").asc(nulls_first=True), "first_name", "date_of_birth", "pk"
    )


def access_log_for(patient: Patient) -> QuerySet[PatientAccessLog]:
    return PatientAccessLog.objects.filter(patient=patient).select_related("user")
