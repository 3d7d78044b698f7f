"""Field errors are tied to their fields (aria-invalid, aria-describedby)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_missing_yes_no_answer_is_tied_to_its_question_by_aria(front_desk_client):
    from tests.factories import PatientFactory

    patient = PatientFactory()
    response = front_desk_client.post(
        reverse("patients:screening_new", kwargs={"pk": patient.pk}), {}
    )
    html = response.content.decode()
    assert response.status_code == 400
    # Each unanswered radio is invalid and described by its question's message.
    assert 'aria-invalid="true" aria-describedby="id_needle_phobia_error"' in html
    assert 'id="id_needle_phobia_error"' in html
