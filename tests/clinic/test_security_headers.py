"""Browser security headers with DEBUG=0 (the test settings): a strict Content-Security-Policy,
Referrer-Policy, Permissions-Policy and no framing, on every page type; and no page carries
inline script, inline event handlers, <style> elements or style attributes the policy would
block."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse

from tests.clinic import test_access as access

MATRIX = access.MATRIX
matrix_context = access.matrix_context  # the URL matrix's fixture, used here too
matrix_rows = access.matrix_rows  # the rows matrix_context reads, built once per module

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_secure_headers(response, what: str) -> None:
    assert not settings.DEBUG
    policy = directives(response.headers.get("Content-Security-Policy", ""))
    assert policy.get("script-src") == ["'self'"], what
    assert policy.get("default-src") == ["'self'"], what
    assert policy.get("style-src-elem") == ["'self'"], what
    assert policy.get("style-src") == ["'self'"], what
    assert policy.get("style-src-attr") == ["'none'"], what
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"], what
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"], what
    assert policy.get("object-src") == ["'none'"], what
    assert policy.get("base-uri") == ["'none'"], what
    assert policy.get("frame-ancestors") == ["'none'"], what
    assert policy.get("form-action") == ["'self'"], what
    assert response.headers.get("Referrer-Policy") == "same-origin", what
    assert response.headers.get("X-Frame-Options") == "DENY", what
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    permissions = response.headers.get("Permissions-Policy", "")
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in permissions, what


class InlineCode(HTMLParser):
    """Collects what a script-src 'self' / style-src-elem 'self' / style-src-attr 'none'
    policy would block (in HTML and in inline SVG alike)."""

    DATA_TYPES = {"application/json", "application/ld+json"}

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.blocked.append(f"<{tag} {name}=...>")
            if name == "style":
                self.blocked.append(f"<{tag} style=...>")
            if name.startswith("hx-on"):
                self.blocked.append(f"<{tag} {name}=...> (htmx eval)")
            if name in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.blocked.append(f"<{tag} {name}=javascript:...>")
            if name in {"hx-vals", "hx-headers"} and (value or "").lstrip().startswith("js:"):
                self.blocked.append(f"<{tag} {name}=js:...> (htmx eval)")
        if tag == "style":
            self.blocked.append("<style> element")
        inline = tag == "script" and "src" not in attributes
        if inline and (attributes.get("type") or "").lower() not in self.DATA_TYPES:
            self.blocked.append("inline <script>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.blocked


def test_the_inline_code_finder_finds_what_the_policy_blocks():
    found = inline_code(
        '<script>alert(1)</script><script type="application/json">{}</script>'
        '<script src="/static/x.js"></script><button onclick="x()">b</button>'
        '<form onsubmit="return confirm()"></form><a href="javascript:x()">a</a>'
        '<style>p{}</style><div hx-on:click="x()"></div><p style="top: 1px">no</p>'
        '<svg><rect fill="#123456" width="4" height="4"/><rect STYLE="fill: red"/></svg>'
        '<p class="pct-40" data-style="x">ok</p><div style>empty</div>'
    )
    assert found == [
        "inline <script>",
        "<button onclick=...>",
        "<form onsubmit=...>",
        "<a href=javascript:...>",
        "<style> element",
        "<div hx-on:click=...> (htmx eval)",
        "<p style=...>",
        "<rect style=...>",
        "<div style=...>",
    ]


def _first_allowed(allowed: set[str]) -> str:
    return "manager" if "manager" in allowed else sorted(allowed)[0]


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_every_page_sends_the_headers_and_no_inline_code(client, matrix_context, name):
    builder, allowed, _ = MATRIX[name]
    role = _first_allowed(allowed)
    matrix_context["current"] = matrix_context[role]
    kwargs = builder(matrix_context) if builder else {}
    access.log_in(client, access.MATRIX_SESSIONS[role])
    url = reverse(name, kwargs=kwargs)
    for headers in ({}, {"HX-Request": "true"}):  # full pages and their htmx partials
        response = client.get(url, headers=headers)
        assert_secure_headers(response, f"{name} {headers}")
        if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
            assert inline_code(response.content.decode()) == [], f"{name} {headers}"


def test_reports_with_charts_and_the_outcomes_panel_have_no_inline_code(
    manager_client, therapist_client, matrix_context
):
    for slug in ("activity", "sessions", "outcomes", "safety", "overrides", "compliance"):
        response = manager_client.get(
            reverse("reports:report", kwargs={"slug": slug}),
            {"start": "2026-01-01", "end": "2026-12-31"},
        )
        assert response.status_code == 200, slug
        assert_secure_headers(response, slug)
        assert inline_code(response.content.decode()) == [], slug


def test_a_plan_with_sites_and_its_body_chart_has_no_inline_code(client, matrix_context):
    pk = access._plan_site(matrix_context)["pk"]
    client.force_login(matrix_context["therapist"])
    for name, headers in (
        ("needling:plan_detail", {}),
        ("needling:plan_workspace", {"HX-Request": "true"}),
    ):
        response = client.get(reverse(name, kwargs={"pk": pk}), headers=headers)
        assert response.status_code == 200
        assert b"plan-chart" in response.content  # the body chart is on the page
        assert inline_code(response.content.decode()) == [], name


def test_public_pages_errors_admin_and_the_api_send_the_headers(client, manager):
    login = client.get(reverse("login"))
    assert_secure_headers(login, "login")
    assert inline_code(login.content.decode()) == []
    assert_secure_headers(client.get(reverse("health")), "health")
    assert_secure_headers(client.post(reverse("api_screening_evaluate"), {}), "api 401")
    client.force_login(manager)
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert_secure_headers(missing, "404")
    assert_secure_headers(client.get(reverse("admin:index")), "admin")
    assert_secure_headers(
        client.post(reverse("api_screening_evaluate"), data="{}", content_type="application/json"),
        "api 400",
    )


def test_templates_carry_no_inline_script_event_handlers_or_style_attributes():
    from pathlib import Path

    root = Path(settings.BASE_DIR) / "templates"
    offenders = {}
    for path in root.rglob("*.html"):
        if path.parts[len(root.parts)] in {"pdf", "emails"}:
            continue  # rendered to PDF or mail, never served to a browser
        found = inline_code(path.read_text())
        if found:
            offenders[str(path.relative_to(root))] = found
    assert offenders == {}


def test_the_patients_own_intake_pages_have_no_inline_code(front_desk_client):
    """The pages a patient opens from a link (public, so not in the URL matrix): the link
    page, every questionnaire step with its progress bar, and the consent with its scrolling
    text."""
    from django.test import Client

    from patients.intake.questionnaire import STEPS
    from tests.factories import PatientFactory
    from tests.intake.helpers import send_link, verify

    patient = PatientFactory(email="patient@example.test")
    path = send_link(front_desk_client, patient)
    client = Client()
    pages = {"link": client.get(path)}
    assert verify(client, path, patient.date_of_birth.isoformat()).status_code == 302
    for step in STEPS:
        pages[step.title] = client.get(reverse("intake:step", args=[step.number]))
    pages["done"] = client.get(reverse("intake:done"))
    for what, response in pages.items():
        assert response.status_code == 200, what
        assert_secure_headers(response, what)
        assert inline_code(response.content.decode()) == [], what
    assert b"progress-bar pct-" in pages[STEPS[0].title].content
    assert b"consent-scroll" in pages[STEPS[-1].title].content
