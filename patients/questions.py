"""The DN screening questionnaire, declared once.

Every fact of the screening contract's ``screening`` object is declared here, in the
contract's order. Everything else reads this declaration:

- ``patients.models.ScreeningQuestionnaire`` makes one boolean field per yes/no question;
- ``patients.forms.QuestionnaireForm`` asks each question in its section (staff and patients
  fill in the same form);
- ``patients.facts`` builds the contract's ``screening`` object from a saved questionnaire and
  ``patients.services.questionnaire_record`` accepts exactly these answers;
- ``needling.screening.contract`` parses the same keys, and the engine's ``Screening`` value
  has one field per key.

Adding a yes/no question is one ``YesNo`` entry below plus its migration
(``manage.py makemigrations patients``); a rule that reads it is then an engine change. The
details behind the three follow-up questions (blood thinner, pregnancy, epilepsy) and the rows
of the finding lists have models and form logic of their own.

Pure Python (no Django import), so the screening engine, which touches no database, reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

TAKING_PART: Final = "Taking part"
GENERAL_HEALTH: Final = "General health"
BLEEDING: Final = "Bleeding and blood thinners"
PREGNANCY: Final = "Pregnancy"


@dataclass(frozen=True, slots=True)
class YesNo:
    """A yes/no question whose answer is one boolean fact of the same name (default: no)."""

    key: str  # contract key and model field
    question: str  # as asked on the form
    label: str  # short name: the model field's verbose name, review pages
    section: str
    help: str = ""


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A yes/no question whose yes asks for details that make one non-boolean fact."""

    key: str  # contract key
    parent: str  # the form's yes/no field
    question: str
    section: str
    fields: tuple[str, ...]  # the form's detail fields, asked (and kept) only on yes
    help: str = ""


@dataclass(frozen=True, slots=True)
class FindingList:
    """A yes/no question whose yes asks for rows (a body region and side, mostly)."""

    key: str  # contract key and the questionnaire's related name
    parent: str  # the form's yes/no field
    question: str
    row_name: str  # one row, for messages
    title: str  # the list, for review pages
    row: str  # the row's shape: a key of ROW_FIELDS
    ordered_by: str = ""  # a row field the contract lists rows by (then by entry)


# The fields of a row of each shape, in the contract's order.
ROW_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "region_flag": ("region", "side"),
    "device": ("kind", "region", "side"),
    "lymphedema": ("limb", "side"),
    "surgery": ("on", "region", "side", "joint_replacement"),
}

# The contract's anticoagulant object: contract key -> questionnaire model field.
ANTICOAGULANT_FIELDS: Final[dict[str, str]] = {
    "drug": "anticoagulant_drug",
    "vitamin_k_antagonist": "vitamin_k_antagonist",
    "inr": "inr",
    "inr_on": "inr_on",
    "inr_target_low": "inr_target_low",
    "inr_target_high": "inr_target_high",
    "last_dose_change_on": "last_dose_change_on",
    "recent_bleeding": "recent_bleeding",
}

SCREENING: Final[tuple[YesNo | FollowUp | FindingList, ...]] = (
    YesNo("needle_phobia", "Is the patient afraid of needles?", "fear of needles", TAKING_PART),
    YesNo(
        "willing_to_proceed",
        "Is the patient willing to go ahead with dry needling?",
        "willing to proceed with dry needling",
        TAKING_PART,
    ),
    YesNo(
        "able_to_consent",
        "Can the patient give informed consent?",
        "able to give informed consent",
        TAKING_PART,
        help="Understands the information (with an interpreter if needed); "
        "a parent or guardian present for a minor.",
    ),
    YesNo(
        "acute_illness",
        "Is the patient acutely or unstably ill today?",
        "acute or unstable illness",
        GENERAL_HEALTH,
        help="Fever, systemic infection, unstable heart condition, red-flag symptoms.",
    ),
    YesNo(
        "bleeding_disorder",
        "A bleeding disorder or low platelets?",
        "bleeding disorder or low platelets",
        BLEEDING,
    ),
    FollowUp(
        "anticoagulant",
        "takes_anticoagulant",
        "Does the patient take a blood thinner (anticoagulant or antiplatelet)?",
        BLEEDING,
        fields=tuple(ANTICOAGULANT_FIELDS.values()),
        help="Including aspirin, clopidogrel, warfarin, apixaban, rivaroxaban, heparin.",
    ),
    YesNo(
        "immunocompromised",
        "Is the patient's immune system weakened?",
        "immunocompromised",
        GENERAL_HEALTH,
        help="Immunosuppressants or steroids, chemotherapy, transplant, "
        "HIV with low counts, neutropenia.",
    ),
    FollowUp(
        "pregnancy_due_date",
        "pregnant",
        "Is the patient pregnant?",
        PREGNANCY,
        fields=("pregnancy_due_date",),
    ),
    FollowUp(
        "epilepsy",
        "has_epilepsy",
        "Does the patient have epilepsy?",
        GENERAL_HEALTH,
        fields=("epilepsy_controlled",),
    ),
    YesNo("diabetes", "Does the patient have diabetes?", "diabetes", GENERAL_HEALTH),
    YesNo(
        "vascular_disease",
        "Peripheral vascular disease, or ever a deep vein thrombosis (DVT)?",
        "peripheral vascular disease or DVT",
        GENERAL_HEALTH,
    ),
    YesNo(
        "metal_allergy",
        "Is the patient allergic to nickel or chromium?",
        "nickel or chromium allergy",
        GENERAL_HEALTH,
    ),
    YesNo(
        "prosthetic_heart_valve",
        "Heart valve disease or a prosthetic heart valve?",
        "heart valve disease or prosthetic valve",
        GENERAL_HEALTH,
    ),
    YesNo(
        "cancer_history", "Has the patient ever had cancer?", "history of cancer", GENERAL_HEALTH
    ),
    YesNo(
        "lung_disease",
        "COPD or emphysema, very low body weight, or marked kyphosis?",
        "COPD, emphysema, very low BMI or marked kyphosis",
        GENERAL_HEALTH,
    ),
    FindingList(
        "implanted_devices",
        "has_implanted_devices",
        "Does the patient have an implanted device (pacemaker, ICD, neurostimulator, pump)?",
        "Implanted device",
        "Implanted devices",
        "device",
    ),
    FindingList(
        "infections",
        "has_infections",
        "Is there an infection, open wound or inflamed skin anywhere?",
        "Infection or wound",
        "Infections, wounds, inflamed skin",
        "region_flag",
    ),
    FindingList(
        "tumors",
        "has_tumors",
        "Does the patient have an active tumor?",
        "Tumor",
        "Active tumors",
        "region_flag",
    ),
    FindingList(
        "lymphedema",
        "has_lymphedema",
        "Is there lymphedema in an arm or a leg?",
        "Lymphedema",
        "Lymphedema",
        "lymphedema",
    ),
    FindingList(
        "surgeries",
        "has_surgeries",
        "Has the patient had an operation in the last year, or ever a joint replacement?",
        "Surgery",
        "Surgeries",
        "surgery",
        ordered_by="on",
    ),
    FindingList(
        "varicosities",
        "has_varicosities",
        "Does the patient have varicose veins?",
        "Varicose veins",
        "Varicose veins",
        "region_flag",
    ),
)

SCREENING_KEYS: Final[tuple[str, ...]] = tuple(entry.key for entry in SCREENING)
YES_NO: Final[tuple[YesNo, ...]] = tuple(e for e in SCREENING if isinstance(e, YesNo))
BOOLEAN_KEYS: Final[tuple[str, ...]] = tuple(q.key for q in YES_NO)
FOLLOW_UP_QUESTIONS: Final[tuple[FollowUp, ...]] = tuple(
    e for e in SCREENING if isinstance(e, FollowUp)
)
FINDING_LISTS: Final[tuple[FindingList, ...]] = tuple(
    e for e in SCREENING if isinstance(e, FindingList)
)
ANTICOAGULANT_KEYS: Final[tuple[str, ...]] = tuple(ANTICOAGULANT_FIELDS)

# The form's questions (yes/no answers and follow-up parents) by section, in order.
_sections: dict[str, list[str]] = {}
for _entry in SCREENING:
    if isinstance(_entry, YesNo):
        _sections.setdefault(_entry.section, []).append(_entry.key)
    elif isinstance(_entry, FollowUp):
        _sections.setdefault(_entry.section, []).append(_entry.parent)
SECTIONS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = tuple(
    (title, tuple(names)) for title, names in _sections.items()
)
# Follow-up parent -> the detail fields shown (and validated) only when it is answered yes.
FOLLOW_UPS: Final[dict[str, tuple[str, ...]]] = {f.parent: f.fields for f in FOLLOW_UP_QUESTIONS}
del _sections, _entry


def _check() -> None:
    keys = [*SCREENING_KEYS, *FOLLOW_UPS, *(f.parent for f in FINDING_LISTS)]
    if len(set(keys)) != len(keys):
        raise RuntimeError("screening questions: a key or form field is declared twice")
    unknown = {f.row for f in FINDING_LISTS} - set(ROW_FIELDS)
    if unknown:
        raise RuntimeError(f"screening questions: unknown row shapes {sorted(unknown)}")
    for f in FINDING_LISTS:
        if f.ordered_by and f.ordered_by not in ROW_FIELDS[f.row]:
            raise RuntimeError(f"{f.key}: rows cannot be ordered by {f.ordered_by!r}")


_check()
