"""The screening contract's input example (screening-contract.md), shown in the API documentation.

The API document's 200 example is this case evaluated by the engine, so it never goes stale;
tests/needling/test_api_schema.py checks this copy against the tests' verbatim one.
"""

from __future__ import annotations

CONTRACT_EXAMPLE = {
    "session_date": "2026-03-10",
    "practitioner": {"dn_certified_until": "2027-06-30"},
    "patient": {
        "date_of_birth": "1984-02-29",
        "consent_signed_on": "2026-03-01",
        "screened_on": "2026-03-09",
        "screening": {
            "needle_phobia": False,
            "willing_to_proceed": True,
            "able_to_consent": True,
            "acute_illness": False,
            "bleeding_disorder": False,
            "anticoagulant": {
                "drug": "warfarin",
                "vitamin_k_antagonist": True,
                "inr": 2.4,
                "inr_on": "2026-03-02",
                "inr_target_low": 2.0,
                "inr_target_high": 3.0,
                "last_dose_change_on": "2026-01-15",
                "recent_bleeding": False,
            },
            "immunocompromised": False,
            "pregnancy_due_date": None,
            "epilepsy": "none",
            "diabetes": False,
            "vascular_disease": False,
            "metal_allergy": False,
            "prosthetic_heart_valve": False,
            "cancer_history": False,
            "lung_disease": False,
            "implanted_devices": [{"kind": "pacemaker", "region": "chest", "side": "left"}],
            "infections": [{"region": "forearm", "side": "right"}],
            "tumors": [],
            "lymphedema": [{"limb": "upper", "side": "left"}],
            "surgeries": [
                {
                    "on": "2026-01-20",
                    "region": "shoulder",
                    "side": "right",
                    "joint_replacement": False,
                }
            ],
            "varicosities": [],
        },
    },
    "sites": [
        {"muscle": "upper_trapezius", "side": "left", "estim": False},
        {"muscle": "gluteus_medius", "side": "right", "estim": True},
    ],
    "overrides": [
        {
            "rule": "anticoagulant",
            "reason": "INR stable for 6 months, superficial sites only, pressure applied.",
        }
    ],
}
