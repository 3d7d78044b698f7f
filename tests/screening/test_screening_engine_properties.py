"""Property tests: invariants of the engine and of the JSON adapter, for any input."""

import copy
import json
from dataclasses import asdict, replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from needling.knowledge.catalogue import (
    DEVICE_KIND_CODES,
    EPILEPSY_CODES,
    LIMB_REGIONS,
    MUSCLES,
    REGION_CODES,
    SIDE_CODES,
    SITE_SIDE_CODES,
)
from needling.knowledge.rules import RELATIVE_RULE_CODES, RULE_CODES
from needling.screening import (
    Anticoagulant,
    Case,
    ContractError,
    Device,
    Lymphedema,
    Override,
    Policy,
    RegionFlag,
    Screening,
    Site,
    Surgery,
    evaluate,
    evaluate_json,
    parse_case,
    parse_cases,
)
from tests.hypothesis_profiles import examples

FAST = settings(max_examples=examples(200), deadline=None)
SESSION = date(2026, 3, 10)
REASON = "Discussed with the patient; benefits outweigh the risk today."
RANK = {"clear": 0, "override_required": 1, "blocked": 2}

# ---------------------------------------------------------------- strategies for cases

near_dates = st.integers(-30, 420).map(lambda days: SESSION - timedelta(days=days))


def mostly(usual, other, odds: int = 8):
    """``usual`` about ``odds`` times out of ``odds + 1``, else ``other``."""
    return st.sampled_from([False] * odds + [True]).flatmap(lambda rare: other if rare else usual)


rarely = mostly(st.just(False), st.just(True))
usually = mostly(st.just(True), st.just(False))
maybe_dates = st.none() | near_dates
regions = st.sampled_from(sorted(REGION_CODES))
sides = st.sampled_from(sorted(SIDE_CODES))


def few(strategy):
    return mostly(st.just(()), st.lists(strategy, min_size=1, max_size=2).map(tuple), odds=3)


def recent(low: int, high: int):
    return st.integers(low, high).map(lambda days: SESSION - timedelta(days=days))


region_flags = few(st.builds(RegionFlag, regions, sides))
anticoagulants = mostly(
    st.none(),
    st.builds(
        Anticoagulant,
        drug=st.sampled_from(["warfarin", "apixaban", ""]),
        vitamin_k_antagonist=st.booleans(),
        inr=st.none() | st.floats(0.5, 6.0),
        inr_on=mostly(recent(0, 28), maybe_dates, odds=2),
        inr_target_low=st.sampled_from([2.0, 2.5]),
        inr_target_high=st.sampled_from([3.0, 3.5]),
        last_dose_change_on=maybe_dates,
        recent_bleeding=rarely,
    ),
    odds=2,
)
screenings = st.builds(
    Screening,
    needle_phobia=rarely,
    willing_to_proceed=usually,
    able_to_consent=usually,
    acute_illness=rarely,
    bleeding_disorder=rarely,
    anticoagulant=anticoagulants,
    immunocompromised=rarely,
    pregnancy_due_date=mostly(
        st.none(), st.integers(-60, 320).map(lambda days: SESSION + timedelta(days=days)), odds=4
    ),
    epilepsy=mostly(st.just("none"), st.sampled_from(sorted(EPILEPSY_CODES))),
    diabetes=rarely,
    vascular_disease=rarely,
    metal_allergy=rarely,
    prosthetic_heart_valve=rarely,
    cancer_history=rarely,
    lung_disease=rarely,
    implanted_devices=few(
        st.builds(Device, st.sampled_from(sorted(DEVICE_KIND_CODES)), regions, sides)
    ),
    infections=region_flags,
    tumors=region_flags,
    lymphedema=few(st.builds(Lymphedema, st.sampled_from(sorted(LIMB_REGIONS)), sides)),
    surgeries=few(st.builds(Surgery, near_dates, regions, sides, st.booleans())),
    varicosities=region_flags,
)
sites = st.builds(
    Site,
    st.sampled_from([m.code for m in MUSCLES]),
    mostly(st.sampled_from(["left", "right"]), st.sampled_from(sorted(SITE_SIDE_CODES))),
    rarely,
)
overrides = st.lists(
    st.builds(
        Override,
        mostly(st.sampled_from(sorted(RELATIVE_RULE_CODES)), st.sampled_from(sorted(RULE_CODES))),
        mostly(st.just(REASON), st.just("short")),
    ),
    max_size=4,
).map(tuple)
cases = st.builds(
    Case,
    session_date=st.just(SESSION),
    date_of_birth=st.integers(365 * 10, 365 * 90).map(lambda d: SESSION - timedelta(days=d)),
    sites=st.lists(sites, min_size=1, max_size=5).map(tuple),
    dn_certified_until=mostly(
        st.integers(0, 700).map(lambda d: SESSION + timedelta(d)), st.none() | recent(1, 30)
    ),
    consent_signed_on=mostly(recent(0, 365), maybe_dates),
    screened_on=mostly(recent(0, 30), st.none() | recent(-2, 35)),
    screening=mostly(screenings, st.none()),
    overrides=overrides,
)
policies = st.builds(
    Policy,
    post_surgical_window_days=st.integers(0, 200),
    stricter_rules=st.frozensets(st.sampled_from(sorted(RELATIVE_RULE_CODES))),
    bilateral_counts_twice=st.booleans(),
)

# ---------------------------------------------------------------- the engine


@FAST
@given(cases, policies)
def test_an_absolute_finding_always_blocks(case, policy):
    result = evaluate(case, policy=policy)
    has_absolute = any(f.severity == "absolute" for f in result.findings)
    assert (result.decision == "blocked") is has_absolute


LUNG_RISK_MUSCLES = sorted(m.code for m in MUSCLES if m.lung_risk)
midline_lung_sites = st.builds(
    Site, st.sampled_from(LUNG_RISK_MUSCLES), st.just("midline"), st.booleans()
)


@FAST
@given(cases, policies, midline_lung_sites, st.integers(0, 5))
def test_no_plan_with_a_midline_lung_risk_site_is_ever_clear(case, policy, midline, at):
    """Catalogue v2: a midline lung-risk site counts as both sides, whatever else is planned."""
    sites = list(case.sites)
    sites.insert(min(at, len(sites)), midline)
    result = evaluate(replace(case, sites=tuple(sites)), policy=policy)
    found = [f for f in result.findings if f.rule == "bilateral_thorax"]
    assert len(found) == 1
    assert (midline.muscle, "midline") in found[0].sites
    assert result.decision == "blocked"


@FAST
@given(cases, policies)
def test_the_decision_follows_the_findings(case, policy):
    result = evaluate(case, policy=policy)
    open_relative = any(f.overridden is False for f in result.findings)
    if result.decision != "blocked":
        assert (result.decision == "override_required") is open_relative
    for found in result.findings:
        assert (found.overridden is not None) is (found.severity == "relative")


@FAST
@given(cases, overrides)
def test_adding_overrides_never_lifts_a_blocked_plan(case, extra):
    before = evaluate(case)
    after = evaluate(replace(case, overrides=case.overrides + extra))
    absolute = [f for f in before.findings if f.severity == "absolute"]
    assert [f for f in after.findings if f.severity == "absolute"] == absolute
    if before.decision == "blocked":
        assert after.decision == "blocked"


@FAST
@given(cases, sites)
def test_adding_a_site_never_turns_blocked_into_clear(case, site):
    before = evaluate(case)
    after = evaluate(replace(case, sites=(*case.sites, site)))
    if before.decision == "blocked":
        assert after.decision == "blocked"


@FAST
@given(cases, st.frozensets(st.sampled_from(sorted(RELATIVE_RULE_CODES))))
def test_a_stricter_policy_never_weakens_a_decision(case, stricter):
    default = evaluate(case)
    strict = evaluate(case, policy=Policy(stricter_rules=stricter))
    assert RANK[strict.decision] >= RANK[default.decision]


@FAST
@given(cases, policies)
def test_evaluation_is_deterministic_and_serialisable(case, policy):
    first = evaluate(case, policy=policy)
    assert evaluate(case, policy=policy) == first
    assert json.loads(json.dumps(first.to_dict())) == first.to_dict()


@FAST
@given(cases, policies)
def test_findings_come_in_contract_order_once_per_rule(case, policy):
    findings = evaluate(case, policy=policy).findings
    order = {"absolute": 0, "relative": 1, "precaution": 2}
    keys = [(order[f.severity], f.rule) for f in findings]
    assert keys == sorted(set(keys))


# ---------------------------------------------------------------- the JSON adapter


def to_contract(case: Case) -> dict:
    """The contract JSON of a case (long reasons only; the screening date goes with it)."""

    def plain(value):
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    patient = {"date_of_birth": case.date_of_birth, "consent_signed_on": case.consent_signed_on}
    if case.screening is not None:
        patient |= {"screened_on": case.screened_on, "screening": asdict(case.screening)}
    return plain(
        {
            "session_date": case.session_date,
            "practitioner": {"dn_certified_until": case.dn_certified_until},
            "patient": patient,
            "sites": [asdict(site) for site in case.sites],
            "overrides": [asdict(o) for o in case.overrides if o.reason == REASON],
        }
    )


@FAST
@given(cases)
def test_the_json_adapter_and_the_engine_agree(case):
    document = to_contract(case)
    parsed = parse_case(json.loads(json.dumps(document)))
    expected = replace(
        case,
        overrides=tuple(o for o in case.overrides if o.reason == REASON),
        screened_on=case.screened_on if case.screening is not None else None,
    )
    assert parsed == expected
    assert evaluate_json(document) == evaluate(expected).to_dict()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["2026-03-10", "left", "soleus", "pregnancy", "chest", "upper"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["sites", "patient", "muscle", "side", "rule"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@FAST
@given(json_values)
def test_random_json_only_ever_raises_contract_error(value):
    for read in (parse_case, parse_cases, evaluate_json):
        try:
            read(value)
        except ContractError as error:
            assert "\n" not in str(error)


def example() -> dict:
    return {
        "session_date": "2026-03-10",
        "practitioner": {"dn_certified_until": "2027-06-30"},
        "patient": {
            "date_of_birth": "1984-02-29",
            "consent_signed_on": "2026-03-01",
            "screened_on": "2026-03-09",
            "screening": {
                "willing_to_proceed": True,
                "able_to_consent": True,
                "anticoagulant": {"vitamin_k_antagonist": True, "inr": 2.4, "inr_on": "2026-03-02"},
                "pregnancy_due_date": "2026-09-01",
                "implanted_devices": [{"kind": "pacemaker", "region": "chest", "side": "left"}],
                "infections": [{"region": "forearm", "side": "right"}],
                "lymphedema": [{"limb": "upper", "side": "left"}],
                "surgeries": [{"on": "2026-01-20", "region": "shoulder", "side": "right"}],
            },
        },
        "sites": [{"muscle": "upper_trapezius", "side": "left", "estim": True}],
        "overrides": [{"rule": "pregnancy", "reason": REASON}],
    }


def paths(value, prefix=()):
    """Every path into a JSON value."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


EXAMPLE_PATHS = [p for p in paths(example()) if p]


@FAST
@given(st.sampled_from(EXAMPLE_PATHS), json_values, st.booleans())
def test_a_mangled_case_only_ever_raises_contract_error(path, value, delete):
    document = copy.deepcopy(example())
    target = document
    for step in path[:-1]:
        target = target[step]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    try:
        result = evaluate_json(document)
    except ContractError as error:
        assert "\n" not in str(error)
    else:
        assert result["decision"] in RANK
