"""Where does it hurt -> which muscles to examine (the muscles.md ranking)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from needling.knowledge.catalogue import MUSCLES, PAIN_AREA_CODES, Muscle


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A muscle worth examining and the patient's pain areas it refers to (catalogue order)."""

    muscle: Muscle
    matched: tuple[str, ...]


def suggest_muscles(
    pain_areas: Iterable[str],
    muscles: Iterable[Muscle] | Mapping[str, Muscle] = MUSCLES,
) -> tuple[Suggestion, ...]:
    """Rank muscles that refer to any of ``pain_areas``.

    Order: most of the patient's pain areas referred to first, then the more specific muscle
    (fewer referral areas), then muscle code so the order is deterministic. Muscles matching
    nothing are left out. Fibromyalgia is deliberately not mapped to muscles: its tender
    points are not trigger points. Unknown pain-area codes are a ``ValueError``.
    """
    wanted = frozenset(pain_areas)
    unknown = wanted - PAIN_AREA_CODES
    if unknown:
        raise ValueError(f"unknown pain area code(s): {', '.join(sorted(unknown))}")
    pool = muscles.values() if isinstance(muscles, Mapping) else muscles
    found = []
    for muscle in pool:
        matched = tuple(area for area in muscle.refers_to if area in wanted)
        if matched:
            found.append(Suggestion(muscle, matched))
    found.sort(key=lambda s: (-len(s.matched), len(s.muscle.refers_to), s.muscle.code))
    return tuple(found)
