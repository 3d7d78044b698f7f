"""Overrides are bound to the screening they were made on (screening rules v2).

An override lifts its finding only while the plan is judged on the questionnaire it was
recorded on. A newer questionnaire leaves the finding open until a certified practitioner
confirms the override again (one action, the earlier reason, a new row), in the plan editor
or before the session; until then the session does not open and the PDF is not rendered.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from needling.knowledge.models import Muscle
from needling.plans import services
from needling.plans.documents import plan_document_render
from needling.plans.models import DocumentStatus, PlanDocument, PlanOverride
from needling.plans.screening import screen_plan, screen_plan_on
from needling.sessions import services as sessions
from needling.sessions.models import SessionRecord
from tests.factories import ConditionFactory, ConsentFactory, PatientFactory, ScreeningFactory
from tests.sessions.helpers import dn_appointment

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 10)
REASON = "Controlled epilepsy for years; needling lying down with a colleague present."


@pytest.fixture
def patient(therapist):
    """Controlled epilepsy (a relative finding), screened a week ago, consented."""
    patient = PatientFactory(first_name="Ines", last_name="Moreau")
    ScreeningFactory(patient=patient, taken_on=dt.date(2026, 3, 3), epilepsy="controlled")
    ConsentFactory(patient=patient, signed_on=dt.date(2026, 3, 1), witness=therapist)
    return patient


@pytest.fixture
def draft(therapist, patient, location):
    plan = services.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient, recorded_by=therapist),
        planned_date=TODAY,
        location=location,
    )
    services.plan_site_add(
        plan=plan, user=therapist, muscle=Muscle.objects.get(code="deltoid"), side="left"
    )
    return plan


@pytest.fixture
def approved(draft, therapist):
    services.plan_override_record(plan=draft, user=therapist, rule="epilepsy", reason=REASON)
    return services.plan_approve(plan=draft, user=therapist)


def rescreen_today(patient, **answers):
    return ScreeningFactory(patient=patient, taken_on=TODAY, epilepsy="controlled", **answers)


def test_an_override_records_the_screening_it_was_made_on(draft, therapist, patient):
    override = services.plan_override_record(
        plan=draft, user=therapist, rule="epilepsy", reason=REASON
    )
    assert override.screening == patient.questionnaires.get()
    assert screen_plan(draft).decision == "clear"


def test_an_override_of_an_earlier_screening_does_not_carry_over(draft, therapist, patient):
    earlier = services.plan_override_record(
        plan=draft, user=therapist, rule="epilepsy", reason=REASON
    )
    newer = rescreen_today(patient)
    screening = screen_plan(draft)
    assert screening.screening_id == newer.pk
    assert screening.decision == "override_required"
    epilepsy = next(f for f in screening.result.findings if f.rule == "epilepsy")
    assert epilepsy.overridden is False
    assert "overrides" not in screening.case
    assert screening.to_reconfirm == (earlier,)


def test_confirming_again_stores_a_new_row_with_the_earlier_reason(draft, therapist, patient):
    earlier = services.plan_override_record(
        plan=draft, user=therapist, rule="epilepsy", reason=REASON
    )
    newer = rescreen_today(patient)
    again = services.plan_override_reconfirm(plan=draft, user=therapist, rule="epilepsy")
    assert (again.reason, again.confirms, again.screening) == (REASON, earlier, newer)
    assert PlanOverride.objects.filter(plan=draft).count() == 2
    screening = screen_plan(draft)
    assert screening.decision == "clear"
    assert screening.to_reconfirm == ()
    with pytest.raises(ValidationError) as error:
        services.plan_override_reconfirm(plan=draft, user=therapist, rule="epilepsy")
    assert "rule" in error.value.message_dict


def test_only_a_certified_practitioner_confirms_again(draft, therapist, patient, front_desk):
    services.plan_override_record(plan=draft, user=therapist, rule="epilepsy", reason=REASON)
    rescreen_today(patient)
    with pytest.raises(PermissionDenied):
        services.plan_override_reconfirm(plan=draft, user=front_desk, rule="epilepsy")
    assert PlanOverride.objects.count() == 1


def test_a_finding_that_no_longer_fires_needs_no_confirmation(draft, therapist, patient):
    services.plan_override_record(plan=draft, user=therapist, rule="epilepsy", reason=REASON)
    ScreeningFactory(patient=patient, taken_on=TODAY)  # epilepsy no longer recorded
    screening = screen_plan(draft)
    assert screening.decision == "clear"
    assert screening.to_reconfirm == ()


def test_a_session_on_a_newer_screening_waits_for_the_confirmation(
    approved, therapist, patient, location
):
    appointment = dn_appointment(therapist=therapist, patient=patient, location=location)
    today = rescreen_today(patient)
    with pytest.raises(ValidationError) as error:
        sessions.session_start(
            appointment=appointment,
            plan=approved,
            user=therapist,
            screening_confirmed_unchanged=False,
            questionnaire=today,
            on=TODAY,
        )
    assert "confirm it again" in " ".join(error.value.messages)
    assert not SessionRecord.objects.exists()
    pending = sessions.overrides_to_reconfirm(plans=[approved], practitioner=therapist, on=TODAY)
    assert [(plan, o.rule) for plan, o in pending] == [(approved, "epilepsy")]

    services.plan_override_reconfirm(plan=approved, user=therapist, rule="epilepsy", on=TODAY)
    session = sessions.session_start(
        appointment=appointment,
        plan=approved,
        user=therapist,
        screening_confirmed_unchanged=False,
        questionnaire=today,
        on=TODAY,
    )
    assert session.rescreen["decision"] == "clear"
    approved.refresh_from_db()
    assert approved.status == "approved"  # the plan and its snapshot stay as they were


def test_the_pdf_is_refused_on_a_newer_screening_until_confirmed(approved, therapist, patient):
    rescreen_today(patient)
    document = PlanDocument.objects.get(plan=approved)
    PlanDocument.objects.filter(pk=document.pk).update(status=DocumentStatus.PENDING)
    assert plan_document_render(document_id=document.pk) == DocumentStatus.FAILED
    document.refresh_from_db()
    assert "epilepsy" in document.error


def test_the_session_and_the_editor_agree_on_the_binding(approved, therapist, patient):
    rescreen_today(patient)
    on_day = screen_plan_on(approved, practitioner=therapist, on=TODAY)
    as_planned = screen_plan(approved)
    assert on_day.decision == as_planned.decision == "override_required"
    assert on_day.to_reconfirm == as_planned.to_reconfirm


# ---------------------------------------------------------------- the pages


def test_the_editor_offers_the_confirmation_and_the_click_clears_the_plan(
    draft, therapist, patient, therapist_client
):
    services.plan_override_record(plan=draft, user=therapist, rule="epilepsy", reason=REASON)
    rescreen_today(patient)
    html = therapist_client.get(draft.get_absolute_url()).content.decode()
    assert "Made on an earlier screening (2026-03-03)" in html
    assert REASON in html
    assert "Confirm the override again" in html
    url = reverse("needling:plan_override_reconfirm", args=[draft.pk])
    response = therapist_client.post(url, {"rule": "epilepsy"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Confirm the override again" not in response.content.decode()
    assert screen_plan(draft).decision == "clear"


def test_the_session_start_page_confirms_and_comes_back(
    approved, therapist, patient, location, therapist_client
):
    appointment = dn_appointment(therapist=therapist, patient=patient, location=location)
    rescreen_today(patient)
    start = reverse("needling:session_start", args=[appointment.pk])
    html = therapist_client.get(start).content.decode()
    assert "Overrides to confirm again" in html and REASON in html
    refused = therapist_client.post(start, {"plan": str(approved.pk), "same_day": "today"})
    assert refused.status_code == 200
    assert not SessionRecord.objects.exists()
    url = reverse("needling:plan_override_reconfirm", args=[approved.pk])
    response = therapist_client.post(url, {"rule": "epilepsy", "appointment": appointment.pk})
    assert response.status_code == 302 and response.url == start
    assert "Overrides to confirm again" not in therapist_client.get(start).content.decode()
    opened = therapist_client.post(start, {"plan": str(approved.pk), "same_day": "today"})
    assert opened.status_code == 302
    assert SessionRecord.objects.filter(plan=approved).exists()


@pytest.mark.parametrize("appointment", ["x1", "999999"])
def test_a_bad_appointment_is_a_404_not_a_500(approved, therapist_client, appointment):
    url = reverse("needling:plan_override_reconfirm", args=[approved.pk])
    response = therapist_client.post(url, {"rule": "epilepsy", "appointment": appointment})
    assert response.status_code == 404


def test_another_therapists_appointment_is_a_404(
    approved, therapist, patient, location, uncertified_therapist, client
):
    appointment = dn_appointment(
        therapist=uncertified_therapist, patient=patient, location=location
    )
    rescreen_today(patient)
    client.force_login(therapist)
    url = reverse("needling:plan_override_reconfirm", args=[approved.pk])
    response = client.post(url, {"rule": "epilepsy", "appointment": appointment.pk})
    assert response.status_code == 404
    assert PlanOverride.objects.count() == 1


def test_front_desk_cannot_confirm(approved, patient, front_desk_client):
    rescreen_today(patient)
    url = reverse("needling:plan_override_reconfirm", args=[approved.pk])
    assert front_desk_client.post(url, {"rule": "epilepsy"}).status_code == 404
    assert PlanOverride.objects.count() == 1


def test_the_pdf_lists_the_overrides_of_the_screening_it_was_judged_on(
    approved, therapist, patient
):
    from needling.plans.documents import render_plan_html

    rescreen_today(patient)
    again = services.plan_override_reconfirm(plan=approved, user=therapist, rule="epilepsy")
    screening = screen_plan(approved)
    assert screening.is_clear
    html = render_plan_html(approved, screening)
    recorded = html.split("<h2>Overrides recorded</h2>", 1)[1].split("</table>", 1)[0]
    assert recorded.count("<tr><td>epilepsy</td>") == 1  # the confirmation, not the earlier row
    assert html.count(REASON) == 2  # the finding's override and that one row
    assert f"{timezone.localtime(again.recorded_at):%Y-%m-%d %H:%M}" in recorded
