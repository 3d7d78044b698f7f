"""The main menu, grouped by job: the daily pages on the bar, the rest in a few dropdowns.

Calendar and Patients stay one click away (they are opened all day at the desk and the
treatment table); Clinical, Reports and Setup gather the rest. A group with one entry for
the user is shown as a plain link, an empty one not at all, so every role gets one row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: bool = False


@dataclass(frozen=True)
class Group:
    label: str
    links: list[Link] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


def _is_current(path: str, url: str) -> bool:
    return path == url if url == "/" else path.startswith(url)


def main_menu(user, path: str) -> list[Link | Group]:
    """The entries the user's permissions allow, in menu order; singleton groups flattened."""
    has = user.has_perm

    def link(label: str, name: str, *args) -> Link:
        url = reverse(name, args=args)
        return Link(label, url, _is_current(path, url))

    home = link("Dashboard" if has("clinic.view_dashboard") else "Today", "home")
    daily = [
        link("Calendar", "booking:calendar") if has("clinic.view_appointment") else None,
        link("Patients", "patients:list") if has("patients.view_patient") else None,
        link("Intakes", "intake:list") if has("intake.view_intake") else None,
    ]
    clinical = [
        link("DN plans", "needling:plan_list") if has("needling.view_treatmentplan") else None,
        link("Notes to review", "needling:session_flags")
        if has("needling.view_sessionaccesslog")
        else None,
        link("Muscles", "needling:muscles")
        if has("needling.view_muscle") and not has("clinic.view_dashboard")
        else None,
        link("Rules", "needling:rules") if has("needling.view_contraindication") else None,
    ]
    reports = [
        link("Reports", "reports:index") if has("clinic.view_reports") else None,
        link("Audit", "reports:report", "access") if has("clinic.view_audit") else None,
    ]
    setup = [
        link("Policy", "needling:policy") if has("needling.manage_policy") else None,
        link("Consent texts", "patients:consent_texts")
        if has("patients.add_consenttext")
        else None,
        link("Staff", "staff_list") if has("clinic.view_user") else None,
        link("Locations", "location_list") if has("clinic.change_location") else None,
        link("Booking setup", "booking:setup") if has("clinic.view_openinghours") else None,
        link("Admin", "admin:index") if user.is_staff else None,
    ]
    menu: list[Link | Group] = [home, *[entry for entry in daily if entry]]
    for label, entries in (("Clinical", clinical), ("Reports", reports), ("Setup", setup)):
        entries = [entry for entry in entries if entry]
        if len(entries) == 1:
            menu.append(entries[0])
        elif entries:
            menu.append(Group(label, entries))
    return menu
