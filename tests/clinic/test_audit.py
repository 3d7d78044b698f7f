"""Changes to clinic records are kept with who, when, and the before and after values."""

from auditlog.models import LogEntry
from django.urls import reverse

from clinic.staff.models import Location


def test_editing_a_location_is_audited_with_the_actor_and_the_change(manager_client, manager):
    location = Location.objects.create(name="Sausalito", address="1 Bridgeway", phone="415")
    manager_client.post(
        reverse("location_edit", args=[location.pk]),
        {
            "name": "Sausalito Marina",
            "address": "1 Bridgeway",
            "phone": "415",
            "time_zone": "America/Los_Angeles",
            "is_active": "on",
        },
    )
    entry = LogEntry.objects.get_for_object(location).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == manager
    assert entry.changes_dict["name"] == ["Sausalito", "Sausalito Marina"]


def test_password_hashes_never_reach_the_audit_trail(manager_client, therapist):
    therapist.set_password("a-brand-new-passphrase")
    therapist.save()
    for entry in LogEntry.objects.get_for_object(therapist):
        assert "password" not in entry.changes_dict
