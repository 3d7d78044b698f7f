"""The browser harness fails a test whose page breaks the Content-Security-Policy, and the
app's pages with scripts (charts, confirm dialogs, htmx swaps) run under the policy."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.staff.roles import Role
from tests.factories import UserFactory


@pytest.mark.csp_violations_expected
def test_the_harness_sees_an_inline_script_refused(page, live_server, csp_violations):
    # The app's own policy on a page with an inline script: Chromium refuses it and says so.
    from csp.utils import build_policy
    from django.conf import settings

    from clinic.common.security_headers import content_security_policy

    policy = build_policy(config=content_security_policy(https=False)["DIRECTIVES"])
    assert content_security_policy(https=False) == settings.CONTENT_SECURITY_POLICY
    page.route(
        "**/csp-probe",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": policy},
            body="<p>probe</p><script>document.title = 'ran'</script>",
        ),
    )
    page.goto(f"{live_server.url}/csp-probe")
    expect(page.get_by_text("probe")).to_be_visible()
    assert page.title() != "ran"
    page.wait_for_timeout(200)
    assert any("inline script" in text for text in csp_violations), csp_violations


def test_revoking_an_api_token_asks_first_without_inline_script(login):
    from needling.api.models import ApiToken

    user = UserFactory(username="tokens", role=Role.THERAPIST)
    ApiToken.issue(user=user, name="lab system")
    page = login("tokens")
    page.goto(reverse("needling:api_tokens"))
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Revoke lab system").click()
    expect(page.get_by_role("button", name="Revoke lab system")).to_be_visible()
    assert ApiToken.objects.get().revoked_at is None
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke lab system").click()
    expect(page.get_by_role("cell", name=re.compile("^Revoked"))).to_be_visible()
    assert ApiToken.objects.get().revoked_at is not None


@pytest.mark.csp_violations_expected
def test_the_harness_sees_a_style_attribute_refused(page, live_server, csp_violations):
    # The app's policy allows no style attributes: Chromium leaves them unapplied and says so.
    from csp.utils import build_policy

    from clinic.common.security_headers import content_security_policy

    policy = build_policy(config=content_security_policy(https=False)["DIRECTIVES"])
    page.route(
        "**/csp-style-probe",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": policy},
            body='<p id="probe" style="margin-left: 123px">probe</p>',
        ),
    )
    page.goto(f"{live_server.url}/csp-style-probe")
    expect(page.get_by_text("probe")).to_be_visible()
    assert page.eval_on_selector("#probe", "p => getComputedStyle(p).marginLeft") == "0px"
    page.wait_for_timeout(200)
    assert any("inline style" in text for text in csp_violations), csp_violations


# Where each thing on the day view is, measured in the browser: the classes and SVG fills that
# replaced the style attributes must give what the attributes gave (top and height at 1.6 px a
# minute from the top of the day, blocks at least 22 px, the type's colour, the text colour
# that reads on it, the dark left edge).
DAY_GEOMETRY = """() => {
  const minutes = (hhmm) => { const [h, m] = hhmm.split(":").map(Number); return h * 60 + m; };
  const px = (value) => parseFloat(value);
  const hours = [...document.querySelectorAll(".cal-hour")];
  const low = minutes(hours[0].textContent.trim());
  const tracks = [...document.querySelectorAll(".cal-track, .cal-axis-track")];
  const columns = [...document.querySelectorAll(".cal-col")].map((c) => c.getBoundingClientRect());
  return {
    low,
    hourTops: hours.map((h) => [minutes(h.textContent.trim()) - low, px(getComputedStyle(h).top)]),
    trackHeights: tracks.map((t) => px(getComputedStyle(t).height)),
    hourCount: hours.length,
    columns: columns.map((r) => [r.left, r.top, r.width]),
    blocks: [...document.querySelectorAll(".cal-appt")].map((a) => {
      const [start, end] = a.querySelector(".cal-appt-time").textContent.split("–");
      const style = getComputedStyle(a);
      const edge = getComputedStyle(a, "::before");
      const fill = a.querySelector(".cal-appt-fill");
      const box = a.getBoundingClientRect();
      const fillBox = fill.getBoundingClientRect();
      return {
        href: a.getAttribute("href"),
        at: minutes(start) - low, length: minutes(end) - minutes(start),
        top: px(style.top), height: px(style.height),
        colour: getComputedStyle(fill.querySelector("rect")).fill, text: style.color,
        edge: [edge.width, edge.backgroundColor],
        fillsTheBlock: Math.abs(fillBox.width - box.width) < 0.5
          && Math.abs(fillBox.height - box.height) < 0.5,
        onTop: a.contains(
          document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2)),
      };
    }),
    free: [...document.querySelectorAll(".cal-free")].map((f) => [
      minutes(f.textContent.replace("+", "").trim()) - low,
      px(getComputedStyle(f).top),
      px(getComputedStyle(f).height),
    ]),
  };
}"""


def _rgb(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def test_the_calendars_and_swatches_draw_as_before_without_style_attributes(login):
    import datetime as dt

    from clinic.booking.models import text_colour_on
    from tests.booking.factories import (
        AppointmentFactory,
        AppointmentTypeFactory,
        local,
        open_all_week,
    )
    from tests.conftest import make_location, make_manager, make_therapist

    location = make_location()
    therapist = make_therapist(location)
    second = UserFactory(username="second", role=Role.THERAPIST)
    second.locations.add(location)
    make_manager(location)
    open_all_week(location, therapist, second)
    day = dt.date(2030, 3, 5)
    purple = AppointmentTypeFactory(name="DN follow-up", duration_minutes=45, colour="#7048e8")
    yellow = AppointmentTypeFactory(name="Check-up", duration_minutes=5, colour="#ffd43b")
    made = [
        AppointmentFactory(
            location=location,
            therapist=therapist,
            appointment_type=purple,
            starts_at=local(location, day, 9, 15),
            ends_at=local(location, day, 10),
        ),
        AppointmentFactory(
            location=location,
            therapist=second,
            appointment_type=yellow,
            starts_at=local(location, day, 13, 40),
            ends_at=local(location, day, 13, 45),  # shorter than the least block height
        ),
    ]
    page = login("boss")
    page.goto(reverse("booking:day", args=[location.pk]) + f"?date={day:%Y-%m-%d}")
    page.wait_for_load_state("load")
    drawn = page.evaluate(DAY_GEOMETRY)

    assert drawn["low"] == 8 * 60  # the opening hours, 08:00-18:00
    assert drawn["hourCount"] == 10
    for at, top in drawn["hourTops"]:
        assert top == pytest.approx(at * 1.6, abs=0.01)
    assert drawn["trackHeights"] == [pytest.approx(600 * 1.6, abs=0.01)] * 3  # axis, 2 columns
    # The axis and one column per therapist side by side, each at least 9.5rem wide.
    lefts = [left for left, _, _ in drawn["columns"]]
    assert lefts == sorted(lefts) and len(set(lefts)) == 2
    assert {top for _, top, _ in drawn["columns"]} == {drawn["columns"][0][1]}
    assert all(width >= 9.5 * 16 - 0.5 for _, _, width in drawn["columns"])

    by_href = {block["href"]: block for block in drawn["blocks"]}
    for appointment in made:
        block = by_href[appointment.get_absolute_url()]
        colour = appointment.appointment_type.colour
        assert block["top"] == pytest.approx(block["at"] * 1.6, abs=0.01)
        assert block["height"] == pytest.approx(max(block["length"] * 1.6, 22), abs=0.01)
        assert block["colour"] == _rgb(colour)
        assert block["text"] == _rgb(text_colour_on(colour))
        assert block["edge"] == ["4px", "rgba(0, 0, 0, 0.35)"]
        assert block["fillsTheBlock"] and block["onTop"], block
    assert by_href[made[1].get_absolute_url()]["height"] == 22
    assert drawn["free"], "the manager may book: free half hours are drawn"
    for at, top, height in drawn["free"]:
        assert (top, height) == (pytest.approx(at * 1.6, abs=0.01), pytest.approx(48, abs=0.01))

    # The week: each chip's left edge is 4 px of its type's colour.
    page.goto(reverse("booking:week", args=[location.pk]) + f"?date={day:%Y-%m-%d}")
    page.wait_for_load_state("load")
    edges = page.eval_on_selector_all(
        ".cal-chip",
        """chips => chips.map((chip) => {
          const bar = chip.querySelector(".cal-chip-colour");
          const box = chip.getBoundingClientRect(), edge = bar.getBoundingClientRect();
          return [getComputedStyle(bar.querySelector("rect")).fill, edge.width,
                  Math.abs(edge.height - box.height) < 0.5, Math.abs(edge.left - box.left) < 0.5];
        })""",
    )
    assert sorted(edges) == sorted([[_rgb(t.colour), 4, True, True] for t in (purple, yellow)])

    # The type list: a 1rem swatch of each type's colour beside its code.
    page.goto(reverse("booking:type_list"))
    swatches = page.eval_on_selector_all(
        ".type-swatch",
        """svgs => svgs.map((svg) => {
          const box = svg.getBoundingClientRect();
          return [svg.querySelector("rect").getAttribute("fill"), box.width, box.height];
        })""",
    )
    assert [purple.colour, 16, 16] in swatches and [yellow.colour, 16, 16] in swatches
