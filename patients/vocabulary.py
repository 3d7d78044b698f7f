"""The project's own copy of the body vocabularies of the DN knowledge base.

Region codes, sides, limbs and pain-area codes are stable identifiers shared with the
screening contract (a region recorded on a questionnaire is compared with the region of a
planned needling site), so the codes here must never change; the labels may.
"""

from __future__ import annotations

from django.db import models


class Region(models.TextChoices):
    HEAD = "head", "Head"
    JAW = "jaw", "Jaw"
    NECK = "neck", "Neck"
    SHOULDER = "shoulder", "Shoulder"
    CHEST = "chest", "Chest"
    UPPER_BACK = "upper_back", "Upper back"
    LOW_BACK = "low_back", "Low back"
    ABDOMEN = "abdomen", "Abdomen"
    BUTTOCK = "buttock", "Buttock"
    HIP = "hip", "Hip"
    UPPER_ARM = "upper_arm", "Upper arm"
    FOREARM = "forearm", "Forearm"
    HAND = "hand", "Hand"
    THIGH = "thigh", "Thigh"
    LEG = "leg", "Lower leg"
    FOOT = "foot", "Foot"


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    MIDLINE = "midline", "Midline"
    BILATERAL = "bilateral", "Both sides"


class Limb(models.TextChoices):
    UPPER = "upper", "Upper limb (arm)"
    LOWER = "lower", "Lower limb (leg)"


class PainArea(models.TextChoices):
    TEMPLE = "temple", "Temple"
    EYEBROW = "eyebrow", "Eyebrow"
    BEHIND_EYE = "behind_eye", "Behind the eye"
    VERTEX = "vertex", "Top of the head"
    OCCIPUT = "occiput", "Back of the head"
    EAR = "ear", "Ear"
    CHEEK = "cheek", "Cheek"
    JAW = "jaw", "Jaw"
    TEETH = "teeth", "Teeth"
    UPPER_TEETH = "upper_teeth", "Upper teeth"
    THROAT = "throat", "Throat"
    POSTERIOR_NECK = "posterior_neck", "Back of the neck"
    SHOULDER_TOP = "shoulder_top", "Top of the shoulder"
    ANTERIOR_SHOULDER = "anterior_shoulder", "Front of the shoulder"
    POSTERIOR_SHOULDER = "posterior_shoulder", "Back of the shoulder"
    LATERAL_ARM = "lateral_arm", "Outer arm"
    MEDIAL_ARM = "medial_arm", "Inner arm"
    ANTERIOR_ELBOW = "anterior_elbow", "Front of the elbow"
    LATERAL_ELBOW = "lateral_elbow", "Outer elbow"
    MEDIAL_ELBOW = "medial_elbow", "Inner elbow"
    FOREARM = "forearm", "Forearm"
    WRIST = "wrist", "Wrist"
    HAND = "hand", "Hand"
    THUMB = "thumb", "Thumb"
    CHEST = "chest", "Chest"
    LATERAL_CHEST = "lateral_chest", "Side of the chest"
    MEDIAL_SCAPULA = "medial_scapula", "Between the shoulder blades"
    MID_BACK = "mid_back", "Mid back"
    LOW_BACK = "low_back", "Low back"
    ABDOMEN = "abdomen", "Abdomen"
    SI_JOINT = "si_joint", "Sacroiliac joint"
    BUTTOCK = "buttock", "Buttock"
    COCCYX = "coccyx", "Tailbone (coccyx)"
    GROIN = "groin", "Groin"
    LATERAL_HIP = "lateral_hip", "Outer hip"
    ANTERIOR_THIGH = "anterior_thigh", "Front of the thigh"
    LATERAL_THIGH = "lateral_thigh", "Outer thigh"
    MEDIAL_THIGH = "medial_thigh", "Inner thigh"
    POSTERIOR_THIGH = "posterior_thigh", "Back of the thigh"
    KNEE = "knee", "Knee"
    POSTERIOR_KNEE = "posterior_knee", "Back of the knee"
    CALF = "calf", "Calf"
    ACHILLES = "achilles", "Achilles tendon"
    HEEL = "heel", "Heel"
    SOLE = "sole", "Sole of the foot"
    BIG_TOE = "big_toe", "Big toe"
    ANKLE_FRONT = "ankle_front", "Front of the ankle"
    ANKLE_LATERAL = "ankle_lateral", "Outer ankle"


# Plain tuples for code that only needs the codes (the screening facts, fixtures, checks).
REGIONS: tuple[str, ...] = tuple(Region.values)
SIDES: tuple[str, ...] = tuple(Side.values)
LIMBS: tuple[str, ...] = tuple(Limb.values)
PAIN_AREAS: tuple[tuple[str, str], ...] = tuple(PainArea.choices)

# Which regions make up each limb (the lymphedema rule compares a site's region with these).
LIMB_REGIONS: dict[str, frozenset[str]] = {
    Limb.UPPER: frozenset({"shoulder", "upper_arm", "forearm", "hand"}),
    Limb.LOWER: frozenset({"hip", "thigh", "leg", "foot"}),
}

# Pain areas on the midline of the body: recorded once, with side "midline".
MIDLINE_PAIN_AREAS: frozenset[str] = frozenset(
    {"vertex", "occiput", "throat", "mid_back", "low_back", "abdomen", "coccyx"}
)


def pain_area_sides(area: str) -> tuple[str, ...]:
    """The sides a pain area can be recorded on: midline areas once, paired areas per side."""
    return (Side.MIDLINE,) if area in MIDLINE_PAIN_AREAS else (Side.LEFT, Side.RIGHT)


class DeviceKind(models.TextChoices):
    PACEMAKER = "pacemaker", "Pacemaker"
    ICD = "icd", "Implantable cardioverter-defibrillator (ICD)"
    NEUROSTIMULATOR = "neurostimulator", "Neurostimulator"
    PUMP = "pump", "Implanted pump (e.g. insulin, intrathecal)"
    OTHER = "other", "Other implanted device"


CARDIAC_DEVICES: frozenset[str] = frozenset({DeviceKind.PACEMAKER, DeviceKind.ICD})


class Epilepsy(models.TextChoices):
    NONE = "none", "No epilepsy"
    CONTROLLED = "controlled", "Epilepsy, seizures controlled"
    UNCONTROLLED = "uncontrolled", "Epilepsy, seizures not controlled"


# Common anticoagulants and antiplatelets, offered as suggestions when typing the drug.
# Vitamin K antagonists need an INR; a drug named here as one is always recorded as one.
VITAMIN_K_ANTAGONISTS: frozenset[str] = frozenset(
    {"warfarin", "acenocoumarol", "phenprocoumon", "fluindione", "coumadin", "jantoven"}
)
COMMON_ANTICOAGULANTS: tuple[str, ...] = (
    "warfarin",
    "acenocoumarol",
    "phenprocoumon",
    "apixaban",
    "rivaroxaban",
    "dabigatran",
    "edoxaban",
    "enoxaparin",
    "heparin",
    "aspirin",
    "clopidogrel",
    "prasugrel",
    "ticagrelor",
)


def is_vitamin_k_antagonist(drug: str) -> bool:
    return (drug or "").strip().casefold() in VITAMIN_K_ANTAGONISTS
