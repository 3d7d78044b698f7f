"""WCAG 2.2 AA with axe-core: every page each role can open has no critical or serious violation.

The pages come from the role-by-URL matrix of tests/clinic/test_access.py (every named URL is
there, so a new page is checked as soon as it gets its row): each GET the role may open with a
200 and that answers with an HTML page. Fragments htmx swaps in (search results, free slots,
the screening panel) are checked where they appear, after the interaction that loads them.
One browser context per role, reused for all its pages.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.clinic.test_access import MATRIX
from tests.e2e.axe import counts_by_rule, run_axe
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ["front_desk", "therapist", "manager"]


def settle(page):
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


@pytest.fixture
def world(role_users, location):
    """The matrix's objects plus what makes pages look like a working day: opening and working
    hours today, an appointment on today's calendar, a draft plan with a site."""
    from needling.knowledge.models import Contraindication, StricterRule
    from tests.booking.factories import AppointmentFactory, AppointmentTypeFactory, open_all_week
    from tests.factories import (
        ConditionFactory,
        ConsentFactory,
        PatientFactory,
        RoomFactory,
        ScreeningFactory,
    )

    today = timezone.localdate()
    patient = PatientFactory(first_name="Zoë", last_name="Whitaker")
    if not location.rooms.exists():
        RoomFactory(location=location, name="Treatment room A")
    # From noon: the matrix adds its own 08:00-12:00 working hours on Mondays.
    open_all_week(location, role_users["therapist"], opens=dt.time(12), closes=dt.time(18))
    visit = AppointmentTypeFactory(name="DN follow-up", duration_minutes=30, is_dn=True)
    starts = dt.datetime.combine(today, dt.time(14), tzinfo=location.zone)
    AppointmentFactory(
        location=location,
        therapist=role_users["therapist"],
        patient=patient,
        appointment_type=visit,
        room=location.rooms.first(),
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=30),
    )
    return {
        **role_users,
        "location": location,
        "patient": patient,
        "screening": ScreeningFactory(patient=patient, taken_on=today),
        "consent": ConsentFactory(patient=patient, signed_on=today),
        "condition": ConditionFactory(patient=patient),
        "stricter": StricterRule.objects.create(
            rule=Contraindication.objects.get(code="pregnancy"),
            reason="Clinic line: no needling in any trimester.",
            adopted_by=role_users["manager"],
        ),
    }


def pages_for(role: str, ctx: dict) -> list[tuple[str, str]]:
    """(label, path) of every GET page `role` may open, from the URL matrix."""
    from clinic.reports.base import REGISTRY

    ctx["current"] = ctx[role]
    built: dict = {}
    pages = []
    for name in sorted(MATRIX):
        builder, allowed, status = MATRIX[name]
        if role not in allowed or status != 200:
            continue
        if name in {"reports:report", "reports:export"}:
            continue  # every report below, not only the matrix's sample
        # One object per builder for all the role's pages (the approved plan renders a PDF).
        if builder is not None and builder not in built:
            built[builder] = builder(ctx)
        pages.append((name, reverse(name, kwargs=built.get(builder, {}))))
    if role == "manager":
        pages += [
            (f"reports:report {slug}", reverse("reports:report", kwargs={"slug": slug}))
            for slug in sorted(REGISTRY)
        ]
    return pages


def check_pages(context, pages) -> tuple[list, int]:
    page = context.new_page()
    violations, checked = [], 0
    for label, path in pages:
        try:
            response = page.goto(path)  # to its load event
        except PlaywrightError as error:
            if "Download is starting" in error.message:
                continue  # a file download (PDF, CSV): not a page
            raise
        html = "text/html" in response.headers.get("content-type", "")
        if response.request.redirected_from is not None or response.status != 200 or not html:
            continue  # a redirect, or not a page
        if page.evaluate("() => !document.querySelector('main')"):
            continue  # an htmx fragment served on its own: checked in its page below
        violations += run_axe(page, label)
        checked += 1
    page.close()
    return violations, checked


def interactions(role: str, context, ctx) -> list:
    """States that only exist after an htmx swap or a failed submit."""
    page = context.new_page()
    found = []
    if role == "therapist":
        page.goto(reverse("patients:condition_new", kwargs={"pk": ctx["patient"].pk}))
        page.wait_for_load_state("load")
        page.get_by_label("Words or the start of a code").fill("neck pain")
        expect(page.locator("#icd-results button").first).to_be_visible()
        found += run_axe(page, "patients:condition_new (ICD-10 results)")
        page.goto(reverse("needling:plan_edit", kwargs={"pk": ctx["plan"].pk}))
        page.wait_for_load_state("load")
        found += run_axe(page, "needling:plan_edit (with the screening panel)")
    if role == "front_desk":
        page.goto(reverse("booking:book", kwargs={"pk": ctx["location"].pk}))
        page.wait_for_load_state("load")
        page.get_by_label("Find patient").fill("whitaker")
        expect(page.get_by_role("listbox", name="Patient").get_by_role("option")).to_have_count(1)
        page.get_by_label("Type").select_option(label="DN follow-up (30 min)")
        page.get_by_role("button", name="Suggest free slots").click()
        settle(page)
        found += run_axe(page, "booking:book (patient found, free slots)")
        page.get_by_role("button", name="Book", exact=True).click()
        page.wait_for_load_state("load")
        found += run_axe(page, "booking:book (submitted with errors)")
        page.goto(reverse("patients:register"))
        page.get_by_role("button", name="Register", exact=True).click()
        page.wait_for_load_state("load")
        found += run_axe(page, "patients:register (submitted empty)")
    page.close()
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_has_no_serious_axe_violation(
    browser, live_server, world, role, request
):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    login = context.new_page()
    # The live server's first request loads every view module: slow on a busy machine.
    login.goto("/accounts/login/", timeout=60_000)
    violations = run_axe(login, "login") if role == ROLES[0] else []
    login.get_by_label("Username").fill(world[role].username)
    login.get_by_label("Password").fill(PASSWORD)
    login.get_by_role("button", name="Log in").click()
    login.wait_for_load_state("load")
    login.close()

    pages = pages_for(role, world)
    found, checked = check_pages(context, pages)
    violations += found + interactions(role, context, world)
    context.close()

    report = os.environ.get("AXE_REPORT")
    if report:  # counts by rule, for a before/after comparison
        with open(f"{report}.{role}.json", "w") as out:
            json.dump(
                {
                    "pages": checked,
                    "by_rule": counts_by_rule(violations),
                    "violations": [str(v) for v in violations],
                },
                out,
                indent=1,
            )
    assert checked > 15, f"only {checked} pages checked for {role}"
    assert not violations, (
        f"{len(violations)} serious or critical axe violations for {role} "
        f"({counts_by_rule(violations)}):\n" + "\n".join(str(v) for v in violations[:60])
    )
