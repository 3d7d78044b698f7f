"""The plan editor with a screen reader and the keyboard in mind: focus comes back to the
control after each htmx swap, the decision is announced, errors are tied to their field."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.htmx import settled
from tests.e2e.test_plan_journey import neck_patient, private_storage  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {tag: e.tagName, id: e.id, text: (e.textContent || '').trim()}; }"""
    )


def test_focus_returns_after_each_swap_and_the_decision_is_announced(
    login,
    therapist,
    neck_patient,  # noqa: F811
    private_storage,  # noqa: F811
):
    page = login("thera")
    page.goto(neck_patient.get_absolute_url())
    page.get_by_role("link", name="New DN plan").click()
    page.get_by_role("button", name="Create draft plan").click()
    page.wait_for_load_state("load")
    announcer = page.locator("#live-announcer")

    add_site = page.get_by_role("region", name="Add a site")
    add_site.get_by_role("combobox", name=re.compile("^Muscle")).select_option("levator_scapulae")
    add_site.get_by_role("combobox", name=re.compile("^Side")).select_option("left")
    add_site.get_by_role("combobox", name=re.compile("^Needle length")).select_option("25")
    button = page.get_by_role("button", name="Add site")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("table.sites-table tbody tr")).to_have_count(1)
    expect(announcer).to_have_text(re.compile(r"Decision: Override required"))
    # The next step once the swap has settled: htmx binds the new forms then (a click before
    # that would post the plain form) and focus is back.
    settled(page)
    page.wait_for_function("() => document.activeElement.textContent.trim() == 'Add site'")

    # A too-short override reason: the message is tied to the field, and focus is back on it.
    reason = page.get_by_label("Clinical reason for overriding anticoagulant")
    reason.fill("too short")
    page.get_by_role("button", name="Record override for anticoagulant").click()
    reason = page.get_by_label("Clinical reason for overriding anticoagulant")
    expect(reason).to_have_attribute("aria-invalid", "true")
    described = reason.get_attribute("aria-describedby").split()
    error = page.locator(f"#{described[0]}")
    expect(error).to_contain_text("at least 20 characters")
    # Focus comes back when the swap settles, a moment after the message is in.
    settled(page)
    assert focused(page)["text"].startswith("Record override for anticoagulant")

    # Removing the only site: its button is gone, so focus goes to the workspace's heading.
    page.get_by_role("button", name=re.compile("^Remove Levator scapulae")).click()
    expect(page.locator("table.sites-table")).to_have_count(0)
    settled(page)
    page.wait_for_function("() => document.activeElement.id == 'sites-heading'")
    expect(announcer).to_have_text(re.compile(r"Decision: No sites yet"))
