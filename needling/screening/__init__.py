"""The one DN screening rule engine (pure: no Django, no database)."""

from needling.screening.case import (
    DEFAULT_POLICY,
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
)
from needling.screening.contract import (
    ContractError,
    evaluate_json,
    parse_case,
    parse_cases,
    parse_patient_case,
)
from needling.screening.engine import Finding, IgnoredOverride, Result, cpt_code, evaluate

__all__ = [
    "DEFAULT_POLICY",
    "Anticoagulant",
    "Case",
    "ContractError",
    "Device",
    "Finding",
    "IgnoredOverride",
    "Lymphedema",
    "Override",
    "Policy",
    "RegionFlag",
    "Result",
    "Screening",
    "Site",
    "Surgery",
    "cpt_code",
    "evaluate",
    "evaluate_json",
    "parse_case",
    "parse_cases",
    "parse_patient_case",
]
