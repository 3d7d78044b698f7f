"""The main pages fit the screen at 1366 px (desktop), 768 px (a tablet at the treatment
table) and 390 px (a phone): no sideways scrolling of the page, and the main menu is one row
on the desktop and collapses below. With SCREENSHOTS_DIR set the test also saves what it saw
(docs/screenshots/ is made so: SCREENSHOTS_DIR=docs/screenshots pytest tests/e2e/test_layout.py).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import time_machine

from clinic.demo import seed
from clinic.staff.demo import DEMO_PASSWORD
from tests.e2e.htmx import settled

pytestmark = pytest.mark.django_db(transaction=True)

# Tuesday 3 March 2026, 10:00 in San Francisco: a working morning in the demo clinic.
MORNING = dt.datetime(2026, 3, 3, 18, 0, tzinfo=dt.UTC)
WIDTHS = {"desktop": (1366, 900), "tablet": (768, 1024), "phone": (390, 844)}


@pytest.fixture
def demo():
    with time_machine.travel(MORNING, tick=True):
        seed(today=dt.date(2026, 3, 3))
        yield


def pages():
    from clinic.staff.models import Location
    from needling.plans.models import TreatmentPlan
    from patients.models import Patient

    location = Location.objects.get(name="Mission District")
    zoe = Patient.objects.get(last_name="Whitaker")
    draft = TreatmentPlan.objects.filter(patient=zoe, status="draft").order_by("-version").first()
    return {
        "frontdesk": [
            ("today", "/"),
            ("calendar-day", f"/calendar/{location.pk}/day/"),
            ("calendar-week", f"/calendar/{location.pk}/week/"),
            ("patients", "/patients/"),
            ("register", "/patients/register/"),
        ],
        "therapist": [
            ("patient", zoe.get_absolute_url()),
            ("plan-editor", draft.get_absolute_url() if draft else "/needling/plans/"),
        ],
        "manager": [("dashboard", "/"), ("reports", "/reports/"), ("staff", "/staff/")],
    }


def overflow(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


# The outermost elements that stick out to the right, to name them when a page overflows
# (an absolutely positioned one may escape a scrolling box and show up here).
CULPRITS = """() => {
  const out = [], w = window.innerWidth;
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    const p = e.parentElement.getBoundingClientRect();
    if (r.right > w + 1 && p.right <= w + 1) {
      out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
               (typeof e.className === 'string' && e.className
                ? '.' + e.className.split(' ').join('.') : ''));
    }
  }
  return out.slice(0, 4);
}"""


def logged_in(browser, live_server, username: str) -> dict:
    """The cookies of `username` logged in through the form: each width's context starts
    from them (one log-in per user, not one per user and width)."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    state = context.storage_state()
    context.close()
    return state


def test_the_main_pages_fit_every_screen_width(browser, live_server, demo):
    out = os.environ.get("SCREENSHOTS_DIR")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
    problems = []
    by_user = pages()
    sessions = {username: logged_in(browser, live_server, username) for username in by_user}
    for width, height in WIDTHS.values():
        for username, paths in by_user.items():
            context = browser.new_context(
                base_url=live_server.url,
                viewport={"width": width, "height": height},
                storage_state=sessions[username],
            )
            context.set_default_timeout(30_000)
            page = context.new_page()
            for name, path in paths:
                page.goto(path)  # waits for the load event
                settled(page)  # and for what htmx loads after it
                assert "/accounts/login/" not in page.url, f"{username} is not logged in"
                extra = overflow(page)
                if extra > 0:
                    problems.append(
                        f"{name} at {width} px scrolls sideways by {extra} px: "
                        f"{page.evaluate(CULPRITS)}"
                    )
                toggler = page.locator(".navbar-toggler")
                nav = page.locator("nav[aria-label=Main]").bounding_box()
                if width >= 992 and nav["height"] > 70:
                    problems.append(f"{name} at {width} px: the menu wraps ({nav['height']} px)")
                if width < 992 and not toggler.is_visible():
                    problems.append(f"{name} at {width} px: the menu does not collapse")
                if out:
                    page.screenshot(path=f"{out}/{name}-{width}.png")
            if out and username == "manager" and width < 992:
                page.locator(".navbar-toggler").click()
                page.get_by_role("button", name="Setup").click()
                page.wait_for_timeout(400)
                page.screenshot(path=f"{out}/menu-{width}.png")
            context.close()
    assert not problems, "\n".join(problems)
