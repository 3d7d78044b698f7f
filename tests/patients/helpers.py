"""Form data for the patient pages, as a browser would post it."""

from __future__ import annotations

FINDING_LISTS = (
    "implanted_devices",
    "infections",
    "tumors",
    "lymphedema",
    "surgeries",
    "varicosities",
)
PARENTS = {
    "implanted_devices": "has_implanted_devices",
    "infections": "has_infections",
    "tumors": "has_tumors",
    "lymphedema": "has_lymphedema",
    "surgeries": "has_surgeries",
    "varicosities": "has_varicosities",
}
PLAIN_QUESTIONS = (
    "needle_phobia",
    "acute_illness",
    "immunocompromised",
    "diabetes",
    "vascular_disease",
    "metal_allergy",
    "prosthetic_heart_valve",
    "cancer_history",
    "lung_disease",
    "bleeding_disorder",
)


def screening_data(taken_on: str, rows: dict[str, list[dict]] | None = None, **answers) -> dict:
    """A questionnaire post: everything "no" (willing and able: "yes"), then `answers`, and
    for each list in `rows` its parent answered yes with those rows."""
    data = {
        "taken_on": taken_on,
        "willing_to_proceed": "yes",
        "able_to_consent": "yes",
        "has_epilepsy": "no",
        "takes_anticoagulant": "no",
        "pregnant": "no",
        **dict.fromkeys(PLAIN_QUESTIONS, "no"),
    }
    rows = rows or {}
    for name in FINDING_LISTS:
        items = rows.get(name, [])
        data[PARENTS[name]] = "yes" if items else "no"
        data[f"{name}-TOTAL_FORMS"] = str(max(len(items), 1))
        data[f"{name}-INITIAL_FORMS"] = "0"
        data[f"{name}-MIN_NUM_FORMS"] = "0"
        data[f"{name}-MAX_NUM_FORMS"] = "20"
        for index, item in enumerate(items):
            for key, value in item.items():
                data[f"{name}-{index}-{key}"] = value
    data.update(answers)
    return data
