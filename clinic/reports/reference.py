"""Published adverse event rates a clinic compares itself against (per 100 treatments).

Brady S et al. 2014, 7,629 dry needling treatments: mild events in 19.2% of treatments, no
significant events. Boyce D et al. 2020, 20,464 sessions: minor events 36.7%, major under 0.1%.
"""

from __future__ import annotations

# Per 100 treatments, by adverse event kind (needling.sessions.models.AdverseKind values).
BRADY_2014_PER_100: dict[str, float] = {
    "bruising": 7.6,
    "bleeding": 4.7,
    "pain_during": 3.0,
    "pain_after": 2.2,
    "aggravation": 0.9,
    "drowsiness": 0.3,
    "headache": 0.1,
    "nausea": 0.1,
    "fatigue": 0.04,
}
BRADY_2014_MILD_PER_100 = 19.2
BOYCE_2020_MINOR_PER_100 = 36.7
BOYCE_2020_MAJOR_PER_100_BELOW = 0.1
