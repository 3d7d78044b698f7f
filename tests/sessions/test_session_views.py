"""Session pages: the visit from its appointment, access rules and 404s, the access log,
query counts, the home page reminder, the read-only admin and bad input."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.staff.roles import Role
from needling.sessions.models import SessionAccessLog, SessionRecord
from tests.factories import LocationFactory, ScreeningFactory, UserFactory
from tests.hypothesis_profiles import examples
from tests.sessions.helpers import (
    approved_plan,
    complete_and_sign,
    dn_appointment,
    opened_session,
    ready_patient,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 10)


def _edit_data(session, **overrides):
    data = {
        "started_at": "12:05",
        "ended_at": "12:35",
        "nprs_before": "7",
        "nprs_after": "4",
        "patient_response": "Less tight after treatment.",
        "tolerance": "good",
        "complementary": ["stretching"],
        "needles_opened": "2",
        "needles_disposed": "2",
        "needle_incident_note": "",
    }
    for site in session.sites.all():
        prefix = f"site-{site.pk}"
        data.update(
            {
                f"{prefix}-needled": "on",
                f"{prefix}-needle_gauge": "0.25",
                f"{prefix}-needle_length_mm": "30",
                f"{prefix}-needles": "2",
                f"{prefix}-insertions": "6",
                f"{prefix}-technique": "pistoning",
                f"{prefix}-twitch_response": "on",
                f"{prefix}-depth_mm": "20",
            }
        )
    data.update(overrides)
    return data


def test_a_therapist_logs_and_signs_a_visit_from_the_appointment(
    therapist, therapist_client, location
):
    patient = ready_patient(therapist=therapist, on=TODAY)
    approved_plan(therapist=therapist, patient=patient, location=location, on=TODAY)
    appointment = dn_appointment(therapist=therapist, patient=patient, location=location)
    page = therapist_client.get(appointment.get_absolute_url())
    start_url = reverse("needling:session_start", args=[appointment.pk])
    assert start_url in page.content.decode()
    form = therapist_client.get(start_url)
    assert form.status_code == 200
    plan_value = form.context["form"].fields["plan"].choices[0][0]
    response = therapist_client.post(start_url, {"plan": plan_value, "same_day": "unchanged"})
    session = SessionRecord.objects.get()
    assert response.url == reverse("needling:session_edit", args=[session.pk])
    edit_url = response.url
    response = therapist_client.post(edit_url, {**_edit_data(session), "sign": "1"})
    assert response.url == reverse("needling:session_sign", args=[session.pk])
    site = session.sites.get()
    assert (site.needles, site.insertions, site.technique, site.twitch_response) == (
        2,
        6,
        "pistoning",
        True,
    )
    response = therapist_client.post(response.url)
    assert response.url == session.get_absolute_url()
    session.refresh_from_db()
    assert session.status == "signed" and session.nprs_after == 4
    assert session.started_at.astimezone(location.zone).time() == dt.time(12, 5)
    detail = therapist_client.get(session.get_absolute_url())
    assert "Signed" in detail.content.decode()
    # A signed note is no longer editable: the draft pages are gone.
    assert therapist_client.get(edit_url).status_code == 404
    assert (
        therapist_client.post(reverse("needling:session_sign", args=[session.pk])).status_code
        == 404
    )
    assert SessionAccessLog.objects.filter(session=session, user=therapist).count() >= 3


def test_without_an_approved_plan_the_therapist_is_sent_to_create_one(
    therapist, therapist_client, location
):
    patient = ready_patient(therapist=therapist, on=TODAY)
    appointment = dn_appointment(therapist=therapist, patient=patient, location=location)
    page = therapist_client.get(reverse("needling:session_start", args=[appointment.pk]))
    assert reverse("needling:plan_new", args=[patient.pk]) in page.content.decode()


def test_a_blocking_rescreen_shows_the_reason_and_saves_nothing(
    therapist, therapist_client, location
):
    patient = ready_patient(therapist=therapist, on=dt.date(2026, 3, 2))
    approved_plan(therapist=therapist, patient=patient, location=location, on=TODAY)
    appointment = dn_appointment(therapist=therapist, patient=patient, location=location)
    ScreeningFactory(patient=patient, taken_on=TODAY, willing_to_proceed=False)
    url = reverse("needling:session_start", args=[appointment.pk])
    plan_value = therapist_client.get(url).context["form"].fields["plan"].choices[0][0]
    response = therapist_client.post(url, {"plan": plan_value, "same_day": "today"})
    assert response.status_code == 200
    assert "cannot proceed" in response.content.decode()
    assert not SessionRecord.objects.exists()


def test_a_needle_mismatch_without_a_note_is_refused_on_the_sign_page(
    therapist, therapist_client, location
):
    session = opened_session(therapist=therapist, location=location)
    therapist_client.post(
        reverse("needling:session_edit", args=[session.pk]),
        _edit_data(session, needles_disposed="1"),
    )
    response = therapist_client.post(reverse("needling:session_sign", args=[session.pk]))
    assert response.status_code == 400
    assert "describe the incident" in response.content.decode()
    assert SessionRecord.objects.get().status == "draft"


def test_dropping_a_site_in_the_form(therapist, therapist_client, location):
    session = opened_session(
        therapist=therapist, location=location, sites=(("deltoid", "left"), ("teres_minor", "left"))
    )
    data = _edit_data(session)
    dropped = session.sites.get(muscle__code="teres_minor")
    del data[f"site-{dropped.pk}-needled"]
    therapist_client.post(reverse("needling:session_edit", args=[session.pk]), data)
    assert [s.muscle.code for s in session.sites.all()] == ["deltoid"]


def test_front_desk_sees_only_that_a_visit_happened(
    therapist, front_desk_client, location, manager_client
):
    signed = complete_and_sign(opened_session(therapist=therapist, location=location), therapist)
    assert front_desk_client.get(signed.get_absolute_url()).status_code == 404
    outcomes = reverse("needling:patient_outcomes", args=[signed.patient_id])
    assert front_desk_client.get(outcomes).status_code == 404
    page = front_desk_client.get(signed.appointment.get_absolute_url()).content.decode()
    assert "Visit logged" in page
    assert signed.get_absolute_url() not in page
    assert "NPRS" not in page
    manager_page = manager_client.get(signed.appointment.get_absolute_url()).content.decode()
    assert signed.get_absolute_url() in manager_page


def test_managers_read_every_note_and_each_read_is_logged(
    therapist, location, manager, manager_client
):
    signed = complete_and_sign(opened_session(therapist=therapist, location=location), therapist)
    before = SessionAccessLog.objects.filter(user=manager).count()
    response = manager_client.get(signed.get_absolute_url())
    assert response.status_code == 200
    assert "Deltoid" in response.content.decode()
    assert SessionAccessLog.objects.filter(user=manager, session=signed).count() == before + 1
    # Managers read; they do not write.
    assert manager_client.post(signed.get_absolute_url(), {"text": "x"}).status_code == 403


def test_notes_outside_what_a_therapist_may_see_are_404(therapist, location, client):
    signed = complete_and_sign(opened_session(therapist=therapist, location=location), therapist)
    elsewhere = UserFactory(username="far", role=Role.THERAPIST)
    elsewhere.locations.add(LocationFactory(name="Elsewhere"))
    client.force_login(elsewhere)
    assert client.get(signed.get_absolute_url()).status_code == 404
    colleague = UserFactory(username="near", role=Role.THERAPIST)
    colleague.locations.add(location)
    client.force_login(colleague)
    assert client.get(signed.get_absolute_url()).status_code == 200
    draft = opened_session(therapist=therapist, location=location)
    assert client.get(reverse("needling:session_edit", args=[draft.pk])).status_code == 404
    assert client.post(reverse("needling:session_sign", args=[draft.pk])).status_code == 404
    missing = uuid.uuid4()
    for name in ("session_detail", "session_edit", "session_sign"):
        assert client.get(reverse(f"needling:{name}", args=[missing])).status_code == 404


def test_only_the_appointments_therapist_starts_its_session(therapist, location, client):
    patient = ready_patient(therapist=therapist, on=TODAY)
    appointment = dn_appointment(therapist=therapist, patient=patient, location=location)
    colleague = UserFactory(username="near", role=Role.THERAPIST)
    colleague.locations.add(location)
    client.force_login(colleague)
    # Another therapist's appointment is not theirs to see.
    assert client.get(reverse("needling:session_start", args=[appointment.pk])).status_code == 404


def test_addenda_show_beneath_the_signed_note(therapist, therapist_client, location):
    signed = complete_and_sign(opened_session(therapist=therapist, location=location), therapist)
    response = therapist_client.post(signed.get_absolute_url(), {"text": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    therapist_client.post(signed.get_absolute_url(), {"text": "Soreness settled by evening."})
    page = therapist_client.get(signed.get_absolute_url()).content.decode()
    assert page.index("Deltoid") < page.index("Soreness settled by evening.")


def test_the_flag_list_in_a_fixed_number_of_queries(
    therapist, location, manager, manager_client, django_assert_num_queries, fixed_day
):
    for _ in range(3):
        opened_session(therapist=therapist, location=location)
    fixed_day.shift(dt.timedelta(hours=25))
    manager_client.force_login(manager)  # the idle timeout logged the manager out
    manager_client.get(reverse("needling:session_flags"))  # warm the session and permissions
    # Queries: session, user, permissions (2: user, group), count, the role's group (nav),
    # page of notes with their joins (the warm-up renewed the session: no save this minute).
    with django_assert_num_queries(7):
        response = manager_client.get(reverse("needling:session_flags"))
    assert response.status_code == 200
    assert response.content.decode().count("Unsigned over 24 h") == 3


def test_the_outcomes_partial_in_a_fixed_number_of_queries(
    therapist, therapist_client, location, django_assert_num_queries
):
    first = opened_session(therapist=therapist, location=location)
    complete_and_sign(first, therapist)
    url = reverse("needling:patient_outcomes", args=[first.patient_id])
    therapist_client.get(url)
    # Queries: session, user, permissions (2), patient, notes (the visibility filter is a
    # subquery), their sites with muscles, the access log insert (one for all notes), outcome
    # measures (the warm-up renewed the session: no save this minute).
    with django_assert_num_queries(9):
        response = therapist_client.get(url)
    body = response.content.decode()
    assert "outcomes-data" in body and "Deltoid" in body
    assert SessionAccessLog.objects.filter(session=first).count() >= 2


def test_the_home_page_lists_unsigned_notes_older_than_a_day(
    therapist, therapist_client, location, fixed_day
):
    session = opened_session(therapist=therapist, location=location)
    assert "Unsigned session notes" not in therapist_client.get(reverse("home")).content.decode()
    fixed_day.shift(dt.timedelta(hours=25))
    therapist_client.force_login(therapist)  # the idle timeout logged the therapist out
    page = therapist_client.get(reverse("home")).content.decode()
    assert "Unsigned session notes" in page
    assert reverse("needling:session_edit", args=[session.pk]) in page


def test_the_admin_is_read_only():
    request = RequestFactory().get("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    for model_admin in admin_site._registry.values():
        if model_admin.model.__name__ in ("SessionRecord", "SessionAccessLog"):
            assert not model_admin.has_add_permission(request)
            assert not model_admin.has_change_permission(request)
            assert not model_admin.has_delete_permission(request)
            for inline in model_admin.get_inline_instances(request):
                assert not inline.has_change_permission(request)


text = st.text(max_size=40)


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "started_at": text,
            "ended_at": text,
            "nprs_before": text | st.integers().map(str),
            "nprs_after": text | st.integers().map(str),
            "tolerance": text,
            "complementary": text,
            "needles_opened": text | st.integers().map(str),
            "needles_disposed": text | st.integers().map(str),
            "needle_incident_note": text,
            "site-needles": text | st.integers().map(str),
            "site-technique": st.sampled_from(["static", "estim", "fanning", "x", ""]),
            "site-frequency_hz": text | st.integers().map(str),
            "site-minutes": text | st.integers().map(str),
            "site-depth_mm": text | st.integers().map(str),
            "site-needle_length_mm": text,
        },
    )
)
def test_bad_input_to_the_session_form_never_500s(therapist_client, draft_for_hypothesis, data):
    session = draft_for_hypothesis
    prefix = f"site-{session.sites.get().pk}"
    posted = {key.replace("site-", f"{prefix}-"): value for key, value in data.items()}
    response = therapist_client.post(reverse("needling:session_edit", args=[session.pk]), posted)
    assert response.status_code in (200, 302)
    session.refresh_from_db()
    assert session.status == "draft"
    assert session.nprs_before is None or 0 <= session.nprs_before <= 10


@pytest.fixture
def draft_for_hypothesis(therapist, location):
    return opened_session(therapist=therapist, location=location)
