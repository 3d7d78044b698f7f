from django.urls import path

from needling.api import tokens as api_tokens
from needling.fhir import views as fhir_views
from needling.knowledge import views as knowledge_views
from needling.plans import views as plan_views
from needling.sessions import views as session_views

app_name = "needling"

urlpatterns = [
    path("rules/", knowledge_views.rule_catalogue, name="rules"),
    path("muscles/", knowledge_views.muscle_catalogue, name="muscles"),
    path("policy/", knowledge_views.policy, name="policy"),
    path("policy/<int:pk>/revoke/", knowledge_views.stricter_rule_revoke, name="stricter_revoke"),
    path("api-tokens/", api_tokens.api_tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", api_tokens.api_token_revoke, name="api_token_revoke"),
    # Treatment plans
    path("plans/", plan_views.plan_list, name="plan_list"),
    path("plans/new/<uuid:patient_pk>/", plan_views.plan_new, name="plan_new"),
    path("plans/<uuid:pk>/", plan_views.plan_detail, name="plan_detail"),
    path("plans/<uuid:pk>/edit/", plan_views.plan_edit, name="plan_edit"),
    path("plans/<uuid:pk>/workspace/", plan_views.plan_workspace, name="plan_workspace"),
    path("plans/<uuid:pk>/sites/", plan_views.plan_site_add, name="plan_site_add"),
    path(
        "plans/<uuid:pk>/sites/suggested/",
        plan_views.plan_site_suggested,
        name="plan_site_suggested",
    ),
    path(
        "plans/<uuid:pk>/sites/<int:site_pk>/remove/",
        plan_views.plan_site_remove,
        name="plan_site_remove",
    ),
    path("plans/<uuid:pk>/overrides/", plan_views.plan_override, name="plan_override"),
    path(
        "plans/<uuid:pk>/overrides/reconfirm/",
        plan_views.plan_override_reconfirm,
        name="plan_override_reconfirm",
    ),
    path("plans/<uuid:pk>/approve/", plan_views.plan_approve, name="plan_approve"),
    path("plans/<uuid:pk>/new-version/", plan_views.plan_new_version, name="plan_new_version"),
    path("plans/<uuid:pk>/pdf/status/", plan_views.plan_document, name="plan_document"),
    path(
        "plans/<uuid:pk>/pdf/retry/",
        plan_views.plan_document_retry_view,
        name="plan_document_retry",
    ),
    path("plans/<uuid:pk>/pdf/", plan_views.plan_document_download, name="plan_document_download"),
]

# Session notes (needling/sessions/views.py)
urlpatterns += [
    path(
        "sessions/start/<int:appointment_pk>/",
        session_views.session_start,
        name="session_start",
    ),
    path("sessions/flags/", session_views.session_flags, name="session_flags"),
    path("sessions/<uuid:pk>/", session_views.session_detail, name="session_detail"),
    path("sessions/<uuid:pk>/edit/", session_views.session_edit, name="session_edit"),
    path("sessions/<uuid:pk>/sign/", session_views.session_sign, name="session_sign"),
    path("sessions/<uuid:pk>/events/", session_views.adverse_event_add, name="adverse_event_add"),
    path(
        "sessions/<uuid:pk>/events/<int:event_pk>/remove/",
        session_views.adverse_event_remove,
        name="adverse_event_remove",
    ),
    path(
        "patients/<uuid:patient_pk>/outcomes/",
        session_views.patient_outcomes,
        name="patient_outcomes",
    ),
]

# FHIR export (needling/fhir/)
urlpatterns += [
    path(
        "patients/<uuid:patient_pk>/fhir/",
        fhir_views.patient_fhir_bundle,
        name="patient_fhir_bundle",
    ),
]
