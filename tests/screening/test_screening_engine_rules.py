"""The screening engine, rule by rule, with every boundary; overrides, policy and CPT."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from needling.knowledge.catalogue import MUSCLES_BY_CODE
from needling.screening import (
    Anticoagulant,
    Case,
    Device,
    Lymphedema,
    Override,
    Policy,
    RegionFlag,
    Screening,
    Site,
    Surgery,
    cpt_code,
    evaluate,
)

SESSION = date(2026, 3, 10)
CLEAN = Screening(willing_to_proceed=True, able_to_consent=True)
GLUTE = Site("gluteus_medius", "right")  # no flags at all
REASON = "Discussed with the patient; benefits outweigh the risk today."


def days_before(days: int) -> date:
    return SESSION - timedelta(days=days)


def case(*sites: Site, **changes) -> Case:
    """A plan that screens clear, with ``changes`` applied."""
    base = Case(
        session_date=SESSION,
        date_of_birth=date(1984, 2, 29),
        dn_certified_until=date(2027, 6, 30),
        consent_signed_on=date(2026, 3, 1),
        screened_on=date(2026, 3, 9),
        screening=CLEAN,
        sites=sites or (GLUTE,),
    )
    return replace(base, **changes)


def answers(**changes) -> Screening:
    return replace(CLEAN, **changes)


def rules(result) -> set[str]:
    return {f.rule for f in result.findings}


def finding(result, code: str):
    matches = [f for f in result.findings if f.rule == code]
    assert len(matches) == 1, f"{code} did not fire: {sorted(rules(result))}"
    return matches[0]


def fires(code: str, *sites: Site, **changes) -> bool:
    return code in rules(evaluate(case(*sites, **changes)))


# ---------------------------------------------------------------- a clean plan


def test_a_clean_plan_is_clear_with_no_findings():
    result = evaluate(case())
    assert result.decision == "clear"
    assert result.findings == ()
    assert result.ignored_overrides == ()
    assert result.cpt_code == "20560"


# ---------------------------------------------------------------- procedural gates


def test_it_blocks_without_consent():
    result = evaluate(case(consent_signed_on=None))
    assert finding(result, "consent_missing").severity == "absolute"
    assert result.decision == "blocked"


@pytest.mark.parametrize(("days", "fired"), [(0, False), (365, False), (366, True), (-1, True)])
def test_consent_is_valid_for_365_days_and_never_after_the_session(days, fired):
    assert fires("consent_missing", consent_signed_on=days_before(days)) is fired


def test_it_blocks_without_a_screening():
    result = evaluate(case(screening=None, screened_on=None))
    assert finding(result, "screening_stale").sites == ()
    assert result.decision == "blocked"


def test_a_screening_without_a_date_is_stale():
    assert fires("screening_stale", screened_on=None)


@pytest.mark.parametrize(("days", "fired"), [(0, False), (30, False), (31, True), (-1, True)])
def test_a_screening_is_fresh_for_30_days_and_never_after_the_session(days, fired):
    assert fires("screening_stale", screened_on=days_before(days)) is fired


def test_without_a_screening_only_rules_needing_no_answers_run():
    pregnant_on_anticoagulant = answers(
        pregnancy_due_date=SESSION, anticoagulant=Anticoagulant(drug="apixaban")
    )
    result = evaluate(
        case(
            Site("upper_trapezius", "left"),
            Site("piriformis", "right"),
            screening=None,
            date_of_birth=date(2010, 1, 1),
        )
    )
    assert rules(result) == {"screening_stale", "minor", "lung_field", "deep_structure"}
    with_answers = evaluate(
        case(Site("upper_trapezius", "left"), screening=pregnant_on_anticoagulant)
    )
    assert {"pregnancy", "anticoagulant"} <= rules(with_answers)


def test_it_blocks_an_uncertified_practitioner():
    assert finding(evaluate(case(dn_certified_until=None)), "practitioner_not_certified")


@pytest.mark.parametrize(("until", "fired"), [(SESSION, False), (days_before(1), True)])
def test_certification_is_valid_through_its_last_day(until, fired):
    assert fires("practitioner_not_certified", dn_certified_until=until) is fired


# ---------------------------------------------------------------- patient level


@pytest.mark.parametrize(
    "screening",
    [answers(needle_phobia=True), answers(willing_to_proceed=False)],
    ids=["fear", "unwilling"],
)
def test_it_blocks_needle_phobia_or_an_unwilling_patient(screening):
    assert finding(evaluate(case(screening=screening)), "needle_phobia").severity == "absolute"


def test_it_blocks_a_patient_unable_to_consent():
    result = evaluate(case(screening=answers(able_to_consent=False)))
    assert finding(result, "unable_to_consent").severity == "absolute"


def test_unanswered_willingness_and_capacity_fail_closed():
    assert {"needle_phobia", "unable_to_consent"} <= rules(evaluate(case(screening=Screening())))


def test_it_blocks_acute_illness():
    assert finding(evaluate(case(screening=answers(acute_illness=True))), "acute_illness")
    assert not fires("acute_illness")


@pytest.mark.parametrize(
    "code",
    [
        "bleeding_disorder",
        "immunocompromised",
        "diabetes",
        "vascular_disease",
        "metal_allergy",
        "prosthetic_heart_valve",
        "cancer_history",
    ],
)
def test_a_yes_answer_makes_its_relative_finding(code):
    result = evaluate(case(screening=answers(**{code: True})))
    found = finding(result, code)
    assert (found.severity, found.sites, found.overridden) == ("relative", (), False)
    assert result.decision == "override_required"
    assert not fires(code)


def due_for(weeks: int, days: int) -> date:
    """The due date that gives this gestational age on the session date."""
    return SESSION + timedelta(days=280 - (weeks * 7 + days))


def test_it_blocks_first_trimester():
    result = evaluate(case(screening=answers(pregnancy_due_date=due_for(13, 6))))
    assert finding(result, "pregnancy_first_trimester").severity == "absolute"
    assert "pregnancy" not in rules(result)
    assert "13 weeks 6 days" in finding(result, "pregnancy_first_trimester").message


def test_fourteen_weeks_is_relative_pregnancy():
    result = evaluate(case(screening=answers(pregnancy_due_date=due_for(14, 0))))
    assert finding(result, "pregnancy").severity == "relative"
    assert "pregnancy_first_trimester" not in rules(result)


def test_a_due_date_more_than_40_weeks_away_is_first_trimester():
    far = answers(pregnancy_due_date=SESSION + timedelta(days=300))
    assert fires("pregnancy_first_trimester", screening=far)


@pytest.mark.parametrize(("days_past_due", "counts"), [(0, True), (42, True), (43, False)])
def test_a_due_date_more_than_six_weeks_past_no_longer_counts(days_past_due, counts):
    screening = answers(pregnancy_due_date=days_before(days_past_due))
    assert fires("pregnancy", screening=screening) is counts


def with_drug(**facts) -> Screening:
    return answers(anticoagulant=Anticoagulant(**facts))


def warfarin(**facts) -> Screening:
    base = {"drug": "warfarin", "vitamin_k_antagonist": True, "inr": 2.5, "inr_on": SESSION}
    return with_drug(**base | facts)


def test_a_controlled_anticoagulant_is_relative():
    result = evaluate(case(screening=with_drug(drug="apixaban")))
    assert finding(result, "anticoagulant").severity == "relative"
    assert "anticoagulant_uncontrolled" not in rules(result)


def test_recent_bleeding_makes_an_anticoagulant_uncontrolled():
    result = evaluate(case(screening=with_drug(drug="apixaban", recent_bleeding=True)))
    assert finding(result, "anticoagulant_uncontrolled").severity == "absolute"
    assert "anticoagulant" not in rules(result)


@pytest.mark.parametrize(("days", "uncontrolled"), [(0, True), (7, True), (8, False), (-1, False)])
def test_a_dose_change_in_the_last_7_days_is_uncontrolled(days, uncontrolled):
    screening = with_drug(drug="rivaroxaban", last_dose_change_on=days_before(days))
    result = evaluate(case(screening=screening))
    assert ("anticoagulant_uncontrolled" in rules(result)) is uncontrolled
    assert ("anticoagulant" in rules(result)) is not uncontrolled


@pytest.mark.parametrize(
    ("inr", "in_range"), [(2.0, True), (3.0, True), (2.4, True), (1.99, False), (3.01, False)]
)
def test_a_vka_inr_must_be_in_its_inclusive_target_range(inr, in_range):
    assert fires("anticoagulant_uncontrolled", screening=warfarin(inr=inr)) is not in_range


def test_the_inr_target_range_can_be_set_per_patient():
    assert fires("anticoagulant_uncontrolled", screening=warfarin(inr=2.4, inr_target_low=2.5))
    high = warfarin(inr=3.5, inr_target_low=2.5, inr_target_high=3.5)
    assert not fires("anticoagulant_uncontrolled", screening=high)


@pytest.mark.parametrize(("age", "stale"), [(0, False), (28, False), (29, True)])
def test_a_vka_inr_older_than_28_days_is_uncontrolled(age, stale):
    assert fires("anticoagulant_uncontrolled", screening=warfarin(inr_on=days_before(age))) is stale


# Catalogue v2: an INR dated after the session date is no current INR (v1 counted it current).
@pytest.mark.parametrize(("age", "current"), [(0, True), (-1, False), (-30, False)])
def test_a_vka_inr_dated_after_the_session_is_no_current_inr(age, current):
    result = evaluate(case(screening=warfarin(inr_on=days_before(age))))
    assert ("anticoagulant_uncontrolled" in rules(result)) is not current
    assert ("anticoagulant" in rules(result)) is current
    if not current:
        message = finding(result, "anticoagulant_uncontrolled").message
        assert "after the session date" in message


@pytest.mark.parametrize(
    "screening", [warfarin(inr=None), warfarin(inr_on=None)], ids=["no INR", "no INR date"]
)
def test_a_vka_without_an_inr_or_its_date_is_uncontrolled(screening):
    assert fires("anticoagulant_uncontrolled", screening=screening)


def test_inr_rules_apply_only_to_vitamin_k_antagonists():
    assert fires("anticoagulant", screening=with_drug(drug="clopidogrel", inr=None))


def test_an_uncontrolled_message_lists_every_reason():
    screening = warfarin(inr=4.2, inr_on=days_before(40), recent_bleeding=True)
    message = finding(evaluate(case(screening=screening)), "anticoagulant_uncontrolled").message
    assert "bleeding" in message
    assert "4.2" in message
    assert "40 days" in message


def test_it_blocks_uncontrolled_epilepsy_and_flags_controlled_epilepsy():
    uncontrolled = evaluate(case(screening=answers(epilepsy="uncontrolled")))
    controlled = evaluate(case(screening=answers(epilepsy="controlled")))
    assert rules(uncontrolled) == {"epilepsy_uncontrolled"}
    assert rules(controlled) == {"epilepsy"}
    assert not fires("epilepsy")


@pytest.mark.parametrize(
    ("born", "minor"),
    [
        (date(2008, 3, 11), True),  # 17 years 364 days
        (date(2008, 3, 10), False),  # 18 today
        (date(2026, 1, 1), True),
    ],
)
def test_a_patient_under_18_on_the_session_date_is_a_minor(born, minor):
    assert fires("minor", date_of_birth=born) is minor


@pytest.mark.parametrize(
    ("session", "minor"), [(date(2026, 2, 28), True), (date(2026, 3, 1), False)]
)
def test_a_29_february_birthday_turns_18_on_1_march(session, minor):
    plan = case(
        date_of_birth=date(2008, 2, 29),
        session_date=session,
        consent_signed_on=session,
        screened_on=session,
    )
    assert ("minor" in rules(evaluate(plan))) is minor


# ---------------------------------------------------------------- site level: region and side


@pytest.mark.parametrize(
    ("flag_side", "site_side", "matches"),
    [
        ("left", "left", True),
        ("left", "right", False),
        ("right", "left", False),
        ("midline", "left", True),
        ("midline", "right", True),
        ("left", "midline", True),
        ("bilateral", "left", True),
        ("bilateral", "right", True),
        ("bilateral", "midline", True),
    ],
)
def test_a_site_matches_a_flag_by_region_and_side(flag_side, site_side, matches):
    screening = answers(infections=(RegionFlag("forearm", flag_side),))
    site = Site("supinator", site_side)
    assert fires("local_infection", site, screening=screening) is matches


def test_a_flag_in_another_region_does_not_match():
    screening = answers(infections=(RegionFlag("hand", "bilateral"),))
    assert not fires("local_infection", Site("supinator", "left"), screening=screening)


@pytest.mark.parametrize(
    ("code", "field"),
    [
        ("local_infection", "infections"),
        ("tumor_site", "tumors"),
        ("varicosity_site", "varicosities"),
    ],
)
def test_region_findings_block_the_matching_sites_only(code, field):
    screening = answers(**{field: (RegionFlag("leg", "left"),)})
    plan = case(Site("gastrocnemius", "left"), Site("gastrocnemius", "right"), GLUTE)
    found = finding(evaluate(replace(plan, screening=screening)), code)
    assert (found.severity, found.sites) == ("absolute", (("gastrocnemius", "left"),))


@pytest.mark.parametrize("kind", ["pacemaker", "icd", "neurostimulator", "pump", "other"])
def test_any_implanted_device_blocks_sites_in_its_region(kind):
    screening = answers(implanted_devices=(Device(kind, "low_back", "right"),))
    result = evaluate(case(Site("quadratus_lumborum", "right"), GLUTE, screening=screening))
    assert finding(result, "implanted_device_site").sites == (("quadratus_lumborum", "right"),)


@pytest.mark.parametrize(
    ("limb", "muscle", "side", "fired"),
    [
        ("upper", "deltoid", "left", True),
        ("upper", "biceps_brachii", "left", True),
        ("upper", "supinator", "left", True),
        ("upper", "adductor_pollicis", "left", True),
        ("upper", "deltoid", "right", False),
        ("upper", "upper_trapezius", "left", False),
        ("lower", "tensor_fasciae_latae", "left", True),
        ("lower", "hamstrings", "left", True),
        ("lower", "soleus", "left", True),
        ("lower", "abductor_hallucis", "left", True),
        ("lower", "gluteus_medius", "left", False),
        ("lower", "soleus", "right", False),
    ],
)
def test_it_blocks_sites_on_a_limb_with_lymphedema(limb, muscle, side, fired):
    screening = answers(lymphedema=(Lymphedema(limb, "left"),))
    assert fires("lymphedema_limb", Site(muscle, side), screening=screening) is fired


def test_bilateral_lymphedema_blocks_both_sides():
    screening = answers(lymphedema=(Lymphedema("lower", "bilateral"),))
    plan = case(Site("soleus", "left"), Site("soleus", "right"), screening=screening)
    assert finding(evaluate(plan), "lymphedema_limb").sites == (
        ("soleus", "left"),
        ("soleus", "right"),
    )


def surgery(days: int, *, joint: bool = False) -> Screening:
    return answers(surgeries=(Surgery(days_before(days), "hip", "right", joint),))


HIP = Site("tensor_fasciae_latae", "right")


@pytest.mark.parametrize(
    ("days", "fired"), [(0, True), (84, True), (85, False), (-1, False), (400, False)]
)
def test_it_blocks_a_site_operated_on_in_the_last_84_days(days, fired):
    assert fires("post_surgical_site", HIP, screening=surgery(days)) is fired


def test_the_post_surgical_window_is_a_clinic_setting():
    plan = case(HIP, screening=surgery(100))
    assert "post_surgical_site" not in rules(evaluate(plan))
    longer = evaluate(plan, policy=Policy(post_surgical_window_days=120))
    assert finding(longer, "post_surgical_site").sites == (("tensor_fasciae_latae", "right"),)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (84, {"post_surgical_site"}),
        (85, {"prosthetic_joint"}),
        (3000, {"prosthetic_joint"}),
    ],
)
def test_a_joint_replacement_older_than_the_window_is_a_prosthetic_joint(days, expected):
    assert rules(evaluate(case(HIP, screening=surgery(days, joint=True)))) == expected


def test_an_old_operation_without_a_joint_replacement_is_no_finding():
    assert rules(evaluate(case(HIP, screening=surgery(200)))) == set()


@pytest.mark.parametrize(
    "site",
    [
        Site("rectus_abdominis", "left"),
        Site("quadratus_lumborum", "right"),
        Site("fibularis_longus", "left"),
        Site("adductor_pollicis", "right"),
    ],
)
@pytest.mark.parametrize("weeks", [10, 20, 38])
def test_it_blocks_pregnancy_restricted_sites_in_any_trimester(site, weeks):
    screening = answers(pregnancy_due_date=due_for(weeks, 0))
    found = finding(evaluate(case(site, GLUTE, screening=screening)), "pregnancy_restricted_site")
    assert found.sites == ((site.muscle, site.side),)


def test_restricted_sites_are_free_once_the_pregnancy_no_longer_counts():
    screening = answers(pregnancy_due_date=days_before(43))
    assert not fires(
        "pregnancy_restricted_site", Site("rectus_abdominis", "left"), screening=screening
    )


@pytest.mark.parametrize("muscle", ["upper_trapezius", "deltoid", "pectoralis_major", "rhomboids"])
@pytest.mark.parametrize("kind", ["pacemaker", "icd"])
def test_it_blocks_estim_near_the_thorax_with_a_cardiac_device(muscle, kind):
    screening = answers(implanted_devices=(Device(kind, "chest", "left"),))
    result = evaluate(case(Site(muscle, "right", estim=True), screening=screening))
    assert finding(result, "estim_cardiac_device_thorax").sites == ((muscle, "right"),)
    assert "estim_cardiac_device" not in rules(result)


def test_estim_elsewhere_with_a_cardiac_device_is_relative():
    screening = answers(implanted_devices=(Device("pacemaker", "chest", "left"),))
    plan = case(Site("gastrocnemius", "left", estim=True), GLUTE, screening=screening)
    found = finding(evaluate(plan), "estim_cardiac_device")
    assert (found.severity, found.sites) == ("relative", (("gastrocnemius", "left"),))


@pytest.mark.parametrize(
    ("kind", "estim"), [("neurostimulator", True), ("pump", True), ("pacemaker", False)]
)
def test_estim_rules_need_a_cardiac_device_and_estim(kind, estim):
    screening = answers(implanted_devices=(Device(kind, "abdomen", "left"),))
    result = evaluate(case(Site("upper_trapezius", "left", estim=estim), screening=screening))
    assert not rules(result) & {"estim_cardiac_device", "estim_cardiac_device_thorax"}


# Catalogue v2: e-stim with a neurostimulator or an implanted pump, any region.
@pytest.mark.parametrize("kind", ["neurostimulator", "pump"])
@pytest.mark.parametrize("muscle", ["upper_trapezius", "gastrocnemius", "rectus_abdominis"])
def test_estim_with_a_neurostimulator_or_pump_is_relative_in_any_region(kind, muscle):
    screening = answers(implanted_devices=(Device(kind, "low_back", "midline"),))
    plan = case(Site(muscle, "left", estim=True), GLUTE, screening=screening)
    result = evaluate(plan)
    found = finding(result, "estim_implanted_device")
    assert (found.severity, found.sites, found.overridden) == (
        "relative",
        ((muscle, "left"),),
        False,
    )
    assert result.decision == "override_required"


@pytest.mark.parametrize(
    ("kind", "estim", "fires_"),
    [
        ("neurostimulator", False, False),
        ("pump", False, False),
        ("pacemaker", True, False),
        ("icd", True, False),
        ("other", True, False),
        ("neurostimulator", True, True),
    ],
)
def test_estim_implanted_device_needs_estim_and_a_neurostimulator_or_pump(kind, estim, fires_):
    screening = answers(implanted_devices=(Device(kind, "abdomen", "left"),))
    plan = case(Site("gastrocnemius", "left", estim=estim), screening=screening)
    assert fires("estim_implanted_device", *plan.sites, screening=screening) is fires_


def test_estim_with_a_neurostimulator_and_a_pacemaker_fires_both_rules():
    devices = (Device("pacemaker", "chest", "left"), Device("neurostimulator", "low_back", "left"))
    screening = answers(implanted_devices=devices)
    plan = case(
        Site("gastrocnemius", "left", estim=True),
        Site("deltoid", "right", estim=True),
        screening=screening,
    )
    result = evaluate(plan)
    assert finding(result, "estim_implanted_device").sites == (
        ("gastrocnemius", "left"),
        ("deltoid", "right"),
    )
    assert finding(result, "estim_cardiac_device").sites == (("gastrocnemius", "left"),)
    assert finding(result, "estim_cardiac_device_thorax").sites == (("deltoid", "right"),)


def test_an_override_lifts_estim_implanted_device():
    screening = answers(implanted_devices=(Device("pump", "abdomen", "left"),))
    plan = case(
        Site("gastrocnemius", "left", estim=True),
        screening=screening,
        overrides=(Override("estim_implanted_device", REASON),),
    )
    result = evaluate(plan)
    assert finding(result, "estim_implanted_device").overridden is True
    assert result.decision == "clear"


# Catalogue v2: upper_trapezius carries the P flag.
@pytest.mark.parametrize(("weeks", "blocked"), [(20, True), (None, False)])
def test_upper_trapezius_is_restricted_in_pregnancy(weeks, blocked):
    screening = answers(pregnancy_due_date=due_for(weeks, 0)) if weeks else CLEAN
    site = Site("upper_trapezius", "left")
    assert fires("pregnancy_restricted_site", site, screening=screening) is blocked


DEEP = Site("piriformis", "left")


@pytest.mark.parametrize(
    "screening",
    [
        answers(bleeding_disorder=True),
        with_drug(drug="apixaban"),
        with_drug(drug="apixaban", recent_bleeding=True),
    ],
    ids=["bleeding disorder", "anticoagulant", "uncontrolled anticoagulant"],
)
def test_bleeding_risk_on_a_deep_muscle_is_relative(screening):
    found = finding(evaluate(case(DEEP, GLUTE, screening=screening)), "bleeding_risk_deep_site")
    assert (found.severity, found.sites) == ("relative", (("piriformis", "left"),))


def test_deep_muscles_without_bleeding_risk_and_bleeding_risk_on_superficial_sites_are_fine():
    assert not fires("bleeding_risk_deep_site", DEEP)
    assert not fires("bleeding_risk_deep_site", GLUTE, screening=answers(bleeding_disorder=True))


# ---------------------------------------------------------------- plan level and precautions


def test_it_blocks_lung_risk_muscles_on_both_sides():
    plan = case(Site("upper_trapezius", "left"), GLUTE, Site("rhomboids", "right"))
    found = finding(evaluate(plan), "bilateral_thorax")
    assert found.severity == "absolute"
    assert found.sites == (("upper_trapezius", "left"), ("rhomboids", "right"))


@pytest.mark.parametrize(
    "sites",
    [
        (Site("upper_trapezius", "left"), Site("rhomboids", "left")),
        (Site("upper_trapezius", "left"), Site("gluteus_medius", "right")),
        (Site("rhomboids", "right"),),
        (Site("gluteus_medius", "midline"), Site("rhomboids", "right")),
    ],
)
def test_lung_risk_muscles_on_one_side_are_not_bilateral(sites):
    assert not fires("bilateral_thorax", *sites)


# Catalogue v2: a midline lung-risk site counts as both sides (v1 let these through as clear).
@pytest.mark.parametrize(
    "sites",
    [
        (Site("rhomboids", "midline"),),
        (Site("thoracic_paraspinals", "midline"), Site("rhomboids", "right")),
        (Site("thoracic_paraspinals", "midline"), Site("pectoralis_major", "left")),
        (Site("upper_trapezius", "midline"), GLUTE),
    ],
)
def test_a_midline_lung_risk_site_counts_as_both_sides(sites):
    result = evaluate(case(*sites))
    found = finding(result, "bilateral_thorax")
    assert found.severity == "absolute"
    assert result.decision == "blocked"
    lung = [s for s in sites if MUSCLES_BY_CODE[s.muscle].lung_risk]
    assert found.sites == tuple((s.muscle, s.side) for s in lung)
    assert "midline" in found.message


def test_a_midline_site_on_a_muscle_without_lung_risk_is_not_bilateral():
    assert not MUSCLES_BY_CODE["gluteus_medius"].lung_risk
    assert not fires("bilateral_thorax", Site("gluteus_medius", "midline"))


def test_every_lung_risk_site_gets_the_lung_field_precaution_once():
    plan = case(
        Site("pectoralis_major", "left"),
        GLUTE,
        Site("pectoralis_major", "left"),
        Site("serratus_anterior", "left"),
    )
    result = evaluate(plan)
    found = finding(result, "lung_field")
    assert (found.severity, found.overridden) == ("precaution", None)
    assert found.sites == (("pectoralis_major", "left"), ("serratus_anterior", "left"))
    assert "intercostal blocking or pincer grip" in found.message
    assert "delayed up to 2 days" in found.message
    assert result.decision == "clear"


def test_every_neurovascular_site_gets_its_caution_text():
    plan = case(Site("piriformis", "left"), Site("adductors", "right"), GLUTE)
    found = finding(evaluate(plan), "deep_structure")
    assert found.sites == (("piriformis", "left"), ("adductors", "right"))
    assert "sciatic nerve" in found.message
    assert "femoral artery and vein in the femoral triangle" in found.message


def test_lung_disease_is_printed_only_with_a_lung_risk_site():
    sick = answers(lung_disease=True)
    found = finding(evaluate(case(Site("scalenes", "left"), screening=sick)), "lung_disease")
    assert (found.severity, found.sites) == ("precaution", (("scalenes", "left"),))
    assert not fires("lung_disease", GLUTE, screening=sick)
    assert not fires("lung_disease", Site("scalenes", "left"))


def test_site_findings_list_sites_in_plan_order_without_repeats():
    screening = answers(infections=(RegionFlag("leg", "bilateral"),))
    plan = case(
        Site("soleus", "right"),
        Site("gastrocnemius", "left"),
        Site("soleus", "right", estim=True),
        screening=screening,
    )
    assert finding(evaluate(plan), "local_infection").sites == (
        ("soleus", "right"),
        ("gastrocnemius", "left"),
    )


# ---------------------------------------------------------------- decision and output order


def test_findings_are_sorted_by_severity_then_rule_code():
    screening = answers(diabetes=True, cancer_history=True, acute_illness=True)
    result = evaluate(case(Site("scalenes", "left"), screening=screening, consent_signed_on=None))
    assert [(f.severity, f.rule) for f in result.findings] == [
        ("absolute", "acute_illness"),
        ("absolute", "consent_missing"),
        ("relative", "cancer_history"),
        ("relative", "diabetes"),
        ("precaution", "deep_structure"),
        ("precaution", "lung_field"),
    ]
    assert result.decision == "blocked"


def test_precautions_never_block():
    assert evaluate(case(Site("scalenes", "left"), Site("piriformis", "left"))).decision == "clear"


# ---------------------------------------------------------------- overrides


def test_an_override_lifts_a_relative_finding():
    plan = case(screening=answers(diabetes=True), overrides=(Override("diabetes", REASON),))
    result = evaluate(plan)
    assert finding(result, "diabetes").overridden is True
    assert result.decision == "clear"
    assert result.ignored_overrides == ()


def test_every_relative_finding_needs_its_own_override():
    plan = case(
        screening=answers(diabetes=True, metal_allergy=True),
        overrides=(Override("diabetes", REASON),),
    )
    assert evaluate(plan).decision == "override_required"


def test_a_site_level_override_covers_the_plan_as_a_whole():
    plan = case(
        Site("piriformis", "left"),
        Site("piriformis", "right"),
        screening=answers(bleeding_disorder=True),
        overrides=(
            Override("bleeding_disorder", REASON),
            Override("bleeding_risk_deep_site", REASON),
        ),
    )
    assert evaluate(plan).decision == "clear"


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("acute_illness", "absolute"),
        ("lung_field", "precaution"),
        ("pregnancy", "did not fire"),
        ("no_such_rule", "Not a rule code"),
    ],
)
def test_overrides_that_lift_nothing_are_reported_with_a_why(rule, why):
    plan = case(
        Site("scalenes", "left"),
        screening=answers(acute_illness=True),
        overrides=(Override(rule, REASON),),
    )
    result = evaluate(plan)
    assert [i.rule for i in result.ignored_overrides] == [rule]
    assert why in result.ignored_overrides[0].why
    assert result.decision == "blocked"


def test_an_override_never_lifts_an_absolute_finding():
    plan = case(
        screening=answers(epilepsy="uncontrolled"),
        overrides=(Override("epilepsy_uncontrolled", REASON),),
    )
    result = evaluate(plan)
    assert finding(result, "epilepsy_uncontrolled").overridden is None
    assert result.decision == "blocked"


def test_an_override_with_a_short_reason_lifts_nothing():
    plan = case(screening=answers(diabetes=True), overrides=(Override("diabetes", "   ok  "),))
    result = evaluate(plan)
    assert result.decision == "override_required"
    assert "20 characters" in result.ignored_overrides[0].why


def test_ignored_overrides_are_reported_once_per_rule_in_input_order():
    plan = case(
        screening=answers(diabetes=True),
        overrides=(
            Override("pregnancy", REASON),
            Override("diabetes", REASON),
            Override("acute_illness", REASON),
            Override("pregnancy", REASON + " again"),
        ),
    )
    result = evaluate(plan)
    assert [i.rule for i in result.ignored_overrides] == ["pregnancy", "acute_illness"]
    assert result.decision == "clear"


# ---------------------------------------------------------------- clinic policy


def test_a_clinic_can_treat_a_relative_rule_as_absolute():
    plan = case(
        screening=answers(pregnancy_due_date=due_for(20, 0)),
        overrides=(Override("pregnancy", REASON),),
    )
    assert evaluate(plan).decision == "clear"
    strict = evaluate(plan, policy=Policy(stricter_rules=frozenset({"pregnancy"})))
    found = finding(strict, "pregnancy")
    assert (found.severity, found.overridden) == ("absolute", None)
    assert "Clinic policy" in found.message
    assert strict.decision == "blocked"
    assert [i.rule for i in strict.ignored_overrides] == ["pregnancy"]
    assert "Clinic policy" in strict.ignored_overrides[0].why
    assert "overridden" not in strict.to_dict()["findings"][0]


def test_a_stricter_rule_is_sorted_with_the_absolute_findings():
    plan = case(screening=answers(diabetes=True, acute_illness=True, vascular_disease=True))
    strict = evaluate(plan, policy=Policy(stricter_rules={"vascular_disease"}))
    assert [(f.severity, f.rule) for f in strict.findings] == [
        ("absolute", "acute_illness"),
        ("absolute", "vascular_disease"),
        ("relative", "diabetes"),
    ]


@pytest.mark.parametrize("code", ["acute_illness", "lung_field", "consent_missing", "no_such_rule"])
def test_a_policy_never_makes_a_rule_weaker_or_names_an_unknown_rule(code):
    with pytest.raises(ValueError, match=code):
        Policy(stricter_rules=frozenset({code}))


@pytest.mark.parametrize("window", [-1, 1.5, True])
def test_the_post_surgical_window_is_whole_days(window):
    with pytest.raises(ValueError, match="post_surgical_window_days"):
        Policy(post_surgical_window_days=window)


def test_stricter_rules_must_be_a_set_of_codes():
    with pytest.raises(ValueError, match="set of rule codes"):
        Policy(stricter_rules="pregnancy")


def test_the_default_policy_is_the_contract():
    assert Policy() == Policy(
        post_surgical_window_days=84, stricter_rules=frozenset(), bilateral_counts_twice=False
    )


# ---------------------------------------------------------------- CPT


@pytest.mark.parametrize(
    ("sites", "once", "twice"),
    [
        ((Site("soleus", "left"),), "20560", "20560"),
        ((Site("soleus", "left"), Site("gastrocnemius", "left")), "20560", "20560"),
        ((Site("soleus", "left"), Site("soleus", "right")), "20560", "20560"),
        (
            (Site("soleus", "left"), Site("soleus", "right"), Site("gastrocnemius", "left")),
            "20560",
            "20561",
        ),
        (
            (Site("soleus", "left"), Site("soleus", "midline"), Site("gastrocnemius", "left")),
            "20560",
            "20560",
        ),
        (
            (Site("soleus", "left"), Site("gastrocnemius", "left"), Site("hamstrings", "left")),
            "20561",
            "20561",
        ),
    ],
)
def test_cpt_counts_distinct_muscles_and_optionally_both_sides(sites, once, twice):
    assert evaluate(case(*sites)).cpt_code == once
    twice_policy = Policy(bilateral_counts_twice=True)
    assert evaluate(case(*sites), policy=twice_policy).cpt_code == twice


def test_a_plan_without_sites_has_no_cpt_code():
    assert cpt_code(()) is None


# ---------------------------------------------------------------- muscles and output


def test_the_caller_can_pass_its_own_muscles():
    edited = dict(MUSCLES_BY_CODE)
    edited["gluteus_medius"] = replace(MUSCLES_BY_CODE["gluteus_medius"], deep=True)
    plan = case(screening=answers(bleeding_disorder=True))
    assert "bleeding_risk_deep_site" not in rules(evaluate(plan))
    assert "bleeding_risk_deep_site" in rules(evaluate(plan, muscles=edited))


def test_an_unknown_muscle_is_a_value_error():
    with pytest.raises(ValueError, match=r"sites\[0\]\.muscle"):
        evaluate(case(Site("unicornis", "left")))


def test_to_dict_has_the_contract_shape():
    plan = case(
        Site("upper_trapezius", "left"),
        screening=answers(diabetes=True, acute_illness=True),
        overrides=(Override("acute_illness", REASON),),
    )
    assert evaluate(plan).to_dict() == {
        "decision": "blocked",
        "findings": [
            {
                "rule": "acute_illness",
                "severity": "absolute",
                "sites": [],
                "message": finding(evaluate(plan), "acute_illness").message,
            },
            {
                "rule": "diabetes",
                "severity": "relative",
                "sites": [],
                "overridden": False,
                "message": finding(evaluate(plan), "diabetes").message,
            },
            {
                "rule": "lung_field",
                "severity": "precaution",
                "sites": [{"muscle": "upper_trapezius", "side": "left"}],
                "message": finding(evaluate(plan), "lung_field").message,
            },
        ],
        "ignored_overrides": [
            {"rule": "acute_illness", "why": evaluate(plan).ignored_overrides[0].why}
        ],
        "cpt_code": "20560",
    }
