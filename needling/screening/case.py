"""The immutable input of the screening engine: one proposed DN session, and clinic policy.

Defaults follow the screening contract: inside a ``Screening`` every boolean defaults to
false (so an unanswered ``willing_to_proceed`` or ``able_to_consent`` fails closed), lists to
empty, ``epilepsy`` to ``"none"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from datetime import date

from needling.knowledge.rules import RELATIVE_RULE_CODES, RULES_BY_CODE
from patients.questions import BOOLEAN_KEYS, FINDING_LISTS, SCREENING_KEYS


@dataclass(frozen=True, slots=True)
class Site:
    """One planned needling site: a muscle code on ``left``, ``right`` or ``midline``."""

    muscle: str
    side: str
    estim: bool = False


@dataclass(frozen=True, slots=True)
class Override:
    """A certified practitioner's written reason to proceed despite one relative finding."""

    rule: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Anticoagulant:
    """An anticoagulant or antiplatelet the patient takes; INR facts for a VKA (warfarin)."""

    drug: str = ""
    vitamin_k_antagonist: bool = False
    inr: float | None = None
    inr_on: date | None = None
    inr_target_low: float = 2.0
    inr_target_high: float = 3.0
    last_dose_change_on: date | None = None
    recent_bleeding: bool = False


@dataclass(frozen=True, slots=True)
class RegionFlag:
    """A finding recorded at a body region and side (infection, tumor, varicose veins)."""

    region: str
    side: str


@dataclass(frozen=True, slots=True)
class Device:
    """An implanted device: kind is pacemaker, icd, neurostimulator, pump or other."""

    kind: str
    region: str
    side: str


@dataclass(frozen=True, slots=True)
class Lymphedema:
    """Lymphedema of the ``upper`` or ``lower`` limb on one side."""

    limb: str
    side: str


@dataclass(frozen=True, slots=True)
class Surgery:
    """An operation at a region and side; a joint replacement becomes a prosthetic joint."""

    on: date
    region: str
    side: str
    joint_replacement: bool = False


# The value types of the questionnaire's row shapes (patients.questions.ROW_FIELDS).
_ROW_TYPES: dict[str, type] = {
    "region_flag": RegionFlag,
    "device": Device,
    "lymphedema": Lymphedema,
    "surgery": Surgery,
}
_DETAILS: dict[str, tuple[object, object]] = {
    "anticoagulant": (Anticoagulant | None, None),
    "pregnancy_due_date": (date | None, None),
    "epilepsy": (str, "none"),
}


def _screening_field(key: str) -> tuple[str, object, object]:
    if key in BOOLEAN_KEYS:
        return key, bool, False
    finding_list = next((f for f in FINDING_LISTS if f.key == key), None)
    if finding_list is not None:
        return key, tuple[_ROW_TYPES[finding_list.row], ...], ()
    return (key, *_DETAILS[key])


# The patient's answers to the screening questionnaire: one field per key of the contract's
# ``screening`` object, made from the questionnaire's declaration (patients.questions), so a new
# yes/no question is a new boolean here too. Frozen, slotted, keyword-only.
Screening = make_dataclass(
    "Screening",
    [_screening_field(key) for key in SCREENING_KEYS],
    frozen=True,
    slots=True,
    kw_only=True,
)
Screening.__module__ = __name__
Screening.__doc__ = "The patient's answers to the screening questionnaire (defaults: contract)."


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One proposed session: when, by whom (certification), for whom, which sites.

    ``screening`` is None when no questionnaire is on file; then ``screening_stale`` fires and
    the rules that need answers are not evaluated.
    """

    session_date: date
    date_of_birth: date
    sites: tuple[Site, ...]
    dn_certified_until: date | None = None
    consent_signed_on: date | None = None
    screened_on: date | None = None
    screening: Screening | None = None
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Clinic settings. The defaults are exactly the contract.

    ``stricter_rules`` lists relative rule codes the clinic treats as absolute. A policy can
    only make screening stricter: an absolute, precaution or unknown code is a ``ValueError``.
    ``bilateral_counts_twice`` makes a muscle needled on both left and right count as two
    muscles for the CPT code.
    """

    post_surgical_window_days: int = 84
    stricter_rules: frozenset[str] = field(default_factory=frozenset)
    bilateral_counts_twice: bool = False

    def __post_init__(self) -> None:
        window = self.post_surgical_window_days
        if isinstance(window, bool) or not isinstance(window, int) or window < 0:
            raise ValueError("post_surgical_window_days must be a whole number of days >= 0")
        if isinstance(self.stricter_rules, str):
            raise ValueError("stricter_rules must be a set of rule codes, not one string")
        rules = frozenset(self.stricter_rules)
        object.__setattr__(self, "stricter_rules", rules)
        for code in sorted(rules - RELATIVE_RULE_CODES):
            rule = RULES_BY_CODE.get(code)
            if rule is None:
                raise ValueError(f"stricter_rules: unknown rule code {code!r}")
            raise ValueError(
                f"stricter_rules: {code!r} is {rule.severity}; only relative rules can be made "
                "stricter, and a policy never makes a rule weaker"
            )


DEFAULT_POLICY = Policy()
