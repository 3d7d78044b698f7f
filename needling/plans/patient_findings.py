"""The screening engine's patient-level findings for the patient page.

`patients` imports nothing from `needling`; the patient page reaches this function through the
PATIENT_FINDINGS_PROVIDER setting, so the data flow stays one way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from needling.knowledge.rules import ABSOLUTE, RELATIVE, RULES_BY_CODE
from needling.plans import screening as selectors
from needling.screening import ContractError, evaluate, parse_patient_case

# The rules that judge the patient rather than a plan, a site or the practitioner.
_SHOWN_PROCEDURAL = frozenset({"consent_missing", "screening_stale"})
_LEVEL = {ABSOLUTE: "danger", RELATIVE: "warning"}


@dataclass(frozen=True)
class PatientFinding:
    key: str  # the rule code
    level: str  # bootstrap alert level
    severity: str
    text: str


def patient_findings(patient, *, on: dt.date) -> list[PatientFinding]:
    from patients.facts import patient_facts

    try:
        case = parse_patient_case(patient_facts(patient, on=on), session_date=on)
    except ContractError as error:
        # Stored answers that break the contract are themselves a finding: fail closed.
        return [PatientFinding("screening_stale", "danger", ABSOLUTE, f"Unreadable: {error}")]
    result = evaluate(case, policy=selectors.screening_policy(), muscles={})
    findings = []
    for finding in result.findings:
        rule = RULES_BY_CODE[finding.rule]
        if rule.scope != "patient" and finding.rule not in _SHOWN_PROCEDURAL:
            continue
        level = _LEVEL.get(finding.severity, "info")
        findings.append(
            PatientFinding(finding.rule, level, finding.severity, f"{rule.name}: {finding.message}")
        )
    return findings
