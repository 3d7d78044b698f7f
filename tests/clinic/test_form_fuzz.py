"""Property tests for every form outside patients/ (those are in tests/patients/test_fuzz.py):
booking, booking setup, staff and locations, plans, session notes, policy and API tokens.

Each form is read from its own page (field names and initial values, as a browser would send
them); hypothesis then replaces any subset of the fields with junk: random text, huge text
and numbers, wrong types, impossible dates, repeated values. Whatever is posted the answer is
a page, a redirect or a 400, never a 500; and a post that is not a redirect changes no row.
A post without the CSRF token is refused with 403 and changes no row.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.clinic import test_access as access
from tests.hypothesis_profiles import examples

pytestmark = pytest.mark.django_db

matrix_context = access.matrix_context  # the URL matrix's fixture: users, patient, plan...
matrix_rows = access.matrix_rows  # the rows matrix_context reads, built once per module

FUZZ = settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

junk_text = st.one_of(
    st.text(max_size=20),
    st.text(min_size=300, max_size=400),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1",
            "99999999999999999999999",
            "-99999999999999999999",
            "1e308",
            "NaN",
            "inf",
            "2.5",
            "true",
            "on",
            "null",
            "[]",
            "{}",
            "2026-06-17",
            "2026-02-30",
            "2026-13-01",
            "0000-00-00",
            "9999-12-31",
            "17/06/2026",
            "25:61",
            "09:00",
            "12:00:00",
            "\x00",
            "a\x00b",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            '=HYPERLINK("x")',
            "x" * 5000,
            "left",
            "right",
            "midline",
            "bilateral",
        ]
    ),
)
junk = st.one_of(junk_text, st.lists(junk_text, min_size=2, max_size=3))

# Rows that a refused post must leave alone: every model of the app's own apps, less the logs
# that record reads (a 400 page may log that a record was shown).
READ_LOGS = {"patientaccesslog", "sessionaccesslog"}


def counted_models() -> list:
    return [
        model
        for app in ("clinic", "patients", "needling")
        for model in apps.get_app_config(app).get_models()
        if model._meta.model_name not in READ_LOGS
    ]


@functools.cache
def _row_counts_query() -> tuple[list[str], str, tuple]:
    """One SELECT of every counted model's `_default_manager.count()`, side by side."""
    labels, parts, params = [], [], []
    for model in counted_models():
        sql, more = model._default_manager.values("pk").query.sql_with_params()
        # The ORM's own SQL for the manager's rows, with its parameters kept apart.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{len(parts)})")  # noqa: S608
        labels.append(model._meta.label)
        params.extend(more)
    return labels, "SELECT " + ", ".join(parts), tuple(params)


def row_counts() -> dict[str, int]:
    """The number of rows of every counted model, in one query (two per example, and one
    query per model made them half of this module's time)."""
    labels, sql, params = _row_counts_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(zip(labels, cursor.fetchone(), strict=True))


class FormFields(HTMLParser):
    """The fields of the page's <form method="post"> elements with their initial values."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_post_form = False

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._in_post_form = a.get("method", "").lower() == "post"
        if not self._in_post_form or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in {"submit", "button", "reset", "file"}:
                return
            self.values.setdefault(name, [])
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self.values[name].append(a.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select].append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            self.values.setdefault(name, [])

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_post_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


@dataclass(frozen=True)
class Target:
    url: str
    role: str
    kwargs: object = None  # ctx -> kwargs
    fields: tuple[str, ...] = ()  # for POST-only URLs (no page to read the form from)
    htmx: bool = False
    # A form that saves and answers 200 on the same page (the API token form shows the new
    # key once): a 200 may add one row of this model and nothing else.
    saves_on_200: str | None = None


TARGETS = [
    # Booking and its setup.
    Target("booking:book", "front_desk", access._location),
    Target("booking:appointment_move", "front_desk", access._appointment),
    Target("booking:appointment_cancel", "front_desk", access._appointment),
    Target("booking:type_create", "manager"),
    Target("booking:type_edit", "manager", access._appointment_type),
    Target("booking:opening_hours_edit", "manager", access._location),
    Target("booking:working_hours_add", "manager", access._location),
    Target("booking:exception_add", "manager"),
    # Staff and locations.
    Target("staff_create", "manager"),
    Target("staff_edit", "manager", access._staff),
    Target("licence_add", "manager", access._staff),
    Target("certification_add", "manager", access._staff),
    Target("location_create", "manager"),
    Target("location_edit", "manager", access._location),
    Target("room_create", "manager", access._location, fields=("name", "capacity", "notes")),
    Target("password_change", "therapist"),
    # Policy and API tokens.
    Target("needling:policy", "manager"),
    Target("needling:api_tokens", "therapist", saves_on_200="needling.ApiToken"),
    # DN plans.
    Target("needling:plan_new", "therapist", lambda ctx: {"patient_pk": ctx["patient"].pk}),
    Target("needling:plan_edit", "therapist", access._plan),
    Target(
        "needling:plan_site_add",
        "therapist",
        access._plan,
        fields=("muscle", "side", "technique", "needle_gauge", "needle_length_mm", "notes"),
        htmx=True,
    ),
    Target(
        "needling:plan_override", "therapist", access._plan, fields=("rule", "reason"), htmx=True
    ),
    # Session notes.
    Target("needling:session_edit", "therapist", access._session_pk),
    Target(
        "needling:adverse_event_add",
        "therapist",
        access._session_pk,
        fields=("kind", "severity", "description", "action_taken"),
    ),
]


def _form(client, url: str, target: Target) -> dict[str, list[str]]:
    if target.fields:
        return {name: [""] for name in target.fields}
    page = client.get(url)
    assert page.status_code == 200, url
    parser = FormFields()
    parser.feed(page.content.decode())
    parser.values.pop("csrfmiddlewaretoken", None)
    assert parser.values, f"no form fields found on {url}"
    return parser.values


def _setup(matrix_context, target: Target):
    user = matrix_context[target.role]
    matrix_context["current"] = user
    kwargs = target.kwargs(matrix_context) if target.kwargs else {}
    client = Client()
    client.force_login(user)
    url = reverse(target.url, kwargs=kwargs)
    return client, url, _form(client, url, target)


def test_row_counts_are_what_the_managers_count(matrix_context):
    expected = {model._meta.label: model._default_manager.count() for model in counted_models()}
    assert row_counts() == expected
    assert expected["patients.Patient"] > 0 and expected["clinic.User"] > 0


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.url)
def test_every_form_answers_junk_with_a_page_never_a_500(matrix_context, target):
    client, url, initial = _setup(matrix_context, target)
    headers = {"HX-Request": "true"} if target.htmx else {}

    @FUZZ
    @given(changes=st.dictionaries(st.sampled_from(sorted(initial)), junk, max_size=6))
    def post(changes):
        data = {**initial, **changes}
        before = row_counts()
        response = client.post(url, data, headers=headers)
        assert response.status_code in (200, 302, 400), (response.status_code, changes)
        after = row_counts()
        if response.status_code == 200 and target.saves_on_200 and after != before:
            before[target.saves_on_200] += 1
            assert after == before, f"more than one {target.saves_on_200} saved: {changes!r}"
        elif response.status_code != 302:
            assert after == before, f"a refused post changed rows: {changes!r}"

    post()


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.url)
def test_a_post_without_the_csrf_token_is_refused_and_saves_nothing(matrix_context, target):
    _, url, initial = _setup(matrix_context, target)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(matrix_context[target.role])
    before = row_counts()
    assert strict.post(url, initial).status_code == 403
    assert row_counts() == before


# --- The screening API ----------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=False, allow_infinity=False),
        junk_text,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _case_with(path: tuple[str, ...], value):
    import copy

    from tests.contract_example import EXAMPLE

    case = copy.deepcopy(EXAMPLE)
    target = case
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return case


CASE_PATHS = [
    ("session_date",),
    ("practitioner",),
    ("patient",),
    ("patient", "date_of_birth"),
    ("patient", "consent_signed_on"),
    ("patient", "screening"),
    ("sites",),
    ("overrides",),
]


@FUZZ
@given(body=st.one_of(json_values, st.binary(max_size=60)))
def test_the_screening_api_answers_any_body_with_json_never_a_500(therapist_client, body):
    raw = body if isinstance(body, bytes) else __import__("json").dumps(body)
    response = therapist_client.post(
        reverse("api_screening_evaluate"), data=raw, content_type="application/json"
    )
    assert response.status_code in (200, 400), response.status_code
    assert response["Content-Type"].startswith("application/json")


@FUZZ
@given(path=st.sampled_from(CASE_PATHS), value=json_values)
def test_the_screening_api_names_the_bad_field_of_a_nearly_valid_case(
    therapist_client, path, value
):
    import json

    response = therapist_client.post(
        reverse("api_screening_evaluate"),
        data=json.dumps(_case_with(path, value)),
        content_type="application/json",
    )
    assert response.status_code in (200, 400), response.status_code
    assert isinstance(response.json(), dict)


def test_the_screening_api_refuses_a_session_post_without_csrf(therapist):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(therapist)
    response = strict.post(
        reverse("api_screening_evaluate"), data="{}", content_type="application/json"
    )
    assert response.status_code == 403
