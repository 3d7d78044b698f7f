"""Screening engine throughput on one process (no Django).

Run ``python bench/screening_throughput.py [seconds]``; a benchmark harness can import
``measure(seconds) -> evaluations per second``.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script from anywhere: make ``needling`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from needling.knowledge.catalogue import MUSCLES
from needling.knowledge.rules import RELATIVE_RULE_CODES
from needling.screening import (
    Anticoagulant,
    Case,
    Device,
    Lymphedema,
    Override,
    RegionFlag,
    Screening,
    Site,
    Surgery,
    evaluate,
)

SESSION = date(2026, 3, 10)
_SIDES = ("left", "right")
_RELATIVE = sorted(RELATIVE_RULE_CODES)


def _days(n: int) -> date:
    return SESSION - timedelta(days=n)


def _anticoagulant(rng: random.Random) -> Anticoagulant | None:
    roll = rng.random()
    if roll < 0.7:
        return None
    if roll < 0.85:
        return Anticoagulant(drug="apixaban", last_dose_change_on=_days(rng.randint(0, 200)))
    return Anticoagulant(
        drug="warfarin",
        vitamin_k_antagonist=True,
        inr=round(rng.uniform(1.6, 3.4), 1),
        inr_on=_days(rng.randint(0, 40)),
        last_dose_change_on=_days(rng.randint(0, 120)),
        recent_bleeding=rng.random() < 0.05,
    )


def _flags(rng: random.Random, chance: float, regions: tuple[str, ...]) -> tuple[RegionFlag, ...]:
    if rng.random() >= chance:
        return ()
    return (RegionFlag(rng.choice(regions), rng.choice(("left", "right", "bilateral"))),)


def _screening(rng: random.Random) -> Screening:
    regions = tuple(sorted({m.region for m in MUSCLES}))
    devices = ()
    if rng.random() < 0.1:
        devices = (Device(rng.choice(("pacemaker", "icd", "pump")), "chest", "left"),)
    surgeries = ()
    if rng.random() < 0.2:
        surgeries = (
            Surgery(
                on=_days(rng.randint(10, 400)),
                region=rng.choice(("shoulder", "hip", "thigh", "low_back")),
                side=rng.choice(_SIDES),
                joint_replacement=rng.random() < 0.5,
            ),
        )
    lymphedema = ()
    if rng.random() < 0.05:
        lymphedema = (Lymphedema(rng.choice(("upper", "lower")), rng.choice(_SIDES)),)
    return Screening(
        needle_phobia=rng.random() < 0.02,
        willing_to_proceed=rng.random() < 0.98,
        able_to_consent=rng.random() < 0.98,
        acute_illness=rng.random() < 0.02,
        bleeding_disorder=rng.random() < 0.03,
        anticoagulant=_anticoagulant(rng),
        immunocompromised=rng.random() < 0.05,
        pregnancy_due_date=SESSION + timedelta(days=rng.randint(-50, 270))
        if rng.random() < 0.08
        else None,
        epilepsy=rng.choice(("none",) * 18 + ("controlled", "uncontrolled")),
        diabetes=rng.random() < 0.1,
        vascular_disease=rng.random() < 0.05,
        metal_allergy=rng.random() < 0.03,
        prosthetic_heart_valve=rng.random() < 0.02,
        cancer_history=rng.random() < 0.05,
        lung_disease=rng.random() < 0.05,
        implanted_devices=devices,
        infections=_flags(rng, 0.05, regions),
        tumors=_flags(rng, 0.02, regions),
        lymphedema=lymphedema,
        surgeries=surgeries,
        varicosities=_flags(rng, 0.05, ("leg", "thigh")),
    )


def build_cases(count: int = 500, seed: int = 20260310) -> list[Case]:
    """Deterministic, varied cases: mostly clean plans of 1-6 sites, some with findings."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        sites = tuple(
            Site(rng.choice(MUSCLES).code, rng.choice(_SIDES), estim=rng.random() < 0.15)
            for _ in range(rng.randint(1, 6))
        )
        overrides = ()
        if rng.random() < 0.3:
            overrides = (Override(rng.choice(_RELATIVE), "Discussed with the patient; monitored."),)
        cases.append(
            Case(
                session_date=SESSION,
                date_of_birth=date(rng.randint(1940, 2012), rng.randint(1, 12), rng.randint(1, 28)),
                dn_certified_until=_days(-rng.randint(-2, 700)),
                consent_signed_on=_days(rng.randint(0, 370)),
                screened_on=_days(rng.randint(0, 31)),
                screening=_screening(rng) if rng.random() < 0.97 else None,
                sites=sites,
                overrides=overrides,
            )
        )
    return cases


def measure(seconds: float = 2.0, *, rounds: int = 10) -> float:
    """Evaluations per second of ``evaluate`` over varied cases, for about ``seconds``.

    The time is split into ``rounds`` and the best round counts (as ``timeit`` takes the
    minimum), so another busy process on the machine does not masquerade as engine cost.
    """
    cases = build_cases()
    for case in cases:  # warm-up
        evaluate(case)
    best = 0.0
    for _ in range(rounds):
        done = 0
        start = time.perf_counter()
        deadline = start + seconds / rounds
        while True:
            for case in cases:
                evaluate(case)
            done += len(cases)
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, done / (now - start))
    return best


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    print(f"screening: {measure(seconds):,.0f} evaluations/s")


if __name__ == "__main__":
    main()
