"""Managers keep staff, credentials, locations and rooms in the browser."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from clinic.staff.models import DNCertification, Licence, Location, Room, User
from clinic.staff.roles import Role
from tests.factories import CertificationFactory, LocationFactory, RoomFactory, UserFactory


def staff_post(location, **overrides):
    data = {
        "username": "newbie",
        "first_name": "Nadia",
        "last_name": "Novak",
        "email": "nadia@example.test",
        "phone": "",
        "role": "THERAPIST",
        "locations": [location.pk],
        "password": "a-long-enough-passphrase",
    }
    data.update(overrides)
    return data


def test_a_manager_adds_a_therapist_who_can_then_log_in(manager_client, location):
    response = manager_client.post(reverse("staff_create"), staff_post(location))
    user = User.objects.get(username="newbie")
    assert response.status_code == 302 and response["Location"] == user.get_absolute_url()
    assert user.role is Role.THERAPIST
    assert list(user.locations.all()) == [location]
    assert user.check_password("a-long-enough-passphrase")


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"password": "short"}, "password", "This password is too short."),
        ({"role": "WIZARD"}, "role", "Select a valid choice."),
        ({"locations": []}, "locations", "This field is required."),
        ({"username": "boss"}, "username", "That username is taken."),
        ({"first_name": ""}, "first_name", "This field is required."),
    ],
)
def test_bad_staff_input_names_the_field_and_saves_nothing(
    manager_client, location, override, field, message
):
    before = User.objects.count()
    response = manager_client.post(reverse("staff_create"), staff_post(location, **override))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert User.objects.count() == before


def test_a_manager_changes_a_role_and_deactivates_a_member(manager_client, therapist, location):
    response = manager_client.post(
        reverse("staff_edit", args=[therapist.pk]),
        {
            "first_name": "Theresa",
            "last_name": "Okafor",
            "email": "t@example.test",
            "phone": "555",
            "role": "FRONT_DESK",
            "locations": [location.pk],
            "is_active": "",
        },
    )
    assert response.status_code == 302
    therapist = User.objects.get(pk=therapist.pk)
    assert therapist.role is Role.FRONT_DESK
    assert therapist.is_active is False
    assert therapist.groups.count() == 1


def test_a_manager_cannot_deactivate_themselves(manager_client, manager, location):
    response = manager_client.post(
        reverse("staff_edit", args=[manager.pk]),
        {
            "first_name": "M",
            "last_name": "R",
            "email": "m@example.test",
            "role": "MANAGER",
            "locations": [location.pk],
        },
    )
    assert response.status_code == 200
    assert "You cannot deactivate your own account." in response.content.decode()
    manager.refresh_from_db()
    assert manager.is_active


def test_a_manager_records_a_licence_and_a_certification(manager_client, therapist):
    url = reverse("licence_add", args=[therapist.pk])
    response = manager_client.post(
        url, {"state": "ny", "number": "NY-123", "expires_on": "2028-05-01"}
    )
    assert response.status_code == 302
    assert Licence.objects.get(number="NY-123").state == "NY"
    url = reverse("certification_add", args=[therapist.pk])
    response = manager_client.post(
        url,
        {
            "course": "DN Level 2",
            "hours": "27",
            "certified_on": "2026-01-10",
            "valid_until": "2028-01-09",
        },
    )
    assert response.status_code == 302
    assert DNCertification.objects.filter(user=therapist, course="DN Level 2").exists()


def test_a_certification_ending_before_it_starts_is_refused(manager_client, therapist):
    before = DNCertification.objects.count()
    response = manager_client.post(
        reverse("certification_add", args=[therapist.pk]),
        {"course": "X", "hours": "10", "certified_on": "2026-01-10", "valid_until": "2025-01-09"},
    )
    assert response.status_code == 200
    assert "Must be on or after the certification date." in response.content.decode()
    assert DNCertification.objects.count() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"state": "California", "number": "1", "expires_on": "2028-01-01"}, "state"),
        ({"state": "CA", "number": "1", "expires_on": "soon"}, "expires_on"),
        ({"state": "C1", "number": "1", "expires_on": "2028-01-01"}, "state"),
    ],
)
def test_bad_licence_input_is_refused_on_its_field(manager_client, therapist, data, field):
    response = manager_client.post(reverse("licence_add", args=[therapist.pk]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Licence.objects.filter(number="1").exists()


def test_dn_certified_until_is_the_certification_in_force(therapist):
    assert therapist.dn_certified_until(dt.date(2026, 11, 22)) == dt.date(2028, 1, 14)
    # Before any certification started there is none.
    assert therapist.dn_certified_until(dt.date(2023, 1, 1)) is None
    # After it lapsed, the lapsed expiry is reported so the engine can say so.
    assert therapist.dn_certified_until(dt.date(2028, 1, 15)) == dt.date(2028, 1, 14)
    CertificationFactory(
        user=therapist, certified_on=dt.date(2028, 1, 10), valid_until=dt.date(2030, 1, 9)
    )
    assert therapist.dn_certified_until(dt.date(2028, 1, 15)) == dt.date(2030, 1, 9)


def test_a_manager_adds_a_location_and_its_rooms(manager_client):
    response = manager_client.post(
        reverse("location_create"),
        {
            "name": "Sausalito",
            "address": "1 Bridgeway",
            "phone": "415",
            "time_zone": "America/Los_Angeles",
            "is_active": "on",
        },
    )
    location = Location.objects.get(name="Sausalito")
    assert response["Location"] == location.get_absolute_url()
    manager_client.post(reverse("room_create", args=[location.pk]), {"name": "Room A"})
    response = manager_client.post(reverse("room_create", args=[location.pk]), {"name": "Room A"})
    assert response.status_code == 400
    assert "already has a room with that name" in response.content.decode()
    assert Room.objects.filter(location=location).count() == 1


def test_a_location_with_an_unknown_time_zone_is_refused(manager_client):
    response = manager_client.post(
        reverse("location_create"),
        {"name": "Nowhere", "address": "x", "phone": "1", "time_zone": "Mars/Base"},
    )
    assert response.status_code == 200
    assert "is not a known time zone" in response.content.decode()
    assert not Location.objects.filter(name="Nowhere").exists()


def test_the_staff_list_runs_a_fixed_number_of_queries(
    manager_client, location, django_assert_num_queries
):
    for n in range(30):
        user = UserFactory(username=f"bulk{n}", role=Role.THERAPIST)
        user.locations.add(location)
        CertificationFactory(user=user)
    # session, user, the user's permissions for the nav (2) and role group, count, the page
    # of users, prefetches (groups, locations, licences, certifications), and the idle-expiry
    # session save (savepoint, update, release). 14 whatever the number of staff.
    with django_assert_num_queries(14):
        response = manager_client.get(reverse("staff_list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 30 + 1  # + the manager
    assert len(response.context["page"].object_list) == 25


def test_the_location_list_runs_a_fixed_number_of_queries(
    manager_client, django_assert_num_queries
):
    for n in range(30):
        RoomFactory(location=LocationFactory(name=f"Site {n}"))
    # session, user, permissions for the nav (2) and role group, count, the page of
    # locations (with staff counts), rooms prefetch, session save (3).
    with django_assert_num_queries(11):
        response = manager_client.get(reverse("location_list"))
    assert response.status_code == 200


def test_the_dashboard_lists_expiring_and_expired_credentials(client, manager, therapist):
    import time_machine

    with time_machine.travel(dt.datetime(2027, 12, 1, 12, tzinfo=dt.UTC), tick=False):
        client.force_login(manager)
        response = client.get(reverse("home"))
    text = response.content.decode()
    assert "Manager dashboard" in text
    assert "DN certification: Dry Needling Level 1" in text  # expires 2028-01-14


def test_a_renewed_certification_is_not_listed_as_expiring(client, manager, therapist):
    import time_machine

    CertificationFactory(
        user=therapist, certified_on=dt.date(2027, 11, 1), valid_until=dt.date(2030, 1, 1)
    )
    with time_machine.travel(dt.datetime(2027, 12, 1, 12, tzinfo=dt.UTC), tick=False):
        client.force_login(manager)
        response = client.get(reverse("home"))
    assert "DN certification: Dry Needling Level 1" not in response.content.decode()


@pytest.mark.parametrize("junk", ["99999999999999999999999", "-99999999999999999999"])
def test_a_location_id_too_large_for_the_database_is_an_invalid_choice(
    manager_client, therapist, location, junk
):
    """Found by the form fuzz: SQLite raised OverflowError (a 500) on the `pk IN (...)` query."""
    for url in (reverse("staff_edit", args=[therapist.pk]), reverse("staff_create")):
        response = manager_client.post(
            url,
            {
                "username": "newbie",
                "password": "a long enough passphrase 42",
                "first_name": "Theresa",
                "last_name": "Okafor",
                "email": "t@example.test",
                "role": "THERAPIST",
                "locations": [str(location.pk), junk],
            },
        )
        assert response.status_code == 200, url
        assert f"“{junk}” is not a valid value." in response.content.decode(), url
    assert list(therapist.locations.all()) == [location]
