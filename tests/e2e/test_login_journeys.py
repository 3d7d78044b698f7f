"""Each role logs in through the browser and lands on its own home page."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_therapist_logs_in_and_sees_today(login, therapist):
    page = login("thera")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    expect(page.get_by_text("Your DN certification is valid until")).to_be_visible()
    expect(page.get_by_role("link", name="Staff")).to_have_count(0)


def test_a_front_desk_user_logs_in_and_sees_the_schedule(login, front_desk):
    page = login("desk")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    expect(page.get_by_text("The front desk's schedule")).to_be_visible()
    expect(page.get_by_role("link", name="Patients")).to_be_visible()


def test_a_manager_logs_in_and_sees_the_dashboard(login, manager):
    page = login("boss")
    expect(page.get_by_role("heading", level=1)).to_have_text("Manager dashboard")
    # Setup pages are grouped in one menu of the main navigation.
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Setup").click()
    expect(page.get_by_role("link", name="Staff")).to_be_visible()
    expect(page.get_by_role("link", name="Locations")).to_be_visible()


def test_an_uncertified_therapist_is_warned_on_the_home_page(login, uncertified_therapist):
    page = login("uncert")
    expect(page.get_by_role("alert")).to_contain_text("Your DN certification expired on")


def test_a_wrong_password_is_refused_with_a_message(login, therapist):
    page = login("thera", "not-the-password")
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("Today")
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()


def test_logging_out_returns_to_the_login_page(login, manager):
    page = login("boss")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(__import__("re").compile(r"/accounts/login/"))
