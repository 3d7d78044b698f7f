"""The knowledge base: muscle catalogue, rule catalogue and the pain-area suggestion."""

import pytest

from needling.knowledge.catalogue import (
    LIMB_REGIONS,
    MUSCLES,
    MUSCLES_BY_CODE,
    PAIN_AREA_CODES,
    PAIN_AREAS,
    REGION_CODES,
    REGIONS,
    THORAX_ADJACENT,
)
from needling.knowledge.rules import RELATIVE_RULE_CODES, RULES, RULES_BY_CODE
from needling.knowledge.suggest import suggest_muscles
from needling.screening.engine import RULE_REGISTRY


def test_every_muscle_has_a_known_region():
    assert [m.code for m in MUSCLES if m.region not in REGION_CODES] == []


def test_every_muscle_refers_only_to_known_pain_areas():
    unknown = {(m.code, a) for m in MUSCLES for a in m.refers_to if a not in PAIN_AREA_CODES}
    assert unknown == set()


def test_every_muscle_refers_somewhere_and_has_conditions():
    assert all(m.refers_to and m.typical_conditions and m.name for m in MUSCLES)


def test_muscle_codes_are_unique_and_the_whole_catalogue_is_there():
    assert len(MUSCLES) == len(MUSCLES_BY_CODE) == 61
    assert MUSCLES[0].code == "temporalis"
    assert MUSCLES[-1].code == "abductor_hallucis"


def test_region_and_pain_area_codes_are_unique():
    assert len(REGIONS) == len(REGION_CODES) == 16
    assert len(PAIN_AREAS) == len(PAIN_AREA_CODES) == 48


def test_limbs_and_thorax_are_made_of_regions():
    assert LIMB_REGIONS["upper"] == {"shoulder", "upper_arm", "forearm", "hand"}
    assert LIMB_REGIONS["lower"] == {"hip", "thigh", "leg", "foot"}
    assert {"neck", "shoulder", "chest", "upper_back"} == THORAX_ADJACENT


@pytest.mark.parametrize(
    ("code", "lung", "deep", "pregnancy", "neuro"),
    [
        ("scalenes", True, False, False, True),
        ("subscapularis", True, True, False, False),
        ("tibialis_posterior", False, True, True, True),
        ("fibularis_longus", False, False, True, True),
        ("gluteus_medius", False, False, False, False),
        ("upper_trapezius", True, False, True, False),
        ("quadratus_lumborum", False, True, False, True),
    ],
)
def test_flags_follow_the_catalogue(code, lung, deep, pregnancy, neuro):
    muscle = MUSCLES_BY_CODE[code]
    assert (muscle.lung_risk, muscle.deep, muscle.pregnancy_restricted, muscle.neurovascular) == (
        lung,
        deep,
        pregnancy,
        neuro,
    )


def test_every_neurovascular_muscle_has_caution_text():
    assert [m.code for m in MUSCLES if m.neurovascular and not m.caution] == []


def test_the_rule_catalogue_has_every_contract_code_once():
    assert len(RULES) == len(RULES_BY_CODE) == 36
    assert {
        "pregnancy",
        "anticoagulant",
        "bleeding_disorder",
        "immunocompromised",
        "epilepsy",
        "diabetes",
        "vascular_disease",
        "metal_allergy",
        "prosthetic_heart_valve",
        "cancer_history",
        "minor",
        "prosthetic_joint",
        "estim_cardiac_device",
        "estim_implanted_device",
        "bleeding_risk_deep_site",
    } == RELATIVE_RULE_CODES


def test_every_rule_explains_itself_and_names_a_source():
    assert all(r.name and r.explanation and r.source for r in RULES)
    assert {r.severity for r in RULES} == {"absolute", "relative", "precaution"}
    assert {r.scope for r in RULES} == {"procedural", "patient", "site", "plan", "precaution"}


def test_the_engine_implements_every_catalogue_rule_with_its_severity():
    implemented = {r.code: r.severity for r in RULE_REGISTRY}
    assert implemented == {r.code: r.severity for r in RULES}


def test_suggestions_rank_by_matched_areas_then_specificity_then_code():
    suggestions = suggest_muscles(["medial_scapula", "posterior_neck"])
    assert [(s.muscle.code, s.matched) for s in suggestions[:3]] == [
        ("lower_trapezius", ("posterior_neck", "medial_scapula")),
        ("levator_scapulae", ("posterior_neck", "medial_scapula")),
        ("rhomboids", ("medial_scapula",)),
    ]
    assert [s.muscle.code for s in suggestions[3:8]] == [
        "cervical_multifidus",
        "latissimus_dorsi",
        "middle_trapezius",
        "serratus_anterior",
        "splenius_cervicis",
    ]
    counts = [len(s.matched) for s in suggestions]
    assert counts == sorted(counts, reverse=True)


def test_suggestions_break_ties_by_code():
    codes = [s.muscle.code for s in suggest_muscles(["heel"])]
    assert codes == ["quadratus_plantae", "abductor_hallucis", "soleus"]


def test_suggestions_leave_out_muscles_that_match_nothing():
    assert suggest_muscles([]) == ()
    assert all(s.matched for s in suggest_muscles(["knee"]))


def test_suggestions_accept_a_muscle_mapping():
    only = {"soleus": MUSCLES_BY_CODE["soleus"]}
    assert [s.muscle.code for s in suggest_muscles(["heel"], only)] == ["soleus"]


def test_suggestions_reject_unknown_pain_areas():
    with pytest.raises(ValueError, match="fibromyalgia"):
        suggest_muscles(["heel", "fibromyalgia"])
