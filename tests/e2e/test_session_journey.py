"""A therapist opens a DN visit from today's appointment, records it, meets the needle count
gate, signs it, and sees the visit on the patient's outcome chart."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from clinic.booking.times import local_today
from needling.sessions.models import SessionAccessLog, SessionRecord
from patients.services import outcome_record
from tests.sessions.helpers import approved_plan, dn_appointment, ready_patient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }


@pytest.fixture
def todays_visit(shipped_data, private_storage, therapist, location):
    """A demo-like patient (tennis elbow) with an approved plan and a DN visit today."""
    day = local_today(location.zone)
    patient = ready_patient(therapist=therapist, on=day, first_name="Lucía", last_name="Fernández")
    outcome_record(patient=patient, measure="nprs", score=8, taken_on=day, recorded_by=therapist)
    approved_plan(
        therapist=therapist,
        patient=patient,
        location=location,
        on=day,
        sites=(("supinator", "right"), ("extensor_carpi_radialis", "right")),
    )
    return dn_appointment(therapist=therapist, patient=patient, location=location)


def test_a_therapist_logs_and_signs_a_visit_and_the_chart_shows_it(login, todays_visit):
    page = login("thera")
    page.get_by_role("link", name=re.compile(r"12:00")).first.click()
    page.get_by_role("link", name="Start DN session").click()
    page.get_by_label("The patient confirms the screening answers are unchanged").check()
    page.get_by_role("button", name="Screen and open the session").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DN session note for")
    expect(page.get_by_test_id("cpt-code")).to_have_text("20560")

    page.get_by_label("NPRS before (0-10)").fill("7")
    page.get_by_label("NPRS after (0-10)").fill("3")
    page.get_by_label("Needles opened").fill("4")
    page.get_by_label("Needles disposed").fill("3")
    page.get_by_role("button", name="Save and review for signing").click()
    page.get_by_role("button", name="Sign and lock the note").click()
    expect(page.get_by_role("alert")).to_contain_text("describe the incident")
    assert SessionRecord.objects.get().status == "draft"

    page.get_by_role("link", name="Back to the draft").click()
    page.get_by_label("Needles disposed").fill("4")
    page.get_by_role("button", name="Save and review for signing").click()
    page.get_by_role("button", name="Sign and lock the note").click()
    expect(page.get_by_text("The note is signed and locked.")).to_be_visible()
    session = SessionRecord.objects.get()
    assert session.status == "signed" and session.cpt_code == "20560"

    page.get_by_role("link", name="Lucía Fernández").first.click()
    chart = page.get_by_role("img", name=re.compile("NPRS over time"))
    expect(chart).to_be_visible()
    points = page.evaluate(
        "() => Chart.getChart(document.querySelector('canvas[id^=outcomes-chart]'))"
        ".data.datasets.map(d => [d.label, d.data.map(p => p.y)])"
    )
    by_label = dict(points)
    assert by_label["NPRS before session"] == [7]
    assert by_label["NPRS after session"] == [3]
    assert by_label["NPRS baseline"][0] == 8
    sessions = page.get_by_role("table", name="DN sessions", exact=True)
    expect(sessions).to_contain_text("Supinator")
    expect(sessions).to_contain_text("Signed")
    assert SessionAccessLog.objects.filter(session=session).count() >= 4
