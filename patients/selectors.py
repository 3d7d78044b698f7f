"""Reads for patient pages and for the parts of the app that judge a patient (plans, booking).

Each selector returns a queryset with the joins its page needs, so query counts stay fixed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery

from patients.models import (
    Condition,
    Consent,
    ImplantedDevice,
    Infection,
    Lymphedema,
    OutcomeMeasure,
    PainMap,
    PainMapArea,
    Patient,
    PatientAccessLog,
    ScreeningQuestionnaire,
    Surgery,
    Tumor,
    Varicosity,
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


# The six finding lists of a questionnaire: relation name -> model.
FINDING_MODELS = {
    "implanted_devices": ImplantedDevice,
    "infections": Infection,
    "tumors": Tumor,
    "lymphedema": Lymphedema,
    "surgeries": Surgery,
    "varicosities": Varicosity,
}
# Every column of any finding table, with its type (a table without one gives NULL).
_FINDING_COLUMNS = {
    "region": models.TextField(),
    "side": models.TextField(),
    "kind": models.TextField(),
    "limb": models.TextField(),
    "on": models.DateField(),
    "joint_replacement": models.BooleanField(),
    "description": models.TextField(),
}


@functools.cache
def _findings_sql(vendor: str) -> str:
    """SELECT list, id, questionnaire, <every column> FROM each finding table UNION ALL ...,
    with ``{of}`` for the subquery of questionnaire ids. Raw SQL built once: the same union
    through the ORM (six querysets of ten annotations) costs more to compile than the six
    prefetch queries it replaces."""
    quote = connection.ops.quote_name
    branches = []
    for index, model in enumerate(FINDING_MODELS.values()):
        own = {field.name: field.column for field in model._meta.concrete_fields}
        columns = [str(index), quote(model._meta.pk.column), quote(own["questionnaire"])]
        for name, output in _FINDING_COLUMNS.items():
            # Typed NULLs: PostgreSQL cannot match an untyped one against a date.
            null = f"CAST(NULL AS {output.db_type(connection)})"
            columns.append(quote(own[name]) if name in own else null)
        table, link = quote(model._meta.db_table), quote(own["questionnaire"])
        branches.append(
            # Quoted names from the models' metadata: no input reaches this text.
            f"SELECT {', '.join(columns)} FROM {table} WHERE {link} IN ({{of}})"  # noqa: S608
        )
    return " UNION ALL ".join(branches)


def attach_findings(questionnaires, *, of: QuerySet[ScreeningQuestionnaire]) -> None:
    """Give each questionnaire its six finding lists, read in one query (a UNION ALL of the
    six tables) instead of six prefetches.

    ``of`` is the queryset of the questionnaires whose findings to read; it should cover
    ``questionnaires``. The query runs even when there is no questionnaire, so a page costs
    the same number of queries with or without one. Afterwards ``q.surgeries.all()`` etc.
    read the lists without a query, in each model's own order, as after
    prefetch_related(*FINDING_RELATIONS).
    """
    subquery, params = of.values("pk").query.sql_with_params()
    sql = _findings_sql(connection.vendor).format(of=subquery)
    with connection.cursor() as cursor:
        cursor.execute(sql, params * len(FINDING_MODELS))
        rows = cursor.fetchall()
    models_ = list(FINDING_MODELS.items())
    found: dict[str, list] = {relation: [] for relation in FINDING_MODELS}
    for index, pk, questionnaire_id, *values in rows:
        relation, model = models_[index]
        known = {"id": pk, "questionnaire_id": questionnaire_id}
        known.update(zip(_FINDING_COLUMNS, values, strict=True))
        fields = model._meta.concrete_fields
        found[relation].append(
            model.from_db(
                connection.alias,
                [field.attname for field in fields],
                [field.to_python(known[field.attname]) for field in fields],
            )
        )
    for relation, rows_ in found.items():
        _order_as_meta(rows_, FINDING_MODELS[relation])
        attach_related(questionnaires, relation, rows_)


def _order_as_meta(rows: list, model) -> None:
    """Sort in place as the model's Meta.ordering would (field names, "-" for descending):
    stable sorts from the last key to the first."""
    for name in reversed(model._meta.ordering):
        attribute = name.lstrip("-")
        rows.sort(key=lambda row: getattr(row, attribute), reverse=name.startswith("-"))


def attach_related(parents, relation: str, children) -> None:
    """What prefetch_related(relation) leaves on each of ``parents`` (a reverse foreign key:
    ``parent.<relation>.all()`` without a query), from ``children`` already read, in their
    order. Unlike prefetch_related, the children are read (a queryset evaluated here) even
    when there is no parent, so the number of queries does not depend on the data."""
    children = list(children)
    parents = list(parents)
    if not parents:
        return
    link = parents[0]._meta.get_field(relation).field  # the children's foreign key
    by_parent: dict = {}
    for child in children:
        by_parent.setdefault(getattr(child, link.attname), []).append(child)
    for parent in parents:
        rows = by_parent.get(parent.pk, [])
        for row in rows:
            link.set_cached_value(row, parent)
        related = getattr(parent, relation).all()
        related._result_cache = rows
        related._prefetch_done = True
        parent.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = related


def latest_questionnaire(patient: Patient, *, on: dt.date) -> ScreeningQuestionnaire | None:
    """The questionnaire in force on `on`: the latest one taken on or before that day.

    Two queries whether there is one or not (it and its six finding lists, see
    attach_findings), none when the patient was loaded with its questionnaires.
    """
    cached = getattr(patient, "_prefetched_objects_cache", {}).get("questionnaires")
    if cached is not None:
        return _latest(cached, on, "taken_on", "created_at")
    in_force = ScreeningQuestionnaire.objects.filter(patient=patient, taken_on__lte=on).order_by(
        "-taken_on", "-created_at"
    )
    questionnaire = in_force.select_related("taken_by").first()
    attach_findings([questionnaire] if questionnaire is not None else [], of=in_force[:1])
    return questionnaire


def latest_consent(patient: Patient, *, on: dt.date) -> Consent | None:
    """The consent in force on `on`: the latest one signed on or before that day, unless it
    was withdrawn by then (an older consent does not come back: the patient said no)."""
    cached = getattr(patient, "_prefetched_objects_cache", {}).get("consents")
    if cached is not None:
        consent = _latest(cached, on, "signed_on", "recorded_at")
    else:
        consent = (
            Consent.objects.select_related("text", "witness")
            .filter(patient=patient, signed_on__lte=on)
            .order_by("-signed_on", "-recorded_at")
            .first()
        )
    if consent is not None and consent.is_withdrawn_on(on):
        return None
    return consent


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
        Prefetch(
            "consents", queryset=Consent.objects.select_related("text", "witness", "withdrawn_by")
        ),
    )


def patient_record(*, clinical: bool) -> QuerySet[Patient]:
    """Everything the patient page shows but the questionnaires' finding lists and the pain
    maps' areas: load the page's patient with patient_page_record(), which adds those."""
    prefetches: list = [
        Prefetch(
            "questionnaires", queryset=ScreeningQuestionnaire.objects.select_related("taken_by")
        ),
        Prefetch(
            "consents", queryset=Consent.objects.select_related("text", "witness", "withdrawn_by")
        ),
    ]
    if clinical:
        prefetches += [
            Prefetch(
                "conditions",
                queryset=Condition.objects.select_related("recorded_by").order_by(
                    "resolved_on", "-recorded_at"
                ),
            ),
            Prefetch("pain_maps", queryset=PainMap.objects.select_related("recorded_by")),
            Prefetch(
                "outcomes",
                queryset=OutcomeMeasure.objects.select_related("condition", "recorded_by"),
            ),
        ]
    return Patient.objects.select_related("preferred_location", "created_by").prefetch_related(
        *prefetches
    )


def patient_page_record(pk, *, clinical: bool) -> Patient:
    """The patient page's patient (404 when there is none) with everything the page shows,
    in a fixed number of queries: the finding lists of all the questionnaires are one query
    and the areas of all the pain maps another, read even when there are none."""
    from django.shortcuts import get_object_or_404

    patient = get_object_or_404(patient_record(clinical=clinical), pk=pk)
    attach_findings(
        patient.questionnaires.all(), of=ScreeningQuestionnaire.objects.filter(patient=patient)
    )
    if clinical:
        areas = PainMapArea.objects.filter(pain_map__patient=patient).order_by("-nprs", "area")
        attach_related(patient.pain_maps.all(), "areas", areas)
    return patient


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
    # The latest consent's date, or null when that consent was withdrawn by today.
    latest_consent_on = (
        Consent.objects.filter(patient=OuterRef("pk"), signed_on__lte=today)
        .order_by("-signed_on", "-recorded_at")
        .annotate(
            in_force=models.Case(
                models.When(withdrawn_on__lte=today, then=models.Value(None)),
                default=F("signed_on"),
                output_field=models.DateField(),
            )
        )
        .values("in_force")[:1]
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


# --- Possible duplicates at registration ------------------------------------------------------

DUPLICATE_NAME_SIMILARITY = 0.8
MAX_DUPLICATES = 5
# Fewer digits than a local number match too many people to be worth a warning.
DUPLICATE_PHONE_DIGITS = 7


@dataclass(frozen=True)
class PossibleDuplicate:
    patient: Patient
    reason: str


def _similar_names(first: str, last: str, patient: Patient) -> bool:
    """Folded names alike: the same last name and first initial, a swapped first/last name,
    or a full name within a typo or two (difflib ratio)."""
    first, last = fold(first), fold(last)
    other_first, other_last = fold(patient.first_name), fold(patient.last_name)
    if last == other_last and first[:1] == other_first[:1]:
        return True
    if (first, last) == (other_last, other_first):
        return True
    ratio = difflib.SequenceMatcher(None, f"{first} {last}", f"{other_first} {other_last}").ratio()
    return ratio >= DUPLICATE_NAME_SIMILARITY


def possible_duplicates(
    *, first_name: str, last_name: str, date_of_birth: dt.date | None, phone: str
) -> list[PossibleDuplicate]:
    """Registered patients (archived ones too) who may be the person being registered: the
    same date of birth and a similar name, or the same phone number. One query; the date of
    birth and the phone digits are indexed, and few patients share either."""
    digits = phone_digits(phone)
    condition = Q(date_of_birth=date_of_birth) if date_of_birth else Q(pk__in=[])
    if len(digits) >= DUPLICATE_PHONE_DIGITS:
        condition |= Q(phone_digits=digits)
    found = []
    for patient in Patient.objects.filter(condition).order_by("last_name", "first_name")[:50]:
        if len(digits) >= DUPLICATE_PHONE_DIGITS and patient.phone_digits == digits:
            found.append(PossibleDuplicate(patient, "the same phone number"))
        elif patient.date_of_birth == date_of_birth and _similar_names(
            first_name, last_name, patient
        ):
            found.append(PossibleDuplicate(patient, "the same date of birth and a similar name"))
    return found[:MAX_DUPLICATES]
