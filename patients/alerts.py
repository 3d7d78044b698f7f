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
        weeks = gestational_weeks(q.pregnancy_due_date, on)
        if weeks < 14:
            text = f"Pregnant, first trimester ({weeks} weeks): due {_date(q.pregnancy_due_date)}."
            alerts.append(Alert("pregnancy_due_date", DANGER, text))
        elif q.pregnancy_due_date >= on - dt.timedelta(weeks=6):
            text = f"Pregnant ({weeks} weeks): due {_date(q.pregnancy_due_date)}."
            alerts.append(Alert("pregnancy_due_date", WARNING, text))
    if q.epilepsy == Epilepsy.UNCONTROLLED:
        alerts.append(Alert("epilepsy", DANGER, "Epilepsy, seizures not controlled."))
    elif q.epilepsy == Epilepsy.CONTROLLED:
        alerts.append(Alert("epilepsy", WARNING, "Epilepsy, controlled."))
    for device in q.implanted_devices.all():
        level = DANGER if device.kind in CARDIAC_DEVICES else WARNING
        alerts.append(Alert("implanted_devices", level, f"Implanted device: {device}."))
    for infection in q.infections.all():
        detail = f" ({infection.description})" if infection.description else ""
        text = f"Infection or wound: {infection.location_label()}{detail}."
        alerts.append(Alert("infections", DANGER, text))
    for tumor in q.tumors.all():
        detail = f" ({tumor.description})" if tumor.description else ""
        alerts.append(Alert("tumors", DANGER, f"Active tumor: {tumor.location_label()}{detail}."))
    for item in q.lymphedema.all():
        text = f"Lymphedema: {item.get_limb_display().lower()}, {item.get_side_display().lower()}."
        alerts.append(Alert("lymphedema", DANGER, text))
    for surgery in sorted(q.surgeries.all(), key=lambda s: s.on, reverse=True):
        days = (on - surgery.on).days
        kind = "Joint replacement" if surgery.joint_replacement else "Surgery"
        detail = f" ({surgery.description})" if surgery.description else ""
        text = f"{kind}: {surgery.location_label()}{detail}, {_date(surgery.on)} ({days} days ago)."
        alerts.append(Alert("surgeries", DANGER if days <= 84 else WARNING, text))
    for varicosity in q.varicosities.all():
        text = f"Varicose veins: {varicosity.location_label()}."
        alerts.append(Alert("varicosities", WARNING, text))
    for key, text in (
        ("immunocompromised", "Immunocompromised."),
        ("diabetes", "Diabetes."),
        ("vascular_disease", "Peripheral vascular disease or DVT."),
        ("metal_allergy", "Nickel or chromium allergy."),
        ("prosthetic_heart_valve", "Heart valve disease or prosthetic valve."),
        ("cancer_history", "History of cancer."),
        ("lung_disease", "Lung disease, low BMI or kyphosis: care over the thorax."),
    ):
        if getattr(q, key):
            alerts.append(Alert(key, WARNING, text))
    order = {DANGER: 0, WARNING: 1, INFO: 2}
    return sorted(alerts, key=lambda alert: order[alert.level])
