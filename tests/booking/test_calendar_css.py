"""The calendars without style attributes (the Content-Security-Policy allows none): the server
names positions, sizes and colours with classes and SVG presentation attributes, and the
stylesheets hold a rule for every class the server can emit, at the server's scale."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from clinic.booking.selectors import MIN_BLOCK_PX, PX_PER_MINUTE, place
from tests.booking.conftest import TUESDAY
from tests.booking.factories import AppointmentFactory, local
from tests.clinic.test_security_headers import inline_code
from tests.factories import PatientFactory

CSS = Path(settings.BASE_DIR) / "static" / "css"


def custom_property_classes(css: str) -> dict[str, tuple[str, int]]:
    """`.cal-at-h9{--at-h:9}` -> {"cal-at-h9": ("--at-h", 9)}."""
    return {
        name: (prop, int(value))
        for name, prop, value in re.findall(r"\.([\w-]+)\s*\{\s*(--[\w-]+)\s*:\s*(\d+)\s*\}", css)
    }


def test_every_place_the_day_view_can_emit_has_its_rule():
    rules = custom_property_classes((CSS / "calendar.css").read_text())
    expected_props = {"at-h": "--at-h", "at-m": "--at-m", "len-h": "--len-h", "len-m": "--len-m"}
    for minutes in range(24 * 60 + 1):  # from the top of the day to its end, minute by minute
        for name in place(at=minutes, length=minutes).split():
            assert name in rules, f"no rule for {name} ({minutes} min)"
            prop, value = rules[name]
            kind, number = re.fullmatch(r"cal-(at-h|at-m|len-h|len-m)(\d+)", name).groups()
            assert (prop, value) == (expected_props[kind], int(number)), name
        at_h, at_m = (rules[n][1] for n in place(at=minutes).split())
        assert at_h * 60 + at_m == minutes


def test_the_stylesheet_draws_the_day_at_the_servers_scale():
    css = (CSS / "calendar.css").read_text()
    top = "calc((var(--at-h, 0) * 60 + var(--at-m, 0)) * {}px)"
    height = "calc((var(--len-h, 0) * 60 + var(--len-m, 0)) * {}px)"
    assert f"top: {top.format(PX_PER_MINUTE)}" in css
    assert f"height: {height.format(PX_PER_MINUTE)}" in css
    # An appointment is never shorter than the server's least block height.
    assert f"height: max({height.format(PX_PER_MINUTE)}, {MIN_BLOCK_PX}px)" in css


def test_every_progress_percentage_has_its_rule():
    css = (CSS / "app.css").read_text()
    widths = dict(re.findall(r"\.pct-(\d+)\s*\{\s*width\s*:\s*(\d+)%\s*\}", css))
    assert widths == {str(n): str(n) for n in range(101)}


class Elements(HTMLParser):
    """Every start tag as (tag, attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def with_class(self, name: str) -> list[dict]:
        return [a for _, a in self.found if name in (a.get("class") or "").split()]

    def tags(self, tag: str) -> list[dict]:
        return [a for t, a in self.found if t == tag]


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


@pytest.mark.django_db
def test_the_day_view_places_and_colours_each_appointment_without_style_attributes(
    front_desk_client, open_location, therapist, room, dn_follow_up
):
    from tests.booking.factories import AppointmentTypeFactory

    yellow = AppointmentTypeFactory(name="Check-up", duration_minutes=15, colour="#ffd43b")
    AppointmentFactory(
        location=open_location,
        therapist=therapist,
        room=room,
        appointment_type=dn_follow_up,  # #7048e8: white text reads on it
        patient=PatientFactory(),
        starts_at=local(open_location, TUESDAY, 9, 15),
        ends_at=local(open_location, TUESDAY, 10),
    )
    AppointmentFactory(
        location=open_location,
        therapist=therapist,
        room=room,
        appointment_type=yellow,  # black text reads on it
        patient=PatientFactory(),
        starts_at=local(open_location, TUESDAY, 13),
        ends_at=local(open_location, TUESDAY, 13, 5),  # shorter than the least block
    )
    url = f"{reverse('booking:day', args=[open_location.pk])}?date={TUESDAY}"
    html = front_desk_client.get(url).content.decode()
    assert inline_code(html) == []
    page = elements(html)
    # The day runs 08:00-18:00 (the opening hours): 10 hours, 960 px.
    for track in page.with_class("cal-track") + page.with_class("cal-axis-track"):
        assert {"cal-len-h10", "cal-len-m0"} <= set(track["class"].split())
    hours = page.with_class("cal-hour")
    assert len(hours) == 10
    assert {"cal-at-h1", "cal-at-m0"} <= set(hours[1]["class"].split())  # 09:00
    blocks = page.with_class("cal-appt")
    assert [set(b["class"].split()) & {"cal-ink-light", "cal-ink-dark"} for b in blocks] == [
        {"cal-ink-light"},
        {"cal-ink-dark"},
    ]
    assert {"cal-at-h1", "cal-at-m15", "cal-len-h0", "cal-len-m45"} <= set(
        blocks[0]["class"].split()
    )
    assert {"cal-at-h5", "cal-at-m0", "cal-len-h0", "cal-len-m5"} <= set(blocks[1]["class"].split())
    fills = [rect["fill"] for rect in page.tags("rect")]
    assert fills == ["#7048e8", "#ffd43b"]
    # Free half hours are placed the same way (08:00 is the first, at the top).
    free = page.with_class("cal-free")
    assert {"cal-at-h0", "cal-at-m0", "cal-len-h0", "cal-len-m30"} <= set(free[0]["class"].split())


@pytest.mark.django_db
def test_the_week_view_the_type_list_and_the_appointment_show_colours_without_style(
    manager_client, open_location, therapist, room, dn_follow_up
):
    appointment = AppointmentFactory(
        location=open_location,
        therapist=therapist,
        room=room,
        appointment_type=dn_follow_up,
        patient=PatientFactory(),
        starts_at=local(open_location, TUESDAY, 9),
        ends_at=local(open_location, TUESDAY, 9, 30),
    )
    pages = {
        "week": f"{reverse('booking:week', args=[open_location.pk])}?date={TUESDAY}",
        "types": reverse("booking:type_list"),
        "appointment": appointment.get_absolute_url(),
    }
    for what, url in pages.items():
        response = manager_client.get(url)
        assert response.status_code == 200, what
        html = response.content.decode()
        assert inline_code(html) == [], what
        fills = [rect.get("fill") for rect in elements(html).tags("rect")]
        assert "#7048e8" in fills, what
