"""Browser journey at phone size (390x844): the front desk emails an intake link; the patient
opens it from the email, confirms their date of birth, answers the screening questionnaire
section by section (surviving a dropped connection) and signs the consent; the front desk
reviews the answers, sees what changed and accepts them; a DN plan then screens on them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from needling.knowledge.models import Muscle
from needling.plans import services as plan_services
from needling.plans.screening import screen_plan
from patients.intake.models import Intake
from patients.models import Consent, ScreeningQuestionnaire
from tests.factories import ConditionFactory, PatientFactory, ScreeningFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
LINK = re.compile(r"(https?://\S+/intake/p/[A-Za-z0-9_\-]+/)")


def answer(page, question: str, value: str) -> None:
    page.get_by_role("group", name=question).get_by_label(value, exact=True).check()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def phone_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


def test_a_patient_fills_in_the_intake_on_a_phone_and_the_front_desk_accepts_it(
    browser, live_server, page, login, front_desk, therapist
):
    # The first page of a run (live server start, static files) can take over the harness's
    # 10 s on a loaded machine.
    page.set_default_navigation_timeout(30_000)
    today = timezone.localdate()
    patient = PatientFactory(
        first_name="Nadia",
        last_name="Rahman",
        email="nadia@example.test",
        date_of_birth=dt.date(1980, 5, 17),
    )
    ScreeningFactory(patient=patient, taken_on=today - dt.timedelta(days=200))

    # The front desk sends the link from the patient page.
    desk = login("desk")
    desk.goto(patient.get_absolute_url())
    desk.get_by_role("link", name="Send intake link").click()
    desk.get_by_label("Email to nadia@example.test").check()
    desk.get_by_role("button", name="Send the link").click()
    expect(desk.get_by_role("status").filter(has_text="Intake link sent")).to_be_visible()
    url = LINK.search(mail.outbox[-1].body).group(1)

    # The patient, on a phone, opens the emailed link.
    context, page = phone_page(browser, live_server)
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("health questions")
    expect(page.get_by_text("Nadia")).to_have_count(0)  # nothing shown before the check
    page.get_by_label("Your date of birth").fill("1980-05-17")
    page.keyboard.press("Enter")  # the keyboard submits the form

    # Taking part: answered with the keyboard alone.
    expect(page.get_by_role("heading", level=1)).to_have_text("Taking part")
    assert fits_the_screen(page)
    for question, value in (
        ("Is the patient afraid of needles?", "No"),
        ("Is the patient willing to go ahead with dry needling?", "Yes"),
        ("Can the patient give informed consent?", "Yes"),
    ):
        page.get_by_role("group", name=question).get_by_label(value, exact=True).focus()
        page.keyboard.press("Space")
    page.get_by_role("button", name="Save and continue").click()

    # General health: a missing answer is a field message, and nothing typed is lost.
    expect(page.get_by_role("heading", level=1)).to_have_text("General health")
    for question in (
        "Is the patient acutely or unstably ill today?",
        "Is the patient's immune system weakened?",
        "Does the patient have epilepsy?",
        "Does the patient have diabetes?",
        "Peripheral vascular disease, or ever a deep vein thrombosis (DVT)?",
        "Heart valve disease or a prosthetic heart valve?",
        "Has the patient ever had cancer?",
    ):
        answer(page, question, "No")
    answer(page, "Is the patient allergic to nickel or chromium?", "Yes")
    page.get_by_role("button", name="Save and continue").click()
    lung = page.get_by_role(
        "group", name="COPD or emphysema, very low body weight, or marked kyphosis?"
    )
    expect(lung.get_by_text("Answer yes or no.")).to_be_visible()
    assert fits_the_screen(page)
    expect(
        page.get_by_role(
            "group", name="Is the patient allergic to nickel or chromium?"
        ).get_by_label("Yes", exact=True)
    ).to_be_checked()
    lung.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bleeding and blood thinners")

    # The connection drops: a new browser opens the link again and carries on where it was.
    context.close()
    context, page = phone_page(browser, live_server)
    page.goto(url)
    page.get_by_label("Your date of birth").fill("1980-05-17")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bleeding and blood thinners")
    page.get_by_role("button", name="Save and go back").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("General health")
    expect(
        page.get_by_role(
            "group", name="Is the patient allergic to nickel or chromium?"
        ).get_by_label("Yes", exact=True)
    ).to_be_checked()
    page.get_by_role("button", name="Save and continue").click()

    answer(page, "A bleeding disorder or low platelets?", "No")
    answer(page, "Does the patient take a blood thinner (anticoagulant or antiplatelet)?", "No")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pregnancy")
    answer(page, "Is the patient pregnant?", "No")
    page.get_by_role("button", name="Save and continue").click()

    # Body locations: an inflamed left shoulder.
    expect(page.get_by_role("heading", level=1)).to_have_text("Body locations")
    for question in (
        "Does the patient have an implanted device (pacemaker, ICD, neurostimulator, pump)?",
        "Does the patient have an active tumor?",
        "Is there lymphedema in an arm or a leg?",
        "Has the patient had an operation in the last year, or ever a joint replacement?",
        "Does the patient have varicose veins?",
    ):
        answer(page, question, "No")
    answer(page, "Is there an infection, open wound or inflamed skin anywhere?", "Yes")
    row = page.get_by_role("group", name="Infection or wound 1")
    expect(row).to_be_visible()
    row.get_by_label("Region").select_option("shoulder")
    row.get_by_label("Side").select_option("left")
    assert fits_the_screen(page)
    page.get_by_role("button", name="Save and continue").click()

    # The consent text and a typed-name signature.
    expect(page.get_by_role("heading", level=1)).to_have_text("Consent")
    expect(page.locator(".consent-text")).to_contain_text("needle")
    page.get_by_role("button", name="Sign and send to the clinic").click()
    expect(page.get_by_text("Type your full name: it is your signature.")).to_be_visible()
    page.get_by_label("The patient", exact=True).check()
    page.get_by_label("Full name of the person signing").fill("Nadia Rahman")
    page.get_by_label("I have read the consent above and agree to dry needling.").check()
    assert fits_the_screen(page)
    page.get_by_role("button", name="Sign and send to the clinic").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    context.close()

    # Nothing is on the record yet: a pending intake, reported by the patient.
    intake = Intake.objects.get(patient=patient)
    assert intake.status == "pending" and intake.source == "patient"
    assert ScreeningQuestionnaire.objects.filter(patient=patient).count() == 1  # the old one
    assert not Consent.objects.filter(patient=patient).exists()

    # The front desk reviews it: the changes are marked; accept.
    desk.get_by_role("link", name="Intakes").click()
    desk.get_by_role("link", name="Review intake of Nadia Rahman").click()
    changed = desk.locator("tr[data-changed=true]")
    expect(changed).to_have_count(2)
    expect(changed.nth(0)).to_contain_text("nickel or chromium")
    expect(changed.nth(1)).to_contain_text("Shoulder, Left")
    desk.get_by_role("button", name="Accept intake").click()
    expect(desk.get_by_role("status").filter(has_text="Intake accepted")).to_be_visible()

    intake.refresh_from_db()
    assert intake.status == "accepted" and intake.reviewed_by == front_desk
    current = intake.questionnaire
    assert current.taken_by == front_desk and current.taken_on == today
    assert intake.consent.signed_name == "Nadia Rahman"

    # A plan for her left deltoid screens on what she reported.
    plan = plan_services.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient),
        planned_date=today,
    )
    plan_services.plan_site_add(
        plan=plan, user=therapist, muscle=Muscle.objects.get(code="deltoid"), side="left"
    )
    screening = screen_plan(plan)
    assert screening.screening_id == current.pk
    rules = {finding.rule for finding in screening.result.findings}
    assert {"local_infection", "metal_allergy"} <= rules
    assert not rules & {"consent_missing", "screening_stale"}
