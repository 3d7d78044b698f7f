"""Hypothesis profiles: `ci` (thorough, what CI and `make test` run) and `dev` (quick, what
`make test-fast` and a bare `pytest` run). HYPOTHESIS_PROFILE picks one; dev by default.

Each property test names the number of examples it wants under the thorough profile through
examples(n); the dev profile runs a fifth of that (never fewer than MINIMUM). The seeded random
walks (the report roll-ups' tests) take their seeds from walk_seeds(n): all n under the
thorough profile, the first one under dev. The generated inputs and what the tests assert are
the same under both profiles, only how many.
"""

from __future__ import annotations

import os

from hypothesis import settings

THOROUGH = 100  # Hypothesis's own default max_examples: examples(n) is n under `ci`
MINIMUM = 5

settings.register_profile("ci", max_examples=THOROUGH, print_blob=True)
settings.register_profile("dev", max_examples=THOROUGH // 5)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def examples(thorough: int) -> int:
    """How many examples to run for a test that wants `thorough` under the ci profile."""
    return max(MINIMUM, round(thorough * settings.default.max_examples / THOROUGH))


def walk_seeds(thorough: int) -> list[int]:
    """The seeds of a seeded random-walk test: 1..thorough under ci, seed 1 alone under dev."""
    return list(range(1, thorough + 1)) if settings.default.max_examples >= THOROUGH else [1]
