from django.urls import path

from patients.intake import public_views, staff_views

app_name = "intake"

urlpatterns = [
    # Staff
    path("", staff_views.intake_list, name="list"),
    path("<uuid:pk>/", staff_views.intake_review, name="review"),
    path("<uuid:pk>/accept/", staff_views.intake_accept, name="accept"),
    path("<uuid:pk>/return/", staff_views.intake_return, name="return"),
    path("patients/<uuid:pk>/send/", staff_views.link_send, name="send"),
    path("links/<int:pk>/revoke/", staff_views.link_revoke, name="revoke"),
    # Patients (public: PUBLIC_URL_NAMES)
    path("p/step/<int:number>/", public_views.intake_step, name="step"),
    path("p/done/", public_views.intake_done, name="done"),
    path("p/<str:token>/", public_views.intake_open, name="open"),
    path("a/<str:token>/", public_views.appointment_link, name="appointment"),
]
