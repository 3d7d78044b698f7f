"""Alerts for the patient page: the contraindication-relevant answers of the current screening,
named plainly ("Anticoagulant: warfarin, INR 2.4 on 2026-03-02 ...").

These are raw answers, not judgements: the screening engine (needling/screening) decides
what they mean for a planned session. When its patient-level findings are available, the
patient page shows those in place of these (see views.patient_detail).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from patients.models import Patient, ScreeningQuestionnaire
from patients.vocabulary import CARDIAC_DEVICES, Epilepsy

DANGER, WARNING, INFO = "danger", "warning", "info"


@dataclass(frozen=True)
class Alert:
    key: str  # the screening fact it comes from (a contract key)
    level: str  # "danger" (usually stops needling), "warning", "info"
    text: str


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else "unknown date"


def gestational_weeks(due: dt.date, on: dt.date) -> int:
    """Whole weeks of pregnancy on `on` for an estimated due date (280 days)."""
    return (280 - (due - on).days) // 7


def anticoagulant_text(q: ScreeningQuestionnaire) -> str:
    parts = [q.anticoagulant_drug]
    if q.vitamin_k_antagonist:
        if q.inr is not None:
            parts.append(
                f"INR {q.inr.normalize():f} on {_date(q.inr_on)} "
                f"(target {q.inr_target_low}-{q.inr_target_high})"
            )
        else:
            parts.append("no INR recorded")
    if q.last_dose_change_on:
        parts.append(f"last dose change {_date(q.last_dose_change_on)}")
    if q.recent_bleeding:
        parts.append("recent abnormal bleeding")
    return ", ".join(parts)


# Plain yes answers that only ask for care: (answer, what the alert says).
CARE_ANSWERS = (
    ("immunocompromised", "Immunocompromised."),
    ("diabetes", "Diabetes."),
    ("vascular_disease", "Peripheral vascular disease or DVT."),
    ("metal_allergy", "Nickel or chromium allergy."),
    ("prosthetic_heart_valve", "Heart valve disease or prosthetic valve."),
    ("cancer_history", "History of cancer."),
    ("lung_disease", "Lung disease, low BMI or kyphosis: care over the thorax."),
)
ORDER = {DANGER: 0, WARNING: 1, INFO: 2}


def screening_alerts(
    questionnaire: ScreeningQuestionnaire | None, *, patient: Patient, on: dt.date
) -> list[Alert]:
    """The contraindication-relevant answers of `questionnaire`, most serious first."""
    alerts: list[Alert] = []
    if patient.age_on(on) < 18:
        alerts.append(Alert("minor", WARNING, f"Minor: {patient.age_on(on)} years old."))
    q = questionnaire
    if q is None:
        return alerts
    alerts += _answer_alerts(q, on)
    alerts += _finding_alerts(q, on)
    alerts += [Alert(key, WARNING, text) for key, text in CARE_ANSWERS if getattr(q, key)]
    return sorted(alerts, key=lambda alert: ORDER[alert.level])


def _answer_alerts(q: ScreeningQuestionnaire, on: dt.date) -> list[Alert]:
    """The questionnaire's own answers, in the order the page lists them."""
    alerts: list[Alert] = []
    if q.needle_phobia:
        alerts.append(Alert("needle_phobia", DANGER, "Fear of needles."))
    if not q.willing_to_proceed:
        alerts.append(Alert("willing_to_proceed", DANGER, "Not willing to proceed with DN."))
    if not q.able_to_consent:
        alerts.append(Alert("able_to_consent", DANGER, "Unable to give informed consent."))
    if q.acute_illness:
        alerts.append(Alert("acute_illness", DANGER, "Acute or unstable illness."))
    if q.anticoagulant_drug:
        inr_off = q.vitamin_k_antagonist and (
            q.inr is None or not (q.inr_target_low <= q.inr <= q.inr_target_high)
        )
        level = DANGER if q.recent_bleeding or inr_off else WARNING
        alerts.append(Alert("anticoagulant", level, f"Anticoagulant: {anticoagulant_text(q)}."))
    if q.bleeding_disorder:
        alerts.append(Alert("bleeding_disorder", WARNING, "Bleeding disorder or low platelets."))
    if q.pregnancy_due_date:
        alerts += _pregnancy_alerts(q.pregnancy_due_date, on)
    if q.epilepsy == Epilepsy.UNCONTROLLED:
        alerts.append(Alert("epilepsy", DANGER, "Epilepsy, seizures not controlled."))
    elif q.epilepsy == Epilepsy.CONTROLLED:
        alerts.append(Alert("epilepsy", WARNING, "Epilepsy, controlled."))
    return alerts


def _pregnancy_alerts(due: dt.date, on: dt.date) -> list[Alert]:
    weeks = gestational_weeks(due, on)
    if weeks < 14:
        text = f"Pregnant, first trimester ({weeks} weeks): due {_date(due)}."
        return [Alert("pregnancy_due_date", DANGER, text)]
    if due >= on - dt.timedelta(weeks=6):
        return [
            Alert("pregnancy_due_date", WARNING, f"Pregnant ({weeks} weeks): due {_date(due)}.")
        ]
    return []


def _detail(row) -> str:
    return f" ({row.description})" if row.description else ""


def _finding_alerts(q: ScreeningQuestionnaire, on: dt.date) -> list[Alert]:
    """The rows of the finding lists: devices, infections, tumors, lymphedema, surgeries,
    varicose veins."""
    alerts: list[Alert] = []
    for device in q.implanted_devices.all():
        level = DANGER if device.kind in CARDIAC_DEVICES else WARNING
        alerts.append(Alert("implanted_devices", level, f"Implanted device: {device}."))
    for infection in q.infections.all():
        text = f"Infection or wound: {infection.location_label()}{_detail(infection)}."
        alerts.append(Alert("infections", DANGER, text))
    for tumor in q.tumors.all():
        text = f"Active tumor: {tumor.location_label()}{_detail(tumor)}."
        alerts.append(Alert("tumors", DANGER, text))
    for item in q.lymphedema.all():
        text = f"Lymphedema: {item.get_limb_display().lower()}, {item.get_side_display().lower()}."
        alerts.append(Alert("lymphedema", DANGER, text))
    for surgery in sorted(q.surgeries.all(), key=lambda s: s.on, reverse=True):
        days = (on - surgery.on).days
        kind = "Joint replacement" if surgery.joint_replacement else "Surgery"
        text = (
            f"{kind}: {surgery.location_label()}{_detail(surgery)}, {_date(surgery.on)} "
            f"({days} days ago)."
        )
        alerts.append(Alert("surgeries", DANGER if days <= 84 else WARNING, text))
    for varicosity in q.varicosities.all():
        text = f"Varicose veins: {varicosity.location_label()}."
        alerts.append(Alert("varicosities", WARNING, text))
    return alerts
