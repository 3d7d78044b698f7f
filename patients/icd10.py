"""ICD-10-CM codes: validation against the official code list (simple-icd-10-cm) and the
codes a dry needling clinic uses most, offered first (clinical-records.md)."""

from __future__ import annotations

import functools
import importlib
import re

from patients.models import fold


class _CodeList:
    """simple_icd_10_cm, imported on first use. Importing it parses the whole code list
    (about 2 s of CPU), which every process that loads the URL conf paid at start-up
    (`manage.py check` or `migrate`, each test worker) whether or not it looked a code up."""

    def __getattr__(self, name: str):
        return getattr(importlib.import_module("simple_icd_10_cm"), name)


cm = _CodeList()

# The codes DN clinics use most, with the plain name staff search by, in the order offered.
COMMON_DN_CODES: dict[str, str] = {
    "M79.10": "Myalgia, unspecified site",
    "M79.11": "Myalgia of mastication muscle",
    "M79.12": "Myalgia of auxiliary muscles, head and neck",
    "M79.18": "Myalgia, other site",
    "G44.209": "Tension-type headache",
    "G43.909": "Migraine, unspecified",
    "M54.2": "Cervicalgia",
    "S13.4XXA": "Whiplash (cervical sprain), initial encounter",
    "S16.1XXA": "Neck muscle strain, initial encounter",
    "M54.6": "Thoracic spine pain",
    "M54.50": "Low back pain, unspecified",
    "M54.31": "Sciatica, right",
    "M54.32": "Sciatica, left",
    "G57.01": "Piriformis syndrome, right",
    "G57.02": "Piriformis syndrome, left",
    "M26.601": "TMJ disorder, right",
    "M26.602": "TMJ disorder, left",
    "M26.603": "TMJ disorder, bilateral",
    "M25.511": "Shoulder pain, right",
    "M25.512": "Shoulder pain, left",
    "M75.101": "Rotator cuff tear, not traumatic, right",
    "M75.102": "Rotator cuff tear, not traumatic, left",
    "M75.01": "Adhesive capsulitis (frozen shoulder), right",
    "M75.02": "Adhesive capsulitis (frozen shoulder), left",
    "M75.21": "Bicipital tendinitis, right",
    "M75.22": "Bicipital tendinitis, left",
    "M77.11": "Lateral epicondylitis (tennis elbow), right",
    "M77.12": "Lateral epicondylitis (tennis elbow), left",
    "M77.01": "Medial epicondylitis (golfer's elbow), right",
    "M77.02": "Medial epicondylitis (golfer's elbow), left",
    "G56.01": "Carpal tunnel syndrome, right",
    "G56.02": "Carpal tunnel syndrome, left",
    "G56.03": "Carpal tunnel syndrome, bilateral",
    "M25.551": "Hip pain, right",
    "M25.552": "Hip pain, left",
    "M76.31": "Iliotibial band syndrome, right",
    "M76.32": "Iliotibial band syndrome, left",
    "M76.61": "Achilles tendinitis, right",
    "M76.62": "Achilles tendinitis, left",
    "M72.2": "Plantar fasciitis",
    "M79.7": "Fibromyalgia",
    "M62.830": "Muscle spasm of back",
}


def normalise(code: str) -> str:
    """Upper-case with the dot in place: "m5450" -> "M54.50"."""
    code = re.sub(r"\s", "", code or "").upper()
    if not code or not cm.is_valid_item(code):
        return code
    return cm.add_dot(code)


def is_billable(code: str) -> bool:
    """A valid ICD-10-CM diagnosis code at its most specific level (what a claim needs)."""
    code = normalise(code)
    return (
        bool(code)
        and cm.is_valid_item(code)
        and cm.is_leaf(code)
        and not cm.is_chapter_or_block(code)
    )


def describe(code: str) -> str:
    return cm.get_description(normalise(code))


def why_not_billable(code: str) -> str | None:
    """None for a billable code, else a message for the person who typed it."""
    code = normalise(code)
    if not code:
        return "Enter an ICD-10-CM code, for example M54.2."
    if not cm.is_valid_item(code):
        return f"{code} is not an ICD-10-CM code."
    if cm.is_chapter_or_block(code):
        return f"{code} is a chapter or block of codes, not a diagnosis code."
    if not cm.is_leaf(code):
        examples = ", ".join(cm.get_children(code)[:3])
        return f"{code} needs more characters (laterality or type), e.g. {examples}."
    return None


def common_codes() -> list[tuple[str, str]]:
    """(code, "plain name: official description") for the common DN codes, in order."""
    return [(code, f"{name}: {cm.get_description(code)}") for code, name in COMMON_DN_CODES.items()]


@functools.cache
def _searchable() -> tuple[tuple[str, str, str], ...]:
    rows = []
    for code in cm.get_all_codes(True):
        if cm.is_chapter_or_block(code) or not cm.is_leaf(code):
            continue
        description = cm.get_description(code)
        plain_name = COMMON_DN_CODES.get(code, "")
        rows.append((code, description, fold(f"{description} {plain_name}")))
    return tuple(rows)


def search(query: str, *, limit: int = 15) -> list[tuple[str, str]]:
    """Billable codes matching a code prefix or all the words of a description.

    The common DN codes come first, then other matches in code order.
    """
    query = (query or "").strip()
    if len(query) < 2:
        return []
    code_prefix = re.sub(r"[\s.]", "", query).upper()
    words = fold(query).split()
    common = set(COMMON_DN_CODES)
    first: list[tuple[str, str]] = []
    rest: list[tuple[str, str]] = []
    for code, description, folded in _searchable():
        plain = code.replace(".", "")
        if plain.startswith(code_prefix) or all(word in folded for word in words):
            (first if code in common else rest).append((code, description))
            if len(rest) >= limit and len(first) >= limit:
                break
    order = list(COMMON_DN_CODES)
    first.sort(key=lambda row: order.index(row[0]))
    return (first + rest)[:limit]
