"""The database adapter of the screening engine: a treatment plan -> the contract case.

ARCHITECTURE: two thin adapters build a ``Case``; this one reads a plan from the database
(the other, ``needling.screening.contract``, reads contract JSON). It builds exactly the
contract's JSON object and parses it with the same parser the CLI and API use, so a plan is
judged on the very facts an audit could replay from its snapshot.

Fail closed: the facts are the latest questionnaire and consent on or before the planned date
(``patients.facts.patient_facts``) and the practitioner's certification on that date. Missing
or stale ones are not errors here; they are the engine's absolute findings
(``consent_missing``, ``screening_stale``, ``practitioner_not_certified``).

Overrides are bound to the facts they were made on: only the overrides recorded on the
questionnaire in force reach the engine. An override made on an earlier questionnaire lifts
nothing; while its finding still fires it is listed in ``PlanScreening.to_reconfirm`` so that
a certified practitioner can confirm it again on the new facts (a new override row).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from needling.knowledge.catalogue import Muscle as MuscleFact
from needling.knowledge.models import StricterRule
from needling.knowledge.selectors import screening_settings
from needling.plans.models import PlanOverride, PlanSite, TreatmentPlan
from needling.screening import Case, Policy, Result, evaluate, parse_case
from patients.facts import patient_facts_in_force


def screening_policy() -> Policy:
    """The clinic's policy as the engine's value: two queries."""
    row = screening_settings()
    stricter = frozenset(
        StricterRule.objects.filter(revoked_at__isnull=True).values_list("rule__code", flat=True)
    )
    return Policy(
        post_surgical_window_days=row.post_surgical_window_days,
        stricter_rules=stricter,
        bilateral_counts_twice=row.bilateral_counts_twice,
    )


INCOMPLETE = "incomplete"  # a plan without sites: the contract cannot judge it yet


@dataclass(frozen=True)
class PlanScreening:
    """One screening of a plan: the contract case judged and the engine's answer.

    ``result`` is None while the plan has no site (the contract needs at least one).
    """

    case: dict[str, Any]
    result: Result | None
    policy: Policy
    screening_id: Any = None  # the questionnaire the facts came from (None: none on file)
    to_reconfirm: tuple[PlanOverride, ...] = ()  # earlier overrides of open relative findings

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
            "screening_record": str(self.screening_id) if self.screening_id else None,
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
    return list(
        plan.overrides.select_related("recorded_by", "screening").order_by("recorded_at", "id")
    )


@dataclass(frozen=True)
class _BoundCase:
    case: dict[str, Any]
    screening_id: Any
    earlier: tuple[PlanOverride, ...]  # overrides made on another questionnaire


def _bound_case(
    plan: TreatmentPlan,
    *,
    sites: Sequence[PlanSite] | None = None,
    overrides: Sequence[PlanOverride] | None = None,
) -> _BoundCase:
    """The contract case with only the overrides made on the questionnaire in force."""
    on = plan.planned_date
    sites = plan_sites(plan) if sites is None else sites
    overrides = plan_overrides(plan) if overrides is None else overrides
    certified_until = plan.practitioner.dn_certified_until(on)
    facts, questionnaire = patient_facts_in_force(plan.patient, on=on)
    screening_id = questionnaire.pk if questionnaire is not None else None
    bound = [o for o in overrides if o.screening_id == screening_id]
    case: dict[str, Any] = {
        "session_date": on.isoformat(),
        "practitioner": {
            "dn_certified_until": certified_until.isoformat() if certified_until else None
        },
        "patient": facts,
        "sites": [
            {"muscle": site.muscle.code, "side": site.side, "estim": site.estim} for site in sites
        ],
    }
    if bound:
        case["overrides"] = [{"rule": o.rule, "reason": o.reason} for o in bound]
    earlier = tuple(o for o in overrides if o.screening_id != screening_id)
    return _BoundCase(case, screening_id, earlier)


def plan_case_dict(
    plan: TreatmentPlan,
    *,
    sites: Sequence[PlanSite] | None = None,
    overrides: Sequence[PlanOverride] | None = None,
) -> dict[str, Any]:
    """The contract's case object for ``plan`` as the database stands now.

    Its overrides are those made on the questionnaire in force (see the module docstring).
    Queries: the practitioner's certification (1-2), the patient's facts (8, or none when the
    patient was loaded with patients.selectors.patients_with_facts), sites and overrides (one
    each unless prefetched or given).
    """
    return _bound_case(plan, sites=sites, overrides=overrides).case


def _to_reconfirm(result: Result, earlier: Sequence[PlanOverride]) -> tuple[PlanOverride, ...]:
    """The latest earlier override of each relative finding that is open now."""
    open_rules = {f.rule for f in result.findings if f.overridden is False}
    latest: dict[str, PlanOverride] = {}
    for override in earlier:  # in recording order: the last one per rule wins
        if override.rule in open_rules:
            latest[override.rule] = override
    return tuple(latest.values())


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
    bound = _bound_case(plan, sites=sites, overrides=overrides)
    if not sites:
        return PlanScreening(
            case=bound.case, result=None, policy=policy, screening_id=bound.screening_id
        )
    muscles = _muscles(sites)
    result = evaluate(parse_case(bound.case, muscles=muscles), policy=policy, muscles=muscles)
    return PlanScreening(
        case=bound.case,
        result=result,
        policy=policy,
        screening_id=bound.screening_id,
        to_reconfirm=_to_reconfirm(result, bound.earlier),
    )


def screen_plan_on(plan: TreatmentPlan, *, practitioner, on: dt.date) -> PlanScreening:
    """Screen ``plan`` as if carried out on ``on`` by ``practitioner`` (a session's re-screen)."""
    judged = copy.copy(plan)
    judged.planned_date = on
    judged.practitioner = practitioner
    return screen_plan(judged)
