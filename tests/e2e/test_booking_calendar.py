"""The front desk books, moves and cancels an appointment on the calendar of a demo location,
with the keyboard where it matters."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import expect

from clinic.booking.models import Appointment
from clinic.booking.schedule import free_slots
from clinic.demo import seed
from clinic.staff.demo import DEMO_PASSWORD
from clinic.staff.models import Location, User
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)
# Monday 2 March 2026, 07:30 in San Francisco: before the first appointment of the day.
MONDAY_MORNING = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)


def settle(page):
    """Wait until no htmx request is in flight (htmx marks the requesting element)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


@pytest.fixture
def demo_clinic():
    with time_machine.travel(MONDAY_MORNING, tick=True):
        seed(today=dt.date(2026, 3, 2))
        PatientFactory(first_name="Ingrid", last_name="Bergström", email="ingrid@example.test")
        yield Location.objects.get(name="Mission District")


def test_front_desk_books_moves_and_cancels_on_the_calendar(page, login, demo_clinic):
    login("frontdesk", DEMO_PASSWORD)
    # Today's appointments are on the home page, with a way into each location's calendar.
    expect(
        page.get_by_role("table", name="Today's appointments at Mission District")
    ).to_be_visible()
    page.get_by_role("link", name="Open the Mission District calendar").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Mission District: Monday 2 March 2026 Today")

    # Move a day on with the keyboard (htmx swaps the calendar in place), then back.
    page.wait_for_load_state("load")  # the page's scripts are in
    page.locator("#calendar-today").focus()  # the shortcuts act while the calendar has focus
    page.keyboard.press("ArrowRight")
    expect(heading).to_have_text("Mission District: Tuesday 3 March 2026")
    expect(page).to_have_url(re.compile(r"date=2026-03-03"))
    page.get_by_role("link", name="Previous day").click()
    expect(heading).to_contain_text("Monday 2 March 2026")

    # Book: find the patient as you type, pick a type, take the first suggested free slot.
    page.get_by_role("link", name="Book appointment").click()
    page.wait_for_load_state("load")
    page.get_by_label("Find patient").fill("bergstrom")
    listbox = page.get_by_role("listbox", name="Patient")
    expect(listbox.get_by_role("option")).to_have_count(1)
    listbox.select_option(label="Bergström, Ingrid (born 1980-05-17)")
    page.get_by_label("Type").select_option(label="DN follow-up (30 min)")
    # A DN type: the front desk sees that this new patient still needs screening and consent.
    readiness = page.get_by_role("status").filter(has_text="DN screening and consent of")
    expect(readiness).to_contain_text("missing: ask the patient to complete the screening")
    expect(readiness).to_contain_text("missing: ask the patient to sign the DN consent")
    page.get_by_role("button", name="Suggest free slots").click()
    suggestion = page.get_by_role("button", name=re.compile(r"^Mon 2 Mar \d\d:\d\d"))
    expect(suggestion.first).to_be_visible()
    suggestion.first.click()
    expect(page.get_by_text("Filled in:")).to_be_visible()
    settle(page)
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_role("status").filter(has_text="Booked Ingrid Bergström")).to_be_visible()
    booked = Appointment.objects.select_related("therapist", "room").get(
        patient__last_name="Bergström"
    )
    booked_at = booked.local_starts_at
    link = page.get_by_role("link", name=re.compile(r"Ingrid Bergström"))
    expect(link).to_contain_text(f"{booked_at:%H:%M}")
    expect(link).to_contain_text("DN follow-up")

    # Move it to the therapist's next free time from Tuesday on.
    tuesday = dt.datetime.combine(dt.date(2026, 3, 3), dt.time(0), tzinfo=demo_clinic.zone)
    target = free_slots(
        location=demo_clinic,
        duration=booked.ends_at - booked.starts_at,
        after=tuesday,
        therapists=[User.objects.get(pk=booked.therapist_id)],
        rooms=list(demo_clinic.rooms.order_by("name")),
        count=1,
    )[0]
    link.click()
    page.get_by_role("link", name="Reschedule").click()
    page.get_by_label("New date").fill(f"{target.local_starts_at:%Y-%m-%d}")
    page.get_by_label("New start time").fill(f"{target.local_starts_at:%H:%M}")
    page.get_by_label("Room").select_option(label=target.room.name)
    page.get_by_role("button", name="Move appointment").click()
    expect(page.get_by_role("status").filter(has_text="Moved Ingrid Bergström")).to_be_visible()
    expect(heading).to_contain_text(f"{target.local_starts_at:%A %-d %B %Y}")
    moved = page.get_by_role("link", name=re.compile(r"Ingrid Bergström"))
    expect(moved).to_contain_text(f"{target.local_starts_at:%H:%M}")

    # Cancel it, with a reason, after confirming.
    moved.click()
    page.get_by_role("link", name="Cancel appointment").click()
    expect(page.get_by_role("heading", name="Cancel this appointment?")).to_be_visible()
    page.get_by_label("Reason for cancelling").fill("Patient is travelling")
    page.get_by_role("button", name="Cancel appointment").click()
    expect(page.get_by_role("status").filter(has_text="The slot is free again.")).to_be_visible()
    history = page.get_by_role("region", name="Cancelled and no-show")
    expect(history).to_contain_text("Ingrid Bergström")
    expect(history).to_contain_text("Patient is travelling")
    assert Appointment.objects.get(pk=booked.pk).status == Appointment.Status.CANCELLED


def test_a_taken_slot_gets_a_clear_answer_in_the_browser(page, login, demo_clinic):
    taken = (
        Appointment.objects.filter(
            location=demo_clinic, status=Appointment.Status.BOOKED, starts_at__gt=MONDAY_MORNING
        )
        .select_related("therapist", "room", "location")
        .order_by("starts_at")
        .first()
    )
    local = taken.local_starts_at
    login("frontdesk", DEMO_PASSWORD)
    page.goto(
        f"/calendar/{demo_clinic.pk}/book/?date={local:%Y-%m-%d}&time={local:%H:%M}"
        f"&therapist={taken.therapist_id}&room={taken.room_id}"
    )
    page.wait_for_load_state("load")
    page.get_by_label("Find patient").fill("ingrid")
    page.get_by_role("listbox", name="Patient").select_option(index=0)
    page.get_by_label("Type").select_option(label="DN follow-up (30 min)")
    settle(page)
    page.get_by_role("button", name="Book", exact=True).click()
    expect(
        page.get_by_text(f"That slot is taken: {taken.therapist} is already booked")
    ).to_be_visible()
    assert not Appointment.objects.filter(patient__last_name="Bergström").exists()
