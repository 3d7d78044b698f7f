"""A consent can be withdrawn (dated, by whom, why), after a confirmation page; audited."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from patients.consent_services import consent_withdraw
from patients.models import Consent
from patients.readiness import dn_readiness
from tests.factories import ConsentFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def consent():
    return ConsentFactory(
        patient=PatientFactory(), signed_on=timezone.localdate() - dt.timedelta(days=30)
    )


def test_a_withdrawal_is_recorded_with_date_user_and_reason_and_audited(consent, front_desk):
    today = timezone.localdate()
    consent_withdraw(consent=consent, user=front_desk, withdrawn_on=today, reason="  Changed mind ")
    consent.refresh_from_db()
    assert (consent.withdrawn_on, consent.withdrawn_by, consent.withdrawal_reason) == (
        today,
        front_desk,
        "Changed mind",
    )
    assert consent.withdrawal_recorded_at is not None
    entry = LogEntry.objects.get_for_object(consent).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor in (None, front_desk)  # the actor is set from the request in views
    assert "withdrawn_on" in entry.changes_dict
    assert dn_readiness(consent.patient, on=today).consent_status == "missing"


def test_a_consent_is_withdrawn_once(consent, front_desk):
    today = timezone.localdate()
    consent_withdraw(consent=consent, user=front_desk, withdrawn_on=today, reason="No")
    with pytest.raises(ValidationError, match="already withdrawn"):
        consent_withdraw(consent=consent, user=front_desk, withdrawn_on=today, reason="Again")


@pytest.mark.parametrize(
    ("days", "reason", "field"),
    [
        (1, "Fine", "withdrawn_on"),  # tomorrow
        (-31, "Fine", "withdrawn_on"),  # before it was signed
        (0, "   ", "reason"),
    ],
)
def test_bad_withdrawals_name_the_field_and_change_nothing(
    consent, front_desk, days, reason, field
):
    with pytest.raises(ValidationError) as error:
        consent_withdraw(
            consent=consent,
            user=front_desk,
            withdrawn_on=timezone.localdate() + dt.timedelta(days=days),
            reason=reason,
        )
    assert field in error.value.message_dict
    assert Consent.objects.get(pk=consent.pk).withdrawn_on is None


def test_the_database_refuses_half_a_withdrawal(consent):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.filter(pk=consent.pk).update(withdrawn_on=timezone.localdate())


def url(consent):
    return reverse(
        "patients:consent_withdraw", kwargs={"pk": consent.patient_id, "consent_pk": consent.pk}
    )


def test_the_page_asks_for_confirmation_before_withdrawing(front_desk_client, consent):
    response = front_desk_client.get(url(consent))
    assert response.status_code == 200
    assert b"Withdraw this consent?" in response.content
    assert b"This cannot be undone" in response.content
    assert Consent.objects.get(pk=consent.pk).withdrawn_on is None


def test_withdrawing_in_the_browser_form(front_desk_client, front_desk, consent):
    today = timezone.localdate()
    response = front_desk_client.post(
        url(consent), {"withdrawn_on": today.isoformat(), "reason": "Pregnant now"}
    )
    assert response.status_code == 302
    assert response["Location"] == consent.patient.get_absolute_url()
    consent.refresh_from_db()
    assert consent.withdrawn_by == front_desk
    entry = LogEntry.objects.get_for_object(consent).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == front_desk
    page = front_desk_client.get(consent.patient.get_absolute_url()).content.decode()
    assert "Withdrawn" in page and "Pregnant now" in page


def test_a_bad_form_gets_field_messages_not_a_500(front_desk_client, consent):
    response = front_desk_client.post(url(consent), {"withdrawn_on": "2999-01-01", "reason": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "cannot be in the future" in html or "Say why" in html
    assert Consent.objects.get(pk=consent.pk).withdrawn_on is None


def test_another_patients_consent_is_404(front_desk_client, consent):
    other = PatientFactory()
    response = front_desk_client.get(
        reverse("patients:consent_withdraw", kwargs={"pk": other.pk, "consent_pk": consent.pk})
    )
    assert response.status_code == 404


def test_the_manager_may_not_withdraw(manager_client, consent):
    assert manager_client.get(url(consent)).status_code == 404
