"""The calendar with the keyboard only: reach a free time on the grid, open it with Enter and
book it; single-key shortcuts act only while the calendar has focus and can be turned off."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from clinic.booking.models import Appointment
from clinic.staff.demo import DEMO_PASSWORD
from tests.e2e.htmx import settled
from tests.e2e.test_booking_calendar import demo_clinic  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def active(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {id: e.id, cls: e.className || '',
                           label: e.getAttribute('aria-label') || '',
                           text: (e.textContent || '').trim(), tag: e.tagName}; }"""
    )


def tab_until(page, wanted, limit=400) -> dict:
    """Press Tab until the focused element satisfies `wanted`; fail if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = active(page)
        if wanted(now):
            return now
    raise AssertionError("Tab never reached the element")


def free_room(location, starts, minutes=30):
    ends = starts + dt.timedelta(minutes=minutes)
    busy = Appointment.objects.filter(
        location=location,
        status__in=Appointment.ACTIVE_STATUSES,
        starts_at__lt=ends,
        ends_at__gt=starts,
    ).values_list("room_id", flat=True)
    return location.rooms.exclude(pk__in=list(busy)).order_by("name").first()


def test_the_front_desk_books_a_free_time_from_the_grid_by_keyboard_only(
    page,
    login,
    demo_clinic,  # noqa: F811
):
    login("frontdesk", DEMO_PASSWORD)
    page.goto(f"/calendar/{demo_clinic.pk}/day/?date=2026-03-02")
    page.wait_for_load_state("load")

    slot = tab_until(page, lambda e: "cal-free" in e["cls"])
    match = re.match(r"Book (.+) at (\d\d:\d\d)$", slot["label"])
    assert match, slot
    therapist_name, time = match.groups()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/book/\?date=2026-03-02&time={time}&therapist=\d+"))
    page.wait_for_load_state("load")
    expect(page.get_by_label("Start time")).to_have_value(time)

    tab_until(page, lambda e: e["id"] == "patient-query")
    # The search runs 250 ms after the last key: on a busy machine a pause between two keys
    # sends an earlier search too. Wait for the answer to the whole name and its swap, or a
    # late swap replaces the list after Tab has reached it.
    with page.expect_response(lambda r: "patient_query=bergstrom" in r.url):
        page.keyboard.type("bergstrom")
    settled(page)
    listbox = page.get_by_role("listbox", name="Patient")
    expect(listbox.get_by_role("option")).to_have_count(1)
    page.keyboard.press("Tab")
    assert active(page)["id"] == "id_patient"
    page.keyboard.press("ArrowDown")
    settled(page)  # the DN readiness panel follows the patient
    tab_until(page, lambda e: e["id"] == "id_appointment_type")
    page.keyboard.type("DN follow")
    expect(page.get_by_label("Type")).to_have_value(re.compile(r"\d+"))
    settled(page)
    starts = dt.datetime.combine(
        dt.date(2026, 3, 2), dt.time.fromisoformat(time), tzinfo=demo_clinic.zone
    )
    room = free_room(demo_clinic, starts)
    tab_until(page, lambda e: e["id"] == "id_room")
    page.keyboard.type(room.name)
    expect(page.get_by_label("Room")).to_have_value(str(room.pk))
    tab_until(page, lambda e: e["tag"] == "BUTTON" and e["text"] == "Book")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status").filter(has_text="Booked Ingrid Bergström")).to_be_visible()
    booked = Appointment.objects.select_related("therapist").get(patient__last_name="Bergström")
    assert f"{booked.local_starts_at:%H:%M}" == time
    assert str(booked.therapist) == therapist_name
    assert booked.room_id == room.pk


def test_shortcuts_act_only_in_the_calendar_and_can_be_turned_off(
    page,
    login,
    demo_clinic,  # noqa: F811
):
    login("frontdesk", DEMO_PASSWORD)
    page.goto(f"/calendar/{demo_clinic.pk}/day/?date=2026-03-02")
    page.wait_for_load_state("load")
    heading = page.get_by_role("heading", level=1)

    # Focus outside the calendar (the page itself): the arrow keys scroll, nothing else.
    page.locator("main").focus()
    page.keyboard.press("ArrowRight")
    expect(heading).to_contain_text("Monday 2 March 2026")
    # On the calendar's own buttons they move a day; focus comes back to the same button
    # after the swap, so the next key press works too.
    page.locator("#calendar-today").focus()
    page.keyboard.press("ArrowRight")
    expect(heading).to_contain_text("Tuesday 3 March 2026")
    # The next key once the swap has settled (htmx binds the new buttons then; a key before
    # that would follow a plain link) and focus is back, as a person's next press is.
    settled(page)
    expect(page.locator("#calendar-today")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(heading).to_contain_text("Wednesday 4 March 2026")
    settled(page)
    expect(page.locator("#calendar-today")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(heading).to_contain_text("Tuesday 3 March 2026")
    settled(page)
    expect(page.locator("#calendar-today")).to_be_focused()
    # Inside the scrolling grid the arrow keys are the browser's (sideways scrolling).
    page.locator(".cal-grid a").first.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(300)
    settled(page)  # had the key moved a day, its swap would be in by now
    expect(heading).to_contain_text("Tuesday 3 March 2026")

    # Turned off, with the keyboard, and still off after a reload.
    page.get_by_role("switch", name="Single-key shortcuts").focus()
    page.keyboard.press("Space")
    expect(page.get_by_role("switch", name="Single-key shortcuts")).not_to_be_checked()
    page.reload()
    page.wait_for_load_state("load")
    expect(page.get_by_role("switch", name="Single-key shortcuts")).not_to_be_checked()
    page.locator("#calendar-today").focus()
    page.keyboard.press("t")
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)
    settled(page)
    expect(heading).to_contain_text("Tuesday 3 March 2026")
