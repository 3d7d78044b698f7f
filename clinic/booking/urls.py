from django.urls import path

from clinic.booking import feed_views, setup_views, views

app_name = "booking"

urlpatterns = [
    path("calendar/", views.calendar, name="calendar"),
    # The therapist's iCalendar feed (clinic/booking/feed_views.py); the feed itself is public.
    path("calendar/feed/<str:token>.ics", feed_views.calendar_feed, name="calendar_feed"),
    path(
        "profile/calendar-feed/", feed_views.calendar_feed_settings, name="calendar_feed_settings"
    ),
    path(
        "profile/calendar-feed/rotate/",
        feed_views.calendar_feed_rotate,
        name="calendar_feed_rotate",
    ),
    path(
        "profile/calendar-feed/off/", feed_views.calendar_feed_revoke, name="calendar_feed_revoke"
    ),
    path("calendar/<int:pk>/day/", views.calendar_day, name="day"),
    path("calendar/<int:pk>/week/", views.calendar_week, name="week"),
    path("calendar/<int:pk>/book/", views.book, name="book"),
    path("calendar/<int:pk>/free-slots/", views.free_slots, name="free_slots"),
    path("booking/patients/", views.patient_search, name="patient_search"),
    path("booking/readiness/", views.readiness, name="readiness"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path("appointments/<int:pk>/move/", views.appointment_move, name="appointment_move"),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path(
        "appointments/<int:pk>/check-in/", views.appointment_check_in, name="appointment_check_in"
    ),
    path(
        "appointments/<int:pk>/complete/", views.appointment_complete, name="appointment_complete"
    ),
    path("appointments/<int:pk>/no-show/", views.appointment_no_show, name="appointment_no_show"),
    path("booking/setup/", setup_views.setup, name="setup"),
    path("booking/setup/types/", setup_views.type_list, name="type_list"),
    path("booking/setup/types/new/", setup_views.type_create, name="type_create"),
    path("booking/setup/types/<int:pk>/edit/", setup_views.type_edit, name="type_edit"),
    path("booking/setup/locations/<int:pk>/hours/", setup_views.hours, name="hours"),
    path(
        "booking/setup/locations/<int:pk>/opening-hours/",
        setup_views.opening_hours_edit,
        name="opening_hours_edit",
    ),
    path(
        "booking/setup/locations/<int:pk>/working-hours/new/",
        setup_views.working_hours_add,
        name="working_hours_add",
    ),
    path(
        "booking/setup/working-hours/<int:pk>/delete/",
        setup_views.working_hours_delete,
        name="working_hours_delete",
    ),
    path("booking/setup/absences/", setup_views.exception_list, name="exception_list"),
    path("booking/setup/absences/new/", setup_views.exception_add, name="exception_add"),
    path(
        "booking/setup/absences/<int:pk>/delete/",
        setup_views.exception_delete,
        name="exception_delete",
    ),
]
