"""The DN knowledge base: muscles, regions, pain areas and the contraindication rules."""

from needling.knowledge.catalogue import DEFAULT_MUSCLES, MUSCLES, MUSCLES_BY_CODE, Muscle
from needling.knowledge.rules import RULES, RULES_BY_CODE, Rule
from needling.knowledge.suggest import Suggestion, suggest_muscles

__all__ = [
    "DEFAULT_MUSCLES",
    "MUSCLES",
    "MUSCLES_BY_CODE",
    "RULES",
    "RULES_BY_CODE",
    "Muscle",
    "Rule",
    "Suggestion",
    "suggest_muscles",
]
