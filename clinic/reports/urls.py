from django.urls import path

from clinic.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("exports/<uuid:pk>/", views.export_job, name="job"),
    path("exports/<uuid:pk>/download/", views.export_job_download, name="job_download"),
    path("<slug:slug>/", views.report_detail, name="report"),
    path("<slug:slug>/export/<str:format>/", views.report_export, name="export"),
]
