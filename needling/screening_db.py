"""The database adapter of the screening engine: a treatment plan -> the contract case.

ARCHITECTURE: two thin adapters build a ``Case``; this one reads a plan from the database
(the other, ``needling.screening.contract``, reads contract JSON). It builds exactly the
contract's JSON object and parses it with the same parser the CLI and API use, so a plan is
judged on the very facts an audit could replay from its snapshot.

Fail closed: the facts are the latest questionnaire and consent on or before the planned date
(``patients.facts.patient_facts``) and the practitioner's certification on that date. Missing
or stale ones are not errors here; they are the engine's absolute findings
(``consent_missing``, ``screening_stale``, ``practitioner_not_certified``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from needling.knowledge.catalogue import Muscle as MuscleFact
from needling.models import PlanOverride, PlanSite, TreatmentPlan
from needling.screening import Case, Policy, Result, evaluate, parse_case
from needling.selectors import screening_policy
from patients.facts import patient_facts

INCOMPLETE = "incomplete"  # a plan without sites: the contract cannot judge it yet


@dataclass(frozen=True)
class PlanScreening:
    """One screening of a plan: the contract case judged and the engine's answer.

    ``result`` is None while the plan has no site (the contract needs at least one).
    """

    case: dict[str, Any]
    result: Result | None
    policy: Policy

    @property
    def decision(self) -> str:
        return self.result.decision if self.result is not None else INCOMPLETE

    @property
    def is_clear(self) -> bool:
        return self.decision == "clear"

    def snapshot(self) -> dict[str, Any]:
        """What approval stores: the facts judged, the answer, and the policy applied."""
        if self.result is None:
            raise ValueError("a plan without sites has no screening result to store")
        return {
            "case": self.case,
            "result": self.result.to_dict(),
            "policy": {
                "post_surgical_window_days": self.policy.post_surgical_window_days,
                "stricter_rules": sorted(self.policy.stricter_rules),
                "bilateral_counts_twice": self.policy.bilateral_counts_twice,
            },
        }


def plan_sites(plan: TreatmentPlan) -> list[PlanSite]:
    """The plan's sites with their muscles (prefetched ones when present): at most 1 query."""
    cache = getattr(plan, "_prefetched_objects_cache", {})
    if "sites" in cache:
        return list(cache["sites"])
    return list(plan.sites.select_related("muscle").order_by("order", "id"))


def plan_overrides(plan: TreatmentPlan) -> list[PlanOverride]:
    cache = getattr(plan, "_prefetched_objects_cache", {})
    if "overrides" in cache:
        return list(cache["overrides"])
    return list(plan.overrides.select_related("recorded_by").order_by("recorded_at", "id"))


def plan_case_dict(
    plan: TreatmentPlan,
    *,
    sites: Sequence[PlanSite] | None = None,
    overrides: Sequence[PlanOverride] | None = None,
) -> dict[str, Any]:
    """The contract's case object for ``plan`` as the database stands now.

    Queries: the practitioner's certification (1-2), the patient's facts (8, or none when the
    patient was loaded with patients.selectors.patients_with_facts), sites and overrides (one
    each unless prefetched or given).
    """
    on = plan.planned_date
    sites = plan_sites(plan) if sites is None else sites
    overrides = plan_overrides(plan) if overrides is None else overrides
    certified_until = plan.practitioner.dn_certified_until(on)
    case: dict[str, Any] = {
        "session_date": on.isoformat(),
        "practitioner": {
            "dn_certified_until": certified_until.isoformat() if certified_until else None
        },
        "patient": patient_facts(plan.patient, on=on),
        "sites": [
            {"muscle": site.muscle.code, "side": site.side, "estim": site.estim} for site in sites
        ],
    }
    if overrides:
        case["overrides"] = [{"rule": o.rule, "reason": o.reason} for o in overrides]
    return case


def _muscles(sites: Sequence[PlanSite]) -> Mapping[str, MuscleFact]:
    """The catalogue facts of the planned muscles, from the rows the sites point at.

    The engine reads muscles only for the planned sites, so this is the same judgement as
    with the whole catalogue, without a query, and a muscle a manager has since retired from
    the catalogue is still judged by its recorded flags instead of failing.
    """
    return {site.muscle.code: site.muscle.as_fact() for site in sites}


def plan_case(plan: TreatmentPlan, *, sites: Sequence[PlanSite] | None = None) -> Case:
    """The engine's ``Case`` for ``plan`` (parsed by the contract parser).

    Raises ``ContractError`` for a plan without sites (the contract needs one).
    """
    sites = plan_sites(plan) if sites is None else sites
    return parse_case(plan_case_dict(plan, sites=sites), muscles=_muscles(sites))


def screen_plan(plan: TreatmentPlan, *, policy: Policy | None = None) -> PlanScreening:
    """Screen ``plan`` with the facts from the database and the clinic's policy."""
    sites = plan_sites(plan)
    overrides = plan_overrides(plan)
    policy = screening_policy() if policy is None else policy
    case = plan_case_dict(plan, sites=sites, overrides=overrides)
    if not sites:
        return PlanScreening(case=case, result=None, policy=policy)
    muscles = _muscles(sites)
    result = evaluate(parse_case(case, muscles=muscles), policy=policy, muscles=muscles)
    return PlanScreening(case=case, result=result, policy=policy)
