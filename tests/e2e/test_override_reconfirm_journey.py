"""A patient re-screened since the plan's override: the therapist sees the session refused,
confirms the earlier override again on today's screening, and opens the session."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from clinic.booking.times import local_today
from needling.plans.models import PlanOverride
from needling.sessions.models import SessionRecord
from tests.factories import ScreeningFactory
from tests.sessions.helpers import approved_plan, dn_appointment, ready_patient

pytestmark = pytest.mark.django_db(transaction=True)

REASON = "Controlled epilepsy for years; needling lying down with a colleague present."


@pytest.fixture
def rescreened_visit(shipped_data, therapist, location):
    """An approved plan whose epilepsy override was made on last week's screening, a new
    screening today, and a DN visit today."""
    day = local_today(location.zone)
    patient = ready_patient(
        therapist=therapist,
        on=day - dt.timedelta(days=7),
        first_name="Ines",
        last_name="Moreau",
    )
    patient.questionnaires.update(epilepsy="controlled")
    plan = approved_plan(
        therapist=therapist,
        patient=patient,
        location=location,
        on=day,
        overrides=(("epilepsy", REASON),),
    )
    ScreeningFactory(patient=patient, taken_on=day, taken_by=therapist, epilepsy="controlled")
    dn_appointment(therapist=therapist, patient=patient, location=location)
    return plan


def test_a_therapist_confirms_an_earlier_override_before_the_session(login, rescreened_visit):
    page = login("thera")
    page.get_by_role("link", name=re.compile(r"12:00")).first.click()
    page.get_by_role("link", name="Start DN session").click()

    pending = page.get_by_role("region", name="Overrides to confirm again")
    expect(pending).to_contain_text(REASON)
    page.get_by_label("Use the questionnaire the patient completed today").check()
    page.get_by_role("button", name="Screen and open the session").click()
    expect(page.locator("#start-errors")).to_contain_text("confirm it again")
    assert not SessionRecord.objects.exists()

    pending.get_by_role("button", name="Confirm the override again for epilepsy").click()
    expect(page.get_by_role("status").first).to_contain_text("confirmed on the current screening")
    expect(page.get_by_role("region", name="Overrides to confirm again")).to_have_count(0)
    page.get_by_label("Use the questionnaire the patient completed today").check()
    page.get_by_role("button", name="Screen and open the session").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DN session note for")

    again = PlanOverride.objects.order_by("recorded_at").last()
    assert (again.rule, again.reason, again.confirms_id is not None) == ("epilepsy", REASON, True)
    assert SessionRecord.objects.get().rescreen["decision"] == "clear"
