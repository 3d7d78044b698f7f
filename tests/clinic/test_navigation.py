"""The main menu is grouped by job so that every role's bar fits one row."""

from __future__ import annotations

from clinic.common.navigation import Group, main_menu


def labels(menu):
    return [
        (entry.label, [link.label for link in entry.links])
        if isinstance(entry, Group)
        else entry.label
        for entry in menu
    ]


def test_the_manager_gets_the_daily_pages_and_three_job_menus(manager):
    menu = labels(main_menu(manager, "/"))
    assert menu[:3] == ["Dashboard", "Calendar", "Patients"]
    groups = dict(entry for entry in menu if isinstance(entry, tuple))
    assert set(groups) == {"Clinical", "Reports", "Setup"}
    assert groups["Reports"] == ["Reports", "Audit"]
    assert {"Staff", "Locations", "Booking setup", "Policy", "Consent texts"} <= set(
        groups["Setup"]
    )
    assert len(menu) <= 7


def test_the_front_desk_has_no_setup_and_a_single_entry_is_a_plain_link(front_desk):
    menu = labels(main_menu(front_desk, "/patients/"))
    assert menu == ["Today", "Calendar", "Patients", "Intakes", "Rules"]


def test_the_current_page_is_marked(therapist):
    menu = main_menu(therapist, "/patients/123/")
    current = [entry.label for entry in menu if entry.current]
    assert current == ["Patients"]


def test_the_nav_marks_the_current_page_for_assistive_technology(front_desk_client):
    html = front_desk_client.get("/patients/").content.decode()
    assert 'href="/patients/" aria-current="page"' in html
