"""Patient intake before the visit: single-use links (to the screening questionnaire and
consent, or to confirm or cancel one appointment), the patient-facing pages behind them,
and the staff review that turns a pending intake into the patient's current screening."""
