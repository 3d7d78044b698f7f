from django.urls import path

from patients import consent_views, views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("register/", views.patient_register, name="register"),
    path("icd10/search/", views.icd10_search, name="icd10_search"),
    path("consent-texts/", views.consent_text_list, name="consent_texts"),
    path("consent-texts/new/", views.consent_text_new, name="consent_text_new"),
    path("consent-texts/<int:version>/", views.consent_text_detail, name="consent_text_detail"),
    path("<uuid:pk>/", views.patient_detail, name="detail"),
    path("<uuid:pk>/edit/", views.patient_edit, name="edit"),
    path("<uuid:pk>/archive/", views.patient_archive, name="archive"),
    path("<uuid:pk>/restore/", views.patient_restore, name="restore"),
    path("<uuid:pk>/access-log/", views.patient_access_log, name="access_log"),
    path("<uuid:pk>/screenings/new/", views.screening_new, name="screening_new"),
    path(
        "<uuid:pk>/screenings/<uuid:screening_pk>/",
        views.screening_detail,
        name="screening_detail",
    ),
    path("<uuid:pk>/consents/new/", views.consent_new, name="consent_new"),
    path("<uuid:pk>/consents/<uuid:consent_pk>/pdf/", views.consent_pdf, name="consent_pdf"),
    path(
        "<uuid:pk>/consents/<uuid:consent_pk>/withdraw/",
        consent_views.consent_withdraw_view,
        name="consent_withdraw",
    ),
    path("<uuid:pk>/conditions/new/", views.condition_new, name="condition_new"),
    path(
        "<uuid:pk>/conditions/<int:condition_pk>/resolve/",
        views.condition_resolve,
        name="condition_resolve",
    ),
    path("<uuid:pk>/pain-map/new/", views.pain_map_new, name="pain_map_new"),
    path("<uuid:pk>/outcomes/new/", views.outcome_new, name="outcome_new"),
]
