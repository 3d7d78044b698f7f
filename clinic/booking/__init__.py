"""Booking: appointment types, opening and working hours, the calendar, appointments and
their reminders. Models live in clinic.booking.models (app label "clinic")."""
