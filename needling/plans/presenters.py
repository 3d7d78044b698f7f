"""Plain view-models of a screened plan, shared by the editor page and the PDF."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from needling.knowledge.catalogue import SITE_SIDES
from needling.knowledge.rules import ABSOLUTE, PRECAUTION, RELATIVE, RULES_BY_CODE
from needling.plans.models import PlanOverride, PlanSite
from needling.screening import Finding, Result

SIDE_LABELS = dict(SITE_SIDES)


def rule_name(code: str) -> str:
    rule = RULES_BY_CODE.get(code)
    return rule.name if rule else code


@dataclass
class FindingView:
    rule: str
    name: str
    severity: str
    message: str
    sites: list[str]
    overridden: bool | None
    override: PlanOverride | None = None
    earlier: PlanOverride | None = None  # made on an earlier screening: to confirm again


@dataclass
class SiteView:
    number: int
    site: PlanSite
    blocking: list[FindingView] = field(default_factory=list)
    relative: list[FindingView] = field(default_factory=list)
    precautions: list[FindingView] = field(default_factory=list)

    @property
    def is_blocked(self) -> bool:
        return bool(self.blocking)

    @property
    def side_label(self) -> str:
        return SIDE_LABELS.get(self.site.side, self.site.side)


def _site_label(ref: tuple[str, str], names: dict[str, str]) -> str:
    muscle, side = ref
    return f"{names.get(muscle, muscle)} ({SIDE_LABELS.get(side, side).lower()})"


def sites_chart(views: Sequence[SiteView], *, embed_style: bool = True):
    """The body chart with each site numbered as in the sites table (None without sites).
    Pages pass embed_style=False: their stylesheet styles the chart (see needling.bodychart)."""
    from needling.plans.bodychart import plan_body_chart

    if not views:
        return None
    sites = (
        (
            v.number,
            v.site.muscle.code,
            v.site.muscle.name,
            v.site.muscle.region,
            v.site.side,
            v.is_blocked,
        )
        for v in views
    )
    return plan_body_chart(sites, embed_style=embed_style)


def finding_views(
    result: Result | None,
    sites: Sequence[PlanSite],
    overrides: Sequence[PlanOverride],
    *,
    to_reconfirm: Sequence[PlanOverride] = (),
) -> list[FindingView]:
    if result is None:
        return []
    names = {site.muscle.code: site.muscle.name for site in sites}
    by_rule = {o.rule: o for o in overrides}
    earlier = {o.rule: o for o in to_reconfirm}
    return [
        FindingView(
            rule=f.rule,
            name=rule_name(f.rule),
            severity=f.severity,
            message=f.message,
            sites=[_site_label(ref, names) for ref in f.sites],
            overridden=f.overridden,
            override=by_rule.get(f.rule) if f.overridden else None,
            earlier=earlier.get(f.rule) if f.overridden is False else None,
        )
        for f in result.findings
    ]


def site_views(result: Result | None, sites: Sequence[PlanSite]) -> list[SiteView]:
    """Each site with the findings that name it, by severity."""
    views = [SiteView(number=i, site=site) for i, site in enumerate(sites, start=1)]
    if result is None:
        return views
    index = {(v.site.muscle.code, v.site.side): v for v in views}
    for finding, view in _site_findings(result.findings, sites):
        target = index[(view.muscle.code, view.side)]
        bucket = {
            ABSOLUTE: target.blocking,
            RELATIVE: target.relative,
            PRECAUTION: target.precautions,
        }
        bucket[finding.severity].append(
            FindingView(
                rule=finding.rule,
                name=rule_name(finding.rule),
                severity=finding.severity,
                message=finding.message,
                sites=[],
                overridden=finding.overridden,
            )
        )
    return views


def _site_findings(findings: Sequence[Finding], sites: Sequence[PlanSite]):
    by_ref = {(s.muscle.code, s.side): s for s in sites}
    for finding in findings:
        for ref in finding.sites:
            site = by_ref.get(tuple(ref))
            if site is not None:
                yield finding, site


def result_from_dict(data: dict) -> Result:
    """A stored contract result (an approval snapshot) as the engine's value, for display."""
    from needling.screening import IgnoredOverride

    return Result(
        decision=data["decision"],
        findings=tuple(
            Finding(
                rule=f["rule"],
                severity=f["severity"],
                sites=tuple((s["muscle"], s["side"]) for s in f["sites"]),
                overridden=f.get("overridden"),
                message=f["message"],
            )
            for f in data["findings"]
        ),
        ignored_overrides=tuple(
            IgnoredOverride(rule=i["rule"], why=i["why"]) for i in data["ignored_overrides"]
        ),
        cpt_code=data["cpt_code"],
    )
