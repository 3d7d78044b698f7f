"""axe-core in the browser tests: inject the vendored engine into a page (tests only, never a
production page) and read back the violations that matter.

The engine lives in static/vendor/axe-core-<version>/axe.min.js, copied from the npm package
with its licence, so the check works offline and calls no third party.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_PATH = (
    Path(__file__).resolve().parents[2]
    / "static"
    / "vendor"
    / f"axe-core-{AXE_VERSION}"
    / "axe.min.js"
)
AXE_URL = f"/static/vendor/axe-core-{AXE_VERSION}/axe.min.js"  # AXE_PATH as the app serves it
# WCAG 2.0-2.2 A and AA, plus axe's best practices; only critical and serious ones fail a page.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = {"critical", "serious"}


@dataclass(frozen=True)
class Violation:
    page: str
    rule: str
    impact: str
    target: str
    summary: str

    def __str__(self) -> str:
        return f"{self.page}: {self.rule} ({self.impact}) at {self.target}: {self.summary}"


def run_axe(page, label: str) -> list[Violation]:
    """Run axe on what `page` shows now; return its critical and serious violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # From the app's static files, as a same-origin script: the pages' Content-Security-
        # Policy refuses the inline script that add_script_tag(path=...) would make.
        page.add_script_tag(url=AXE_URL)
    results = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => ({
                target: n.target.join(' '),
                summary: (n.failureSummary || '').split('\\n').slice(1, 2).join(' ').trim()
            }))}));
        }""",
        TAGS,
    )
    found = []
    for rule in results:
        if rule["impact"] not in FAILING_IMPACTS:
            continue
        for node in rule["nodes"]:
            found.append(
                Violation(label, rule["id"], rule["impact"], node["target"], node["summary"])
            )
    return found


def counts_by_rule(violations: list[Violation]) -> dict[str, int]:
    return dict(collections.Counter(v.rule for v in violations).most_common())
