from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic import home
from clinic.common.access import any_staff
from clinic.common.health import health
from clinic.staff import views as staff_views
from needling.api.docs import api_docs, api_schema
from needling.api.views import screening_evaluate

urlpatterns = [
    path("", home.home, name="home"),
    path("health/", health, name="health"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", any_staff(auth_views.LogoutView.as_view()), name="logout"),
    path(
        "accounts/password/",
        any_staff(auth_views.PasswordChangeView.as_view()),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        any_staff(auth_views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
    path("profile/", staff_views.profile, name="profile"),
    path("dashboard/", home.dashboard, name="dashboard"),
    path("staff/", staff_views.staff_list, name="staff_list"),
    path("staff/new/", staff_views.staff_create, name="staff_create"),
    path("staff/<int:pk>/", staff_views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", staff_views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/licences/new/", staff_views.licence_add, name="licence_add"),
    path(
        "staff/<int:pk>/certifications/new/",
        staff_views.certification_add,
        name="certification_add",
    ),
    path("locations/", staff_views.location_list, name="location_list"),
    path("locations/new/", staff_views.location_create, name="location_create"),
    path("locations/<int:pk>/", staff_views.location_detail, name="location_detail"),
    path("locations/<int:pk>/edit/", staff_views.location_edit, name="location_edit"),
    path("locations/<int:pk>/rooms/new/", staff_views.room_create, name="room_create"),
    path("patients/", include("patients.urls")),
    path("needling/", include("needling.urls")),
    path("reports/", include("clinic.reports.urls")),
    path("intake/", include("patients.intake.urls")),
    path("api/screening/evaluate", screening_evaluate, name="api_screening_evaluate"),
    path("api/schema/", api_schema, name="api_schema"),
    path("api/docs/", api_docs, name="api_docs"),
    path("", include("clinic.booking.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "DN clinic administration"
