"""The Hypothesis profiles reach every property test: each names its examples through
examples(n), so `make test-fast` (dev) runs a fifth and CI (ci) the thorough number."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import settings

from tests.hypothesis_profiles import MINIMUM, THOROUGH, examples, walk_seeds

TESTS = Path(__file__).parent


def test_no_property_test_fixes_its_number_of_examples():
    fixed = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in sorted(TESTS.rglob("*.py"))
        if path.name != "hypothesis_profiles.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"max_examples\s*=\s*\d", line)
    ]
    assert fixed == []


def test_examples_scale_with_the_loaded_profile():
    share = settings.default.max_examples / THOROUGH
    assert examples(100) == max(MINIMUM, round(100 * share))
    assert examples(1) == MINIMUM


def test_walks_take_every_seed_only_under_the_thorough_profile():
    thorough = settings.default.max_examples >= THOROUGH
    assert walk_seeds(3) == ([1, 2, 3] if thorough else [1])
