"""The audit trail: which models django-auditlog records (who, when, before and after).

Registered from ClinicConfig.ready(). Only concrete fields are tracked: auditlog would
otherwise read reverse relations when a row is created, which caches "no related object" on
the instance (e.g. a plan's PDF document created later in the same request).
"""

from __future__ import annotations

from django.apps import apps

AUDITED_MODELS: tuple[str, ...] = (
    "clinic.User",
    "clinic.Location",
    "clinic.Room",
    "clinic.Licence",
    "clinic.DNCertification",
    "clinic.AppointmentType",
    "clinic.OpeningHours",
    "clinic.WorkingHours",
    "clinic.ScheduleException",
    "clinic.Appointment",
    "patients.Patient",
    "patients.ScreeningQuestionnaire",
    "patients.ImplantedDevice",
    "patients.Infection",
    "patients.Tumor",
    "patients.Lymphedema",
    "patients.Surgery",
    "patients.Varicosity",
    "patients.ConsentText",
    "patients.Consent",
    "patients.Condition",
    "patients.PainMap",
    "patients.PainMapArea",
    "patients.OutcomeMeasure",
    "needling.Muscle",
    "needling.ScreeningSettings",
    "needling.StricterRule",
    "needling.TreatmentPlan",
    "needling.PlanSite",
    "needling.PlanOverride",
    "needling.SessionRecord",
    "needling.SessionSite",
    "needling.AdverseEvent",
    "needling.SessionAddendum",
    "intake.PatientLink",
    "intake.Intake",
)
# Fields never written to the audit trail.
EXCLUDED_FIELDS: dict[str, frozenset[str]] = {
    "clinic.User": frozenset({"password", "last_login"}),
    # The token's hash is a credential; the draft holds unreviewed answers (the intake keeps
    # what was sent).
    "intake.PatientLink": frozenset({"token_hash", "draft"}),
}


def register_audited_models() -> None:
    from auditlog.registry import auditlog

    for label in AUDITED_MODELS:
        model = apps.get_model(label)
        excluded = EXCLUDED_FIELDS.get(label, frozenset())
        fields = [f.name for f in model._meta.concrete_fields if f.name not in excluded]
        auditlog.register(model, include_fields=fields)
