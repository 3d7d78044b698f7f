"""A therapist plans DN sites for a patient, sees the screening live, overrides, approves,
and downloads the PDF plan."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from needling.plans.models import PlanOverride, TreatmentPlan
from patients.services import pain_map_record
from tests.factories import ConditionFactory, ConsentFactory, PatientFactory, ScreeningFactory

pytestmark = pytest.mark.django_db(transaction=True)

REASON = "INR 2.5 last week and stable for months; superficial sites, firm pressure after."


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "clinic.common.storage.PrivateStorage",
            "OPTIONS": {"location": tmp_path / "private"},
        },
    }


@pytest.fixture
def neck_patient(shipped_data, therapist):
    """A demo-like patient on warfarin (a relative finding) with neck pain on both sides."""
    today = timezone.localdate()
    patient = PatientFactory(first_name="Zoë", last_name="Whitaker")
    ScreeningFactory(
        patient=patient,
        taken_on=today - dt.timedelta(days=2),
        anticoagulant_drug="warfarin",
        vitamin_k_antagonist=True,
        inr="2.5",
        inr_on=today - dt.timedelta(days=6),
    )
    ConsentFactory(patient=patient, signed_on=today - dt.timedelta(days=10))
    ConditionFactory(patient=patient, recorded_by=therapist)
    pain_map_record(
        patient=patient,
        recorded_on=today - dt.timedelta(days=2),
        recorded_by=therapist,
        areas=[("posterior_neck", "left", 6), ("posterior_neck", "right", 5)],
    )
    return patient


def test_a_therapist_plans_overrides_approves_and_downloads_the_pdf(
    login, therapist, neck_patient, private_storage
):
    page = login("thera")
    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name=re.compile("Whitaker")).first.click()
    page.get_by_role("link", name="New DN plan").click()
    page.get_by_role("button", name="Create draft plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DN treatment plan for")

    # One click on a suggestion adds the left upper trapezius: a lung-risk site.
    suggestions = page.get_by_role("region", name="Suggested muscles to examine")
    suggestions.get_by_role("button", name="Add left Upper trapezius").click()
    panel = page.locator("#screening-panel")
    expect(panel).to_contain_text("Override required")
    expect(panel).to_contain_text("Lung field")
    expect(panel).to_contain_text("Anticoagulant")

    # The right side too: both lungs at risk in one session blocks the plan, live.
    page.get_by_role("button", name="Add right Upper trapezius").click()
    expect(panel).to_contain_text("Blocked")
    expect(page.locator("tr.site-blocked")).to_have_count(2)
    expect(page.get_by_role("button", name="Approve plan")).to_be_disabled()
    page.get_by_role("button", name="Remove Upper trapezius (right)").click()
    expect(page.locator("tr.site-blocked")).to_have_count(0)

    # A site added with the full form: the levator scapulae on the left.
    add_site = page.get_by_role("region", name="Add a site")
    add_site.get_by_role("combobox", name=re.compile("^Muscle")).select_option("levator_scapulae")
    add_site.get_by_role("combobox", name=re.compile("^Side")).select_option("left")
    add_site.get_by_role("combobox", name=re.compile("^Needle length")).select_option("25")
    page.get_by_role("button", name="Add site").click()
    expect(page.locator("table.sites-table tbody tr")).to_have_count(2)

    # The relative finding needs a certified practitioner's written reason.
    page.get_by_label("Clinical reason for overriding anticoagulant").fill("too short")
    page.get_by_role("button", name="Record override for anticoagulant").click()
    expect(panel).to_contain_text("at least 20 characters")
    page.get_by_label("Clinical reason for overriding anticoagulant").fill(REASON)
    page.get_by_role("button", name="Record override for anticoagulant").click()
    expect(panel).to_contain_text("Overridden")
    expect(panel).to_contain_text("Clear")

    page.get_by_role("link", name="Approve plan").click()
    page.get_by_role("button", name="Approve and lock the plan").click()
    expect(page.get_by_role("status").first).to_contain_text("Plan approved and locked")
    download_link = page.get_by_role("link", name="Download the PDF plan")
    expect(download_link).to_be_visible()
    with page.expect_download() as info:
        download_link.click()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(info.value.path()).pages).split())

    plan = TreatmentPlan.objects.get(patient=neck_patient)
    assert plan.status == "approved"
    assert PlanOverride.objects.get(plan=plan).recorded_by == therapist
    for expected in (
        "Upper trapezius",
        "Levator scapulae",
        "0.25 x 25 mm",
        "Lung field",
        "lung apex lies close above the clavicle",
        "pincer grip bracketing the superior angle",
        "Anticoagulant",
        REASON,
        "APPROVED",
        "up to two days after the session",
    ):
        assert expected in text, expected
