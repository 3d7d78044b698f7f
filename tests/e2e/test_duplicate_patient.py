"""The front desk is warned of a patient who may already be registered, before saving."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from patients.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_registration_warns_of_a_possible_duplicate_and_links_to_it(page, login, front_desk):
    # The live server's first request loads every view module: slow on a busy machine.
    page.goto("/accounts/login/", timeout=60_000)
    login("desk")
    existing = PatientFactory(
        first_name="Zoë", last_name="Whitaker", date_of_birth=dt.date(1984, 2, 29)
    )
    page.goto("/patients/register/")
    page.get_by_label("First name").fill("Zoe")
    page.get_by_label("Last name").fill("Whittaker")
    page.get_by_label("Date of birth").fill("1984-02-29")
    page.get_by_label("Phone").fill("(415) 555-0199")
    page.get_by_role("button", name="Register", exact=True).click()

    warning = page.get_by_role("alert").filter(has_text="Possibly already registered")
    expect(warning).to_contain_text("the same date of birth and a similar name")
    save_anyway = page.get_by_label("Save anyway: this is a different person")
    expect(save_anyway).to_have_attribute("aria-invalid", "true")
    assert Patient.objects.count() == 1

    # The link opens the existing record ...
    warning.get_by_role("link", name="Zoë Whitaker").click()
    expect(page).to_have_url(existing.get_absolute_url())
    page.go_back()
    # ... or, for a different person, "Save anyway" registers the new one.
    page.get_by_label("Save anyway: this is a different person").check()
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="is registered")).to_be_visible()
    assert Patient.objects.filter(date_of_birth=dt.date(1984, 2, 29)).count() == 2
