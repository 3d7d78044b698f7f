"""The therapist's iCalendar feed: a secret URL, the next 60 days, initials only, DST-correct.

The US changes to daylight time on Sunday 14 March 2027 in the clinic's zone
(America/Los_Angeles): 10:00 on the Saturday before is 18:00 UTC, 10:00 on the Monday after
is 17:00 UTC. A client must show both at 10:00.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import icalendar
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from clinic.booking import feed
from clinic.booking.feed_models import CalendarFeed
from clinic.staff.roles import Role
from tests.booking.factories import AppointmentFactory, AppointmentTypeFactory, local
from tests.factories import PatientFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db
LA = zoneinfo.ZoneInfo("America/Los_Angeles")
MARCH_1_2027 = dt.datetime(2027, 3, 1, 17, 0, tzinfo=dt.UTC)  # 09:00 in San Francisco


@pytest.fixture
def march_2027():
    with time_machine.travel(MARCH_1_2027, tick=False):
        yield


@pytest.fixture
def patient():
    return PatientFactory(
        first_name="Lucía", last_name="García", phone="(415) 555-0199", notes="Left knee"
    )


@pytest.fixture
def visits(therapist, location, patient, march_2027):
    """10:00 local either side of the DST change, one cancelled, one 61 days out, yesterday's,
    and another therapist's."""
    room = RoomFactory(location=location, name="Room 2")
    dn = AppointmentTypeFactory(name="Dry needling", duration_minutes=45)

    def book(day, hour=10, **extra):
        starts = local(location, day, hour)
        fields = {
            "location": location,
            "room": room,
            "patient": patient,
            "therapist": therapist,
            "appointment_type": dn,
            "starts_at": starts,
            "ends_at": starts + dt.timedelta(minutes=45),
            **extra,
        }
        return AppointmentFactory(**fields)

    before = book(dt.date(2027, 3, 13))
    after = book(dt.date(2027, 3, 15))
    book(dt.date(2027, 3, 16), status="cancelled", cancel_reason="Patient ill")
    book(dt.date(2027, 5, 1))  # 61 days after 1 March
    book(dt.date(2027, 2, 28))  # yesterday
    other = UserFactory(username="other", role=Role.THERAPIST)
    book(dt.date(2027, 3, 17), therapist=other)
    return before, after


def feed_url(token: str) -> str:
    return reverse("booking:calendar_feed", kwargs={"token": token})


def events(body: bytes) -> list:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def test_a_calendar_client_parses_the_feed_with_dst_correct_times(therapist, visits):
    token = feed.calendar_feed_rotate(user=therapist)
    response = Client().get(feed_url(token))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    found = events(response.content)
    assert [str(e["UID"]) for e in found] == [f"appointment-{a.pk}@dn-clinic" for a in visits]
    before, after = (e["DTSTART"].dt for e in found)
    assert (before.hour, before.minute) == (after.hour, after.minute) == (10, 0)
    assert before.astimezone(dt.UTC) == dt.datetime(2027, 3, 13, 18, 0, tzinfo=dt.UTC)
    assert after.astimezone(dt.UTC) == dt.datetime(2027, 3, 15, 17, 0, tzinfo=dt.UTC)
    assert found[0]["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert found[0]["DTEND"].dt - before == dt.timedelta(minutes=45)


def test_the_vtimezone_alone_gives_the_right_offsets(therapist, visits):
    """A client without its own zone database reads the offsets from the VTIMEZONE."""
    token = feed.calendar_feed_rotate(user=therapist)
    calendar = icalendar.Calendar.from_ical(Client().get(feed_url(token)).content)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/Los_Angeles"
    tz = zone.to_tz()
    saturday = dt.datetime(2027, 3, 13, 10, 0)
    monday = dt.datetime(2027, 3, 15, 10, 0)
    localise = getattr(tz, "localize", None)
    as_local = localise if localise else (lambda d: d.replace(tzinfo=tz))
    assert as_local(saturday).utcoffset() == dt.timedelta(hours=-8)
    assert as_local(monday).utcoffset() == dt.timedelta(hours=-7)


def test_the_feed_shows_initials_and_nothing_else_of_the_patient(therapist, visits, patient):
    token = feed.calendar_feed_rotate(user=therapist)
    body = Client().get(feed_url(token)).content.decode()
    summaries = [str(e["SUMMARY"]) for e in events(body.encode())]
    assert summaries == ["Dry needling: L. G."] * 2
    for secret in ("Lucía", "García", "Luc", "Garc", "555-0199", "Left knee", "M54"):
        assert secret not in body
    assert "DESCRIPTION" not in body


def test_rotating_the_token_makes_the_old_url_404(therapist, visits):
    old = feed.calendar_feed_rotate(user=therapist)
    assert Client().get(feed_url(old)).status_code == 200
    new = feed.calendar_feed_rotate(user=therapist)
    assert new != old
    assert Client().get(feed_url(old)).status_code == 404
    assert Client().get(feed_url(new)).status_code == 200
    assert CalendarFeed.objects.filter(user=therapist).count() == 1


def test_only_the_tokens_hash_is_stored(therapist):
    token = feed.calendar_feed_rotate(user=therapist)
    stored = CalendarFeed.objects.get(user=therapist)
    assert stored.token_hash == CalendarFeed.hash(token) != token
    assert token not in stored.token_hash


def test_unknown_tokens_and_inactive_or_demoted_therapists_get_404(therapist, visits):
    assert Client().get(feed_url("nope")).status_code == 404
    token = feed.calendar_feed_rotate(user=therapist)
    therapist.is_active = False
    therapist.save()
    assert Client().get(feed_url(token)).status_code == 404
    therapist.is_active = True
    therapist.save()
    therapist.groups.clear()
    assert Client().get(feed_url(token)).status_code == 404


def test_turning_the_feed_off_makes_its_url_404(therapist, visits, therapist_client):
    # (therapist_client after visits: logged in inside the frozen time, so not idle-expired)
    token = feed.calendar_feed_rotate(user=therapist)
    response = therapist_client.post(reverse("booking:calendar_feed_revoke"))
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:calendar_feed_settings")
    assert Client().get(feed_url(token)).status_code == 404


def test_the_profile_page_rotates_and_shows_the_new_url_once(therapist_client, therapist):
    profile = therapist_client.get(reverse("profile")).content.decode()
    assert reverse("booking:calendar_feed_settings") in profile
    assert (
        "The feed is off"
        in therapist_client.get(reverse("booking:calendar_feed_settings")).content.decode()
    )
    first = therapist_client.post(reverse("booking:calendar_feed_rotate"))
    assert first.status_code == 200
    stored = CalendarFeed.objects.get(user=therapist).token_hash
    page = first.content.decode()
    (token,) = re.findall(r"/calendar/feed/([^\"/]+)\.ics", page)
    assert CalendarFeed.hash(token) == stored
    again = therapist_client.get(reverse("booking:calendar_feed_settings")).content.decode()
    assert token not in again and "The feed is on" in again
    therapist_client.post(reverse("booking:calendar_feed_rotate"))
    assert Client().get(feed_url(token)).status_code == 404


def test_front_desk_and_managers_have_no_feed(front_desk_client, manager_client):
    for client in (front_desk_client, manager_client):
        assert client.get(reverse("booking:calendar_feed_settings")).status_code == 403
        assert client.post(reverse("booking:calendar_feed_rotate")).status_code == 403
    assert not CalendarFeed.objects.exists()


def test_the_feed_url_needs_no_login_but_the_settings_page_does(therapist):
    token = feed.calendar_feed_rotate(user=therapist)
    anonymous = Client()
    assert anonymous.get(feed_url(token)).status_code == 200
    settings_page = anonymous.get(reverse("booking:calendar_feed_settings"))
    assert settings_page.status_code == 302 and "/accounts/login/" in settings_page["Location"]


def test_the_feed_reads_a_fixed_number_of_queries(
    therapist, visits, django_assert_num_queries, location, patient
):
    token = feed.calendar_feed_rotate(user=therapist)
    client = Client()
    # The feed with its user (1); the user's permissions: user and group permissions (2);
    # last-used update (1); the appointments with location, room, type and patient (1).
    with django_assert_num_queries(5):
        client.get(feed_url(token))
    more = AppointmentTypeFactory(name="Follow-up", duration_minutes=30)
    for day in (18, 19, 22):
        starts = local(location, dt.date(2027, 3, day), 9)
        AppointmentFactory(
            location=location,
            therapist=therapist,
            patient=PatientFactory(),
            appointment_type=more,
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=30),
        )
    with django_assert_num_queries(5):
        response = client.get(feed_url(token))
    assert len(events(response.content)) == 5


def test_initials():
    assert feed.initials("Lucía", "García") == "L. G."
    assert feed.initials("ömer", "") == "Ö."
    assert feed.initials("  ", " x ") == "X."


def test_a_feed_in_another_zone_uses_its_own_tzid(therapist, march_2027):
    from tests.factories import LocationFactory

    berlin = LocationFactory(name="Berlin", time_zone="Europe/Berlin")
    starts = dt.datetime(2027, 3, 20, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    AppointmentFactory(
        location=berlin,
        therapist=therapist,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
    )
    token = feed.calendar_feed_rotate(user=therapist)
    (event,) = events(Client().get(feed_url(token)).content)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTSTART"].dt.astimezone(dt.UTC) == dt.datetime(2027, 3, 20, 8, tzinfo=dt.UTC)
