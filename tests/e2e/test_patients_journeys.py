"""Browser journeys: the front desk registers a patient, takes the full screening and the
consent (with its PDF copy); a therapist then reads the complete record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import Consent, Patient, ScreeningQuestionnaire

pytestmark = pytest.mark.django_db(transaction=True)


def answer(page, question: str, value: str) -> None:
    page.get_by_role("group", name=question).get_by_label(value, exact=True).check()


NO_QUESTIONS = [
    "Is the patient afraid of needles?",
    "Is the patient acutely or unstably ill today?",
    "Is the patient's immune system weakened?",
    "Does the patient have diabetes?",
    "Peripheral vascular disease, or ever a deep vein thrombosis (DVT)?",
    "Is the patient allergic to nickel or chromium?",
    "Heart valve disease or a prosthetic heart valve?",
    "Has the patient ever had cancer?",
    "COPD or emphysema, very low body weight, or marked kyphosis?",
    "Does the patient have epilepsy?",
    "A bleeding disorder or low platelets?",
    "Is the patient pregnant?",
    "Is there an infection, open wound or inflamed skin anywhere?",
    "Does the patient have an active tumor?",
    "Is there lymphedema in an arm or a leg?",
    "Does the patient have varicose veins?",
]


def test_front_desk_registers_screens_and_consents_a_patient(login, front_desk, therapist):
    today = timezone.localdate()
    page = login("desk")

    # A phone enquiry: name, date of birth and phone only.
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("First name").fill("Zoë")
    page.get_by_label("Last name").fill("Whitaker")
    page.get_by_label("Date of birth").fill("1984-02-29")
    page.get_by_label("Phone").fill("(415) 555-0101")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Zoë Whitaker")
    expect(page.get_by_role("status").filter(has_text="Details still missing")).to_contain_text(
        "emergency contact"
    )
    expect(page.locator("#screening-status")).to_contain_text("Missing")

    # Complete the details at the first visit.
    page.get_by_role("link", name="Complete the details").click()
    page.get_by_label("Sex").select_option("F")
    page.get_by_label("Email").fill("zoe@example.test")
    page.get_by_label("Address").fill("12 Valencia St, San Francisco")
    page.get_by_label("Emergency contact name").fill("Sam Whitaker")
    page.get_by_label("Emergency contact phone").fill("(415) 555-0199")
    page.get_by_label("Preferred location").select_option(label="Mission District")
    expect(page.get_by_label("Clinical notes")).to_have_count(0)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Details still missing:")).to_have_count(0)

    # Find her again by an accent-free partial name.
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Search patients").fill("zoe whit")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Whitaker, Zoë").click()

    # The full screening questionnaire.
    page.get_by_role("link", name="Take screening").click()
    anticoagulant_drug = page.get_by_label("Which drug?")
    expect(anticoagulant_drug).to_be_hidden()  # follow-ups stay closed until a yes
    answer(page, "Is the patient willing to go ahead with dry needling?", "Yes")
    answer(page, "Can the patient give informed consent?", "Yes")
    for question in NO_QUESTIONS:
        answer(page, question, "No")
    answer(page, "Does the patient take a blood thinner (anticoagulant or antiplatelet)?", "Yes")
    expect(anticoagulant_drug).to_be_visible()
    anticoagulant_drug.fill("warfarin")
    page.get_by_label("Latest INR").fill("12")  # a typo first
    page.get_by_label("INR measured on").fill((today - dt.timedelta(days=5)).isoformat())
    answer(page, "Any recent abnormal bleeding?", "No")

    # Devices: the region and side pickers work from the keyboard.
    device_question = (
        "Does the patient have an implanted device (pacemaker, ICD, neurostimulator, pump)?"
    )
    device_row = page.get_by_role("group", name="Implanted device 1")
    expect(device_row).to_be_hidden()
    page.get_by_role("group", name=device_question).get_by_label("Yes", exact=True).focus()
    page.keyboard.press("Space")
    expect(device_row).to_be_visible()
    device_row.get_by_label("Kind").focus()
    device_row.get_by_label("Kind").select_option("pacemaker")
    page.keyboard.press("Tab")
    expect(device_row.get_by_label("Region")).to_be_focused()
    device_row.get_by_label("Region").select_option("chest")
    page.keyboard.press("Tab")
    expect(device_row.get_by_label("Side")).to_be_focused()
    device_row.get_by_label("Side").select_option("left")

    # A recent shoulder operation, and a second list row added with the button.
    answer(
        page,
        "Has the patient had an operation in the last year, or ever a joint replacement?",
        "Yes",
    )
    surgery = page.get_by_role("group", name="Surgery 1")
    surgery.get_by_label("Date of surgery").fill((today - dt.timedelta(days=30)).isoformat())
    surgery.get_by_label("Region").select_option("shoulder")
    surgery.get_by_label("Side").select_option("right")
    page.get_by_role("button", name="Add another surgery").click()
    second = page.get_by_role("group", name="Surgery 2")
    expect(second.get_by_label("Date of surgery")).to_be_focused()
    second.get_by_label("Date of surgery").fill("2019-05-01")
    second.get_by_label("Region").select_option("hip")
    second.get_by_label("Side").select_option("left")
    second.get_by_label("It was a joint replacement").check()

    page.get_by_role("button", name="Save screening").click()
    # Refused field by field: nothing saved, the INR named.
    expect(page.get_by_text("Nothing was saved")).to_be_visible()
    expect(page.get_by_text("Enter an INR between 0.5 and 10.")).to_be_visible()
    assert not ScreeningQuestionnaire.objects.exists()
    # The answers given are kept, and the follow-ups that had a yes stay open.
    expect(page.get_by_label("Which drug?")).to_have_value("warfarin")
    page.get_by_label("Latest INR").fill("2.4")
    page.get_by_role("button", name="Save screening").click()
    expect(page.get_by_text("saved")).to_be_visible()
    expect(page.locator("#screening-status")).to_contain_text("Current")
    questionnaire = ScreeningQuestionnaire.objects.get()
    assert questionnaire.taken_by == front_desk
    assert questionnaire.implanted_devices.get().kind == "pacemaker"
    assert questionnaire.surgeries.count() == 2

    # The consent, then its PDF copy.
    page.get_by_role("link", name="Record consent").click()
    expect(page.get_by_text("Dry needling is not acupuncture.")).to_be_visible()
    expect(page.get_by_label("Relationship to the patient")).to_be_hidden()
    page.get_by_label("The patient", exact=True).check()
    page.get_by_label("Full name, typed by the signer").fill("Zoë Whitaker")
    page.get_by_label("The signer read this consent").check()
    page.get_by_role("button", name="Record consent").click()
    expect(page.locator("#consent-status")).to_contain_text("Valid")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF copy").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    consent = Consent.objects.get()
    assert consent.witness == front_desk
    # Front desk sees the status, never the clinical record.
    expect(page.get_by_role("heading", name="Alerts")).to_have_count(0)
    expect(page.get_by_role("heading", name="Conditions")).to_have_count(0)

    # A therapist opens the complete record.
    page.get_by_role("button", name="Log out").click()
    page = login("thera")
    page.goto(Patient.objects.get().get_absolute_url())
    alerts = page.get_by_role("heading", name="Alerts")
    expect(alerts).to_be_visible()
    expect(page.get_by_text("Anticoagulant: warfarin, INR 2.4 on")).to_be_visible()
    expect(page.get_by_text("Implanted device: Pacemaker (Chest, left).")).to_be_visible()
    expect(page.get_by_text("Surgery: Shoulder, right")).to_be_visible()
    expect(page.get_by_text("Joint replacement: Hip, left")).to_be_visible()
    expect(page.get_by_role("heading", name="Conditions")).to_be_visible()
    expect(page.locator("#consent-status")).to_contain_text("Valid")

    # The therapist adds a condition, a pain map and a baseline.
    page.get_by_role("link", name="Add condition").click()
    page.get_by_label("Words or the start of a code").fill("cervicalgia")
    page.get_by_role("button", name="M54.2 Cervicalgia").click()
    expect(page.get_by_label("ICD-10-CM code")).to_have_value("M54.2")
    page.get_by_label("Chronic").check()
    page.get_by_role("button", name="Add condition").click()
    expect(page.get_by_role("cell", name="Cervicalgia")).to_be_visible()

    page.get_by_role("link", name="Record pain map").click()
    page.locator('.body-chart [data-field="id_pain_posterior_neck__left"]').click()
    neck = page.get_by_label("Back of the neck, left")
    expect(neck).to_be_focused()
    expect(neck).to_have_value("5")
    neck.fill("7")
    page.get_by_role("button", name="Save pain map").click()
    expect(page.get_by_text("Back of the neck (left): 7/10")).to_be_visible()

    page.get_by_role("link", name="Add outcome measure").click()
    page.get_by_label("Measure").select_option("ndi")
    page.get_by_label("Score").fill("18")
    page.get_by_role("button", name="Record outcome").click()
    expect(
        page.get_by_role("cell", name="NDI (neck disability index, 0-50 points) Baseline")
    ).to_be_visible()


def test_bad_registration_input_is_named_in_the_browser(login, front_desk):
    page = login("desk")
    page.goto("/patients/register/")
    page.get_by_label("First name").fill("No")
    page.get_by_label("Last name").fill("Digits")
    page.get_by_label("Date of birth").fill("2090-01-01")
    page.get_by_label("Phone").fill("call me")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("The date of birth cannot be in the future.")).to_be_visible()
    expect(page.get_by_text("Enter a phone number with digits.")).to_be_visible()
    assert not Patient.objects.exists()
