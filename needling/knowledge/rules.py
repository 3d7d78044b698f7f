"""The contraindication rule catalogue, as data.

Rule codes are part of the public screening contract: names and explanations may change, a
code never does. The engine (``needling.screening.engine``) implements each rule once and
checks at import time that its code and severity agree with this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

# Version 2 (2026-12): midline lung-risk sites count as both sides for bilateral_thorax, an INR
# dated after the session is no current INR, estim_implanted_device is new (36 rules), and
# upper_trapezius is pregnancy-restricted.
CATALOGUE_VERSION: Final = 2

Severity = Literal["absolute", "relative", "precaution"]
Scope = Literal["procedural", "patient", "site", "plan", "precaution"]

ABSOLUTE: Final = "absolute"
RELATIVE: Final = "relative"
PRECAUTION: Final = "precaution"
# Output order of findings: absolute, relative, precaution.
SEVERITY_ORDER: tuple[Severity, ...] = (ABSOLUTE, RELATIVE, PRECAUTION)

# Source references (short forms).
_APTA_ISCP = "APTA dry needling resource paper (2013); ISCP guideline (2012)"
_CLINIC = "Clinic specification of contraindications"
_MUNOZ = "Munoz & Dommerholt 2022, Dry needling and anticoagulant medication (PRM 1363477)"
_SA_THORAX = "South African statutory DN safety guideline, thorax section (bn121_5_1)"
_SA_NEURO = "South African statutory DN safety guideline, neurovascular section (bn121_5_4)"
_MYOPAIN = "Myopain Seminars, Intercostal blocking for dry needling on the chest wall"


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: stable code, staff-facing name and explanation, class, and where it is from."""

    code: str
    name: str
    severity: Severity
    scope: Scope
    explanation: str
    source: str


RULES: tuple[Rule, ...] = (
    # Procedural gates
    Rule(
        "consent_missing",
        "DN consent missing or out of date",
        ABSOLUTE,
        "procedural",
        "No DN informed consent on file, consent signed after the session date, or signed "
        "more than 365 days before it.",
        _APTA_ISCP,
    ),
    Rule(
        "screening_stale",
        "Screening questionnaire missing or stale",
        ABSOLUTE,
        "procedural",
        "No screening questionnaire, or it was completed more than 30 days before the session "
        "date, or after it.",
        _APTA_ISCP,
    ),
    Rule(
        "practitioner_not_certified",
        "Practitioner not DN-certified",
        ABSOLUTE,
        "procedural",
        "The treating practitioner has no DN certification valid on the session date "
        "(a certification is valid through its last day).",
        f"{_APTA_ISCP}; {_SA_THORAX}",
    ),
    # Patient level
    Rule(
        "needle_phobia",
        "Fear of needles or not willing",
        ABSOLUTE,
        "patient",
        "The patient reports fear of needles or is not willing to proceed.",
        f"{_CLINIC} (fear of needles); {_APTA_ISCP}",
    ),
    Rule(
        "unable_to_consent",
        "Unable to give informed consent",
        ABSOLUTE,
        "patient",
        "The patient cannot give informed consent (capacity, language without interpreter, "
        "minor without guardian).",
        _APTA_ISCP,
    ),
    Rule(
        "acute_illness",
        "Acute or unstable illness",
        ABSOLUTE,
        "patient",
        "Fever, systemic infection, unstable cardiac condition or red-flag symptoms: defer the "
        "session.",
        _APTA_ISCP,
    ),
    Rule(
        "pregnancy_first_trimester",
        "Pregnancy, first trimester",
        ABSOLUTE,
        "patient",
        "Pregnant and under 14 weeks gestational age on the session date.",
        f"{_CLINIC} (first trimester of pregnancy); {_APTA_ISCP}",
    ),
    Rule(
        "pregnancy",
        "Pregnancy, 14 weeks or later",
        RELATIVE,
        "patient",
        "Pregnant, 14 weeks or later on the session date. Sources range from relative to never.",
        _APTA_ISCP,
    ),
    Rule(
        "anticoagulant_uncontrolled",
        "Anticoagulant use not controlled",
        ABSOLUTE,
        "patient",
        "On an anticoagulant or antiplatelet with recent abnormal bleeding, a dose change in the "
        "last 7 days, or (vitamin K antagonist) no in-range INR from the 28 days up to the "
        "session date (an INR dated after the session is none). Stopping the drug is never the "
        "therapist's decision.",
        f"{_MUNOZ}; {_CLINIC} (uncontrolled anticoagulant use)",
    ),
    Rule(
        "anticoagulant",
        "Anticoagulant or antiplatelet",
        RELATIVE,
        "patient",
        "On a controlled anticoagulant or antiplatelet: apply pressure after needling, prefer "
        "superficial sites.",
        _MUNOZ,
    ),
    Rule(
        "bleeding_disorder",
        "Bleeding disorder",
        RELATIVE,
        "patient",
        "Diagnosed bleeding disorder or low platelets.",
        f"{_CLINIC} (bleeding disorders); {_MUNOZ}",
    ),
    Rule(
        "immunocompromised",
        "Compromised immune system",
        RELATIVE,
        "patient",
        "Immunosuppressant or steroid therapy, chemotherapy, transplant, HIV with low counts or "
        "neutropenia: infection risk.",
        f"{_CLINIC} (compromised immune system); {_APTA_ISCP}",
    ),
    Rule(
        "epilepsy_uncontrolled",
        "Epilepsy, not controlled",
        ABSOLUTE,
        "patient",
        "Epilepsy with seizures not controlled.",
        _APTA_ISCP,
    ),
    Rule(
        "epilepsy",
        "Epilepsy, controlled",
        RELATIVE,
        "patient",
        "Controlled epilepsy.",
        _APTA_ISCP,
    ),
    Rule(
        "diabetes",
        "Diabetes",
        RELATIVE,
        "patient",
        "Diabetes: poor peripheral healing; distal limbs need care.",
        _APTA_ISCP,
    ),
    Rule(
        "vascular_disease",
        "Vascular disease",
        RELATIVE,
        "patient",
        "Peripheral vascular disease or history of DVT.",
        _APTA_ISCP,
    ),
    Rule(
        "metal_allergy",
        "Metal allergy",
        RELATIVE,
        "patient",
        "Allergy to nickel or chromium.",
        _APTA_ISCP,
    ),
    Rule(
        "prosthetic_heart_valve",
        "Heart valve disease",
        RELATIVE,
        "patient",
        "Heart valve disease or prosthetic valve: endocarditis risk.",
        _APTA_ISCP,
    ),
    Rule(
        "cancer_history",
        "History of cancer",
        RELATIVE,
        "patient",
        "History of cancer (no active tumor at a planned site).",
        f"{_CLINIC} (active tumor); {_APTA_ISCP}",
    ),
    Rule(
        "minor",
        "Minor",
        RELATIVE,
        "patient",
        "The patient is younger than 18 on the session date: a guardian consents.",
        _APTA_ISCP,
    ),
    # Site level
    Rule(
        "local_infection",
        "Local infection",
        ABSOLUTE,
        "site",
        "Infection, open wound or inflamed skin at the site.",
        f"{_CLINIC} (local infection); {_APTA_ISCP}",
    ),
    Rule(
        "tumor_site",
        "Active tumor at the site",
        ABSOLUTE,
        "site",
        "Active tumor at the site.",
        f"{_CLINIC} (active tumor); {_APTA_ISCP}",
    ),
    Rule(
        "lymphedema_limb",
        "Lymphedema limb",
        ABSOLUTE,
        "site",
        "The site lies on a limb with lymphedema, same side.",
        _APTA_ISCP,
    ),
    Rule(
        "implanted_device_site",
        "Implanted device at the site",
        ABSOLUTE,
        "site",
        "An implanted device (pacemaker, ICD, neurostimulator, pump) lies in the site's region.",
        f"{_CLINIC} (area near a cardiac pacemaker); {_APTA_ISCP}",
    ),
    Rule(
        "post_surgical_site",
        "Recent surgery at the site",
        ABSOLUTE,
        "site",
        "Surgery in the site's region within the clinic's post-surgical window (84 days by "
        "default).",
        f"{_CLINIC} (immediate post-surgical status); window is a clinic setting",
    ),
    Rule(
        "prosthetic_joint",
        "Prosthetic joint at the site",
        RELATIVE,
        "site",
        "A joint replacement in the site's region, older than the post-surgical window.",
        _APTA_ISCP,
    ),
    Rule(
        "varicosity_site",
        "Varicose veins at the site",
        ABSOLUTE,
        "site",
        "Varicose veins recorded in the site's region.",
        _APTA_ISCP,
    ),
    Rule(
        "pregnancy_restricted_site",
        "Site restricted in pregnancy",
        ABSOLUTE,
        "site",
        "Pregnant (any trimester) and the site is in the abdomen or low back, or the muscle is "
        "pregnancy-restricted.",
        f"{_APTA_ISCP}; muscle catalogue P flag",
    ),
    Rule(
        "estim_cardiac_device_thorax",
        "E-stim near the heart with a cardiac device",
        ABSOLUTE,
        "site",
        "Electrical stimulation in the neck, shoulder, chest or upper back with a pacemaker or "
        "ICD.",
        f"{_CLINIC} (area near a cardiac pacemaker); {_APTA_ISCP}",
    ),
    Rule(
        "estim_cardiac_device",
        "E-stim with a cardiac device",
        RELATIVE,
        "site",
        "Electrical stimulation elsewhere on a patient with a pacemaker or ICD.",
        f"{_CLINIC} (cardiac pacemaker); {_APTA_ISCP}",
    ),
    Rule(
        "estim_implanted_device",
        "E-stim with a neurostimulator or implanted pump",
        RELATIVE,
        "site",
        "Electrical stimulation with a neurostimulator (spinal cord, sacral, vagal or deep-brain) "
        "or an implanted pump, any region: the current can disturb or damage the device. Check "
        "the manufacturer's guidance and the patient's device card.",
        f"{_APTA_ISCP}; catalogue amendment 2026-12",
    ),
    Rule(
        "bleeding_risk_deep_site",
        "Deep site with bleeding risk",
        RELATIVE,
        "site",
        "Bleeding disorder or anticoagulant, and a deep muscle where pressure cannot stop "
        "bleeding.",
        _MUNOZ,
    ),
    # Plan level
    Rule(
        "bilateral_thorax",
        "Lung-risk muscles on both sides",
        ABSOLUTE,
        "plan",
        "Lung-risk muscles on both the left and the right in one session: risk of bilateral "
        "pneumothorax. A lung-risk site on the midline counts as both sides.",
        f"{_SA_THORAX}; {_MYOPAIN}",
    ),
    # Precautions
    Rule(
        "lung_field",
        "Lung field",
        PRECAUTION,
        "precaution",
        "Direct the needle away from the lung; pincer grip or intercostal blocking; respect the "
        "depth limit. Pneumothorax symptoms can be delayed up to 2 days.",
        f"{_SA_THORAX}; {_MYOPAIN}",
    ),
    Rule(
        "deep_structure",
        "Neurovascular, spinal-canal or organ caution",
        PRECAUTION,
        "precaution",
        "A nerve, vessel, the spinal canal or an organ lies near the muscle.",
        f"{_SA_NEURO}; cadaver depth studies",
    ),
    Rule(
        "lung_disease",
        "Lung disease with a lung-risk site",
        PRECAUTION,
        "precaution",
        "COPD or emphysema, very low BMI or marked kyphosis with a lung-risk site planned: the "
        "pleura is closer.",
        _SA_THORAX,
    ),
)

RULES_BY_CODE: Mapping[str, Rule] = MappingProxyType({r.code: r for r in RULES})
RULE_CODES: frozenset[str] = frozenset(RULES_BY_CODE)
RELATIVE_RULE_CODES: frozenset[str] = frozenset(r.code for r in RULES if r.severity == RELATIVE)
