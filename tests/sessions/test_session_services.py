"""Session services: opening after a clear re-screen, the needle count gate, CPT codes,
adverse events, sign-off lock (service, model, PostgreSQL trigger) and addenda."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from needling.knowledge.models import ScreeningSettings
from needling.sessions import services
from needling.sessions.models import AdverseEvent, SessionRecord, SessionSite
from needling.sessions.selectors import flagged_for_manager, unsigned_overdue
from tests.factories import ScreeningFactory
from tests.sessions.helpers import (
    approved_plan,
    complete_and_sign,
    dn_appointment,
    opened_session,
    ready_patient,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 10)


def test_opening_prefills_the_plan_sites_and_stores_the_rescreen(therapist, location):
    session = opened_session(
        therapist=therapist, location=location, sites=(("deltoid", "left"), ("teres_minor", "left"))
    )
    assert session.status == "draft"
    assert session.session_date == TODAY
    assert session.rescreen["decision"] == "clear"
    assert session.screening_confirmed_unchanged is True
    assert session.consent is not None
    sites = list(session.sites.select_related("muscle"))
    assert [(s.muscle.code, s.side) for s in sites] == [
        ("deltoid", "left"),
        ("teres_minor", "left"),
    ]
    assert session.cpt_code == "20560"


def test_a_session_needs_the_same_day_check(therapist, location):
    patient = ready_patient(therapist=therapist, on=TODAY)
    plan = approved_plan(therapist=therapist, patient=patient, location=location, on=TODAY)
    appointment = dn_appointment(therapist=therapist, patient=patient, location=location)
    with pytest.raises(ValidationError) as error:
        services.session_start(
            appointment=appointment, plan=plan, user=therapist, screening_confirmed_unchanged=False
        )
    assert "screening_confirmed_unchanged" in error.value.message_dict
    assert not SessionRecord.objects.exists()


def test_a_new_questionnaire_that_is_no_longer_clear_blocks_the_session(therapist, location):
    patient = ready_patient(therapist=therapist, on=dt.date(2026, 3, 2))
    plan = approved_plan(
        therapist=therapist, patient=patient, location=location, on=dt.date(2026, 3, 10)
    )
    appointment = dn_appointment(therapist=therapist, patient=patient, location=location)
    today = ScreeningFactory(patient=patient, taken_on=TODAY, willing_to_proceed=False)
    with pytest.raises(ValidationError) as error:
        services.session_start(
            appointment=appointment,
            plan=plan,
            user=therapist,
            screening_confirmed_unchanged=False,
            questionnaire=today,
        )
    assert "cannot proceed" in " ".join(error.value.messages)
    assert not SessionRecord.objects.exists()


def test_an_expired_certification_blocks_the_session(therapist, location):
    patient = ready_patient(therapist=therapist, on=TODAY)
    plan = approved_plan(therapist=therapist, patient=patient, location=location, on=TODAY)
    appointment = dn_appointment(therapist=therapist, patient=patient, location=location)
    therapist.dn_certifications.update(valid_until=dt.date(2026, 3, 9))
    with pytest.raises(ValidationError) as error:
        services.session_start(
            appointment=appointment, plan=plan, user=therapist, screening_confirmed_unchanged=True
        )
    assert "practitioner_not_certified" in " ".join(error.value.messages)
    assert not SessionRecord.objects.exists()


def test_the_needle_count_must_match_before_signing(therapist, location, manager):
    session = opened_session(therapist=therapist, location=location)
    with pytest.raises(ValidationError) as error:
        complete_and_sign(session, therapist, opened=3, disposed=2)
    assert "needle_incident_note" in error.value.message_dict
    assert SessionRecord.objects.get().status == "draft"
    assert mail.outbox == []


def test_a_mismatch_with_an_incident_note_signs_and_alerts_the_manager(
    therapist, location, manager, django_capture_on_commit_callbacks
):
    session = opened_session(therapist=therapist, location=location)
    with django_capture_on_commit_callbacks(execute=True):
        signed = complete_and_sign(
            session, therapist, opened=3, disposed=2, note="One needle dropped on the floor."
        )
    assert signed.status == "signed"
    assert signed.needle_mismatch_flagged is True
    assert list(flagged_for_manager()) == [signed]
    assert len(mail.outbox) == 1
    assert manager.email in mail.outbox[0].to
    assert "Needle count mismatch" in mail.outbox[0].subject


def test_matching_counts_sign_without_a_flag(therapist, location):
    signed = complete_and_sign(opened_session(therapist=therapist, location=location), therapist)
    assert signed.status == "signed"
    assert signed.signed_by == therapist
    assert signed.needle_mismatch_flagged is False
    assert signed.cpt_code == "20560"
    assert list(flagged_for_manager()) == []


def test_signing_needs_nprs_and_needles(therapist, location):
    session = opened_session(therapist=therapist, location=location)
    with pytest.raises(ValidationError) as error:
        services.session_sign(session=session, user=therapist)
    assert {"nprs_before", "nprs_after", "needles_opened"} <= set(error.value.message_dict)


@pytest.mark.parametrize(
    ("sites", "twice", "code"),
    [
        ((("deltoid", "left"),), False, "20560"),
        ((("deltoid", "left"), ("teres_minor", "left")), False, "20560"),
        (
            (("deltoid", "left"), ("teres_minor", "left"), ("biceps_brachii", "left")),
            False,
            "20561",
        ),
        ((("deltoid", "left"), ("deltoid", "right"), ("teres_minor", "left")), False, "20560"),
        ((("deltoid", "left"), ("deltoid", "right"), ("teres_minor", "left")), True, "20561"),
        ((("deltoid", "left"), ("deltoid", "right")), True, "20560"),
    ],
)
def test_the_cpt_code_follows_the_distinct_muscles(therapist, location, sites, twice, code):
    ScreeningSettings.objects.update_or_create(pk=1, defaults={"bilateral_counts_twice": twice})
    session = opened_session(therapist=therapist, location=location, sites=sites)
    assert session.cpt_code == code
    assert complete_and_sign(session, therapist).cpt_code == code


def test_dropping_a_site_recounts_the_cpt_code(therapist, location):
    session = opened_session(
        therapist=therapist,
        location=location,
        sites=(("deltoid", "left"), ("teres_minor", "left"), ("biceps_brachii", "left")),
    )
    assert session.cpt_code == "20561"
    services.session_site_remove(
        site=session.sites.get(muscle__code="biceps_brachii"), user=therapist
    )
    session.refresh_from_db()
    assert session.cpt_code == "20560"
    assert session.sites.count() == 2


def test_only_the_treating_practitioner_writes(therapist, location, manager):
    from django.core.exceptions import PermissionDenied

    session = opened_session(therapist=therapist, location=location)
    with pytest.raises(PermissionDenied):
        services.session_update(session=session, user=manager, nprs_before=5)


def test_a_major_adverse_event_alerts_the_manager(
    therapist, location, manager, django_capture_on_commit_callbacks
):
    session = opened_session(therapist=therapist, location=location)
    with django_capture_on_commit_callbacks(execute=True):
        services.adverse_event_add(
            session=session, user=therapist, kind="bruising", severity="mild"
        )
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        event = services.adverse_event_add(
            session=session, user=therapist, kind="pneumothorax", severity="severe", note="ER"
        )
    assert event.is_major is True
    session.refresh_from_db()
    assert session.major_event_flagged is True
    assert session in flagged_for_manager()
    assert len(mail.outbox) == 1 and "Major adverse event" in mail.outbox[0].subject


def test_an_unknown_adverse_event_kind_is_refused(therapist, location):
    session = opened_session(therapist=therapist, location=location)
    with pytest.raises(ValidationError) as error:
        services.adverse_event_add(
            session=session, user=therapist, kind="headache!", severity="mild"
        )
    assert "kind" in error.value.message_dict
    assert not AdverseEvent.objects.exists()


def test_signing_locks_the_record_in_the_services_and_the_models(therapist, location):
    signed = complete_and_sign(opened_session(therapist=therapist, location=location), therapist)
    site = signed.sites.get()
    with pytest.raises(ValidationError):
        services.session_update(session=signed, user=therapist, nprs_after=0)
    with pytest.raises(ValidationError):
        services.session_site_update(site=site, user=therapist, needles=9)
    with pytest.raises(ValidationError):
        services.session_site_remove(site=site, user=therapist)
    with pytest.raises(ValidationError):
        services.adverse_event_add(session=signed, user=therapist, kind="bruising", severity="mild")
    with pytest.raises(ValidationError):
        services.session_sign(session=signed, user=therapist)
    signed.nprs_after = 0
    with pytest.raises(ValidationError):
        signed.save()
    with pytest.raises(ValidationError):
        signed.delete()
    site.needles = 9
    with pytest.raises(ValidationError):
        site.save()
    with pytest.raises(ValidationError):
        site.delete()
    fresh = SessionRecord.objects.get()
    assert fresh.nprs_after == 3 and SessionSite.objects.get().needles == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL only")
def test_postgres_rejects_raw_sql_changes_to_a_signed_record(therapist, location):
    signed = complete_and_sign(opened_session(therapist=therapist, location=location), therapist)
    services.adverse_event_add  # noqa: B018 (events of a signed note are covered below)
    statements = [
        ("UPDATE needling_sessionrecord SET nprs_after = 0 WHERE id = %s", [signed.pk]),
        ("UPDATE needling_sessionrecord SET status = 'draft' WHERE id = %s", [signed.pk]),
        ("DELETE FROM needling_sessionrecord WHERE id = %s", [signed.pk]),
        ("UPDATE needling_sessionsite SET needles = 9 WHERE session_id = %s", [signed.pk]),
        ("DELETE FROM needling_sessionsite WHERE session_id = %s", [signed.pk]),
        (
            "INSERT INTO needling_adverseevent (session_id, kind, severity, is_major, note, "
            "recorded_at) VALUES (%s, 'bruising', 'mild', false, '', now())",
            [signed.pk],
        ),
    ]
    for sql, params in statements:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    fresh = SessionRecord.objects.get()
    assert (fresh.status, fresh.nprs_after) == ("signed", 3)
    assert SessionSite.objects.get().needles == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL only")
def test_postgres_rejects_raw_sql_changes_to_events_of_a_signed_record(therapist, location):
    session = opened_session(therapist=therapist, location=location)
    services.adverse_event_add(session=session, user=therapist, kind="bruising", severity="mild")
    signed = complete_and_sign(session, therapist)
    for sql in (
        "UPDATE needling_adverseevent SET severity = 'severe' WHERE session_id = %s",
        "DELETE FROM needling_adverseevent WHERE session_id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [signed.pk])
    assert AdverseEvent.objects.get().severity == "mild"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL only")
def test_postgres_lets_a_draft_change(therapist, location):
    session = opened_session(therapist=therapist, location=location)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE needling_sessionrecord SET nprs_before = 4 WHERE id = %s", [session.pk]
        )
    assert SessionRecord.objects.get().nprs_before == 4


def test_addenda_go_beneath_a_signed_note_only(therapist, location, manager):
    session = opened_session(therapist=therapist, location=location)
    with pytest.raises(ValidationError):
        services.session_addendum_add(session=session, user=therapist, text="Too early.")
    signed = complete_and_sign(session, therapist)
    with pytest.raises(ValidationError):
        services.session_addendum_add(session=signed, user=therapist, text="   ")
    addendum = services.session_addendum_add(
        session=signed, user=therapist, text="Patient called: soreness settled by evening."
    )
    assert addendum.author == therapist
    with pytest.raises(ValidationError):
        addendum.save()
    assert SessionRecord.objects.get().patient_response == ""


def test_unsigned_notes_older_than_24_hours_are_overdue(therapist, location, fixed_day):
    session = opened_session(therapist=therapist, location=location)
    assert list(unsigned_overdue(practitioner=therapist)) == []
    fixed_day.shift(dt.timedelta(hours=25))
    assert list(unsigned_overdue(practitioner=therapist)) == [session]
    assert session in flagged_for_manager()
