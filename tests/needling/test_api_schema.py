"""The screening API's OpenAPI document: valid OpenAPI, the contract's examples validate
against it, and it accepts and refuses exactly what the contract's parser does."""

from __future__ import annotations

import copy
import json

import pytest
from django.test import Client
from django.urls import reverse
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

from needling.api.examples import CONTRACT_EXAMPLE
from needling.api.schema import PATH, openapi_document
from needling.screening import ContractError, evaluate_json, parse_cases
from tests.contract_example import EXAMPLE
from tests.factories import UserFactory

DOCUMENT = openapi_document()

# The output example of screening-contract.md, verbatim.
DOC_OUTPUT_EXAMPLE = {
    "decision": "override_required",
    "findings": [
        {
            "rule": "anticoagulant",
            "severity": "relative",
            "sites": [],
            "overridden": True,
            "message": "...",
        },
        {
            "rule": "estim_cardiac_device",
            "severity": "relative",
            "sites": [{"muscle": "gluteus_medius", "side": "right"}],
            "overridden": False,
            "message": "...",
        },
        {
            "rule": "lung_field",
            "severity": "precaution",
            "sites": [{"muscle": "upper_trapezius", "side": "left"}],
            "message": "...",
        },
    ],
    "ignored_overrides": [],
    "cpt_code": "20560",
}


def validator(name: str, document=DOCUMENT) -> Draft202012Validator:
    """A JSON Schema 2020-12 validator for one component (OpenAPI 3.1 schemas are JSON
    Schema), with date formats checked."""
    root = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


REQUEST = validator("ScreeningRequest")
RESPONSE = validator("ScreeningResponse")
ERRORS = validator("Errors")


def test_the_document_is_valid_openapi():
    validate_openapi(DOCUMENT)
    assert DOCUMENT["openapi"].startswith("3.")
    assert list(DOCUMENT["paths"]) == [PATH] == [reverse("api_screening_evaluate")]


def test_the_shown_example_is_the_contracts_example():
    assert CONTRACT_EXAMPLE == EXAMPLE
    body = DOCUMENT["paths"][PATH]["post"]["requestBody"]["content"]["application/json"]
    assert body["example"] == EXAMPLE


def test_screening_answers_are_described_by_their_questions():
    from patients.questions import SCREENING

    screening = DOCUMENT["components"]["schemas"]["Screening"]["properties"]
    assert list(screening) == [q.key for q in SCREENING]
    assert {k: p["description"] for k, p in screening.items()} == {
        q.key: q.question for q in SCREENING
    }


def test_the_contracts_examples_validate_against_the_schema():
    REQUEST.validate(EXAMPLE)
    REQUEST.validate([EXAMPLE, EXAMPLE])
    RESPONSE.validate(DOC_OUTPUT_EXAMPLE)
    answer = evaluate_json(copy.deepcopy(EXAMPLE))
    RESPONSE.validate(answer)
    ok = DOCUMENT["paths"][PATH]["post"]["responses"]["200"]["content"]["application/json"]
    assert ok["example"] == answer
    # The doc's answer is the engine's, but for the human messages.
    strip = [{k: v for k, v in f.items() if k != "message"} for f in answer["findings"]]
    assert strip == [
        {k: v for k, v in f.items() if k != "message"} for f in DOC_OUTPUT_EXAMPLE["findings"]
    ]
    assert answer["decision"] == DOC_OUTPUT_EXAMPLE["decision"]
    assert answer["cpt_code"] == DOC_OUTPUT_EXAMPLE["cpt_code"]


# --- The schema and the parser agree on every mutation of the example ------------------------

REPLACEMENTS = [
    None,
    True,
    False,
    0,
    1,
    2.5,
    "",
    "x",
    "2026-02-30",
    "2026-03-10",
    "20260310",
    [],
    {},
    ["x"],
    [{}],
    "left",
    "bilateral",
    "chest",
    "deltoid",
    "anticoagulant",
    "controlled",
    "upper",
    "pacemaker",
    "A reason long enough to count.",
    "   short reason, padded     ",
    " " * 30 + "x",
]


def nodes(value, path=()):
    yield path, value
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from nodes(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from nodes(inner, (*path, index))


def replaced(document, path, new):
    out = copy.deepcopy(document)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return out


def removed(document, path):
    out = copy.deepcopy(document)
    target = out
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return out


def mutations():
    for path, value in nodes(EXAMPLE):
        if path:
            for new in REPLACEMENTS:
                yield f"{path} = {new!r}", replaced(EXAMPLE, path, new)
            if isinstance(path[-1], str):
                yield f"del {path}", removed(EXAMPLE, path)
        if isinstance(value, dict):
            yield (
                f"{path} + unknown",
                replaced(EXAMPLE, (*path, "unknown"), True)
                if path
                else {
                    **copy.deepcopy(EXAMPLE),
                    "unknown": True,
                },
            )
    # The envelopes the example does not exercise.
    yield "practitioner null", replaced(EXAMPLE, ("practitioner",), None)
    yield (
        "no screening, no screened_on",
        removed(removed(EXAMPLE, ("patient", "screening")), ("patient", "screened_on")),
    )
    yield (
        "screened_on null, screening null",
        replaced(
            replaced(EXAMPLE, ("patient", "screened_on"), None), ("patient", "screening"), None
        ),
    )
    yield "no sites", replaced(EXAMPLE, ("sites",), [])
    # Every field the schema declares, given: the parser must know it too.
    case = DOCUMENT["components"]["schemas"]["Case"]
    for path, value in declared_but_absent(EXAMPLE, case):
        yield f"{path} added", replaced(EXAMPLE, path, value)


def resolve(schema: dict) -> dict:
    """Follow $ref and pick the non-null branch, so the walk sees the object's properties."""
    while True:
        if "$ref" in schema:
            schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        elif "anyOf" in schema:
            schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
        else:
            return schema


def sample(schema: dict):
    """A value the schema accepts for a property (codes: the first one)."""
    schema = resolve(schema)
    codes = [c for c in schema.get("enum", ()) if c is not None]
    if codes:
        return codes[0]
    kinds = schema.get("type", "object")
    kind = next(k for k in (kinds if isinstance(kinds, list) else [kinds]) if k != "null")
    if kind == "string":
        return "2026-03-01" if schema.get("format") == "date" else "x"
    return {"boolean": True, "number": 1.0, "integer": 1, "array": [], "object": {}}[kind]


def declared_but_absent(document, schema, path=()):
    """(path, value) for every property the schema declares that the example leaves out."""
    schema = resolve(schema)
    if isinstance(document, dict):
        for name, prop in schema.get("properties", {}).items():
            if name in document:
                yield from declared_but_absent(document[name], prop, (*path, name))
            else:
                yield (*path, name), sample(prop)
    elif isinstance(document, list) and "items" in schema:
        for index, item in enumerate(document):
            yield from declared_but_absent(item, schema["items"], (*path, index))


def parser_accepts(document) -> bool:
    try:
        parse_cases(document)
    except ContractError:
        return False
    return True


def test_the_schema_accepts_and_refuses_exactly_what_the_parser_does():
    cases = list(mutations())
    assert len(cases) > 1500
    disagreements = [
        (label, parser_accepts(doc))
        for label, doc in cases
        if REQUEST.is_valid(doc) != parser_accepts(doc)
    ]
    assert disagreements == []
    # Both sides are exercised: many mutations are fine, many are not.
    verdicts = [parser_accepts(doc) for _, doc in cases]
    assert verdicts.count(True) > 100 and verdicts.count(False) > 500


def test_the_walk_finds_every_declared_field():
    """Without the example's fields, every declared field is added (and must parse)."""
    bare = {
        "session_date": "2026-03-10",
        "patient": {"date_of_birth": "1984-02-29"},
        "sites": [{"muscle": "deltoid", "side": "left"}],
        "overrides": [],
        "practitioner": {},
    }
    added = dict(declared_but_absent(bare, DOCUMENT["components"]["schemas"]["Case"]))
    assert ("patient", "screening") in added and ("sites", 0, "estim") in added
    assert ("practitioner", "dn_certified_until") in added
    assert parser_accepts(replaced(bare, ("sites", 0, "estim"), added["sites", 0, "estim"]))


def test_a_batch_is_all_or_nothing_in_the_schema_too():
    bad = replaced(EXAMPLE, ("sites", 0, "muscle"), "nope")
    assert not REQUEST.is_valid([EXAMPLE, bad])
    assert not parser_accepts([EXAMPLE, bad])
    assert REQUEST.is_valid([])


# --- Error bodies name the field path --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (
            replaced(EXAMPLE, ("patient", "screening", "anticoagulant", "inr"), "x"),
            "patient.screening.anticoagulant.inr",
        ),
        (replaced(EXAMPLE, ("sites", 1, "side"), "bilateral"), "sites[1].side"),
        (removed(EXAMPLE, ("patient", "date_of_birth")), "patient.date_of_birth"),
        (replaced(EXAMPLE, ("overrides", 0, "reason"), "too short"), "overrides[0].reason"),
        ([EXAMPLE, replaced(EXAMPLE, ("sites", 0, "muscle"), "nope")], "[1].sites[0].muscle"),
        ("[1, 2]", "[0]"),
    ],
)
def test_error_bodies_name_the_field_path(therapist_client, body, path):
    data = body if isinstance(body, str) else json.dumps(body)
    response = therapist_client.post(
        reverse("api_screening_evaluate"), data=data, content_type="application/json"
    )
    assert response.status_code == 400
    ERRORS.validate(response.json())
    assert list(response.json()["errors"]) == [path]


def test_real_answers_validate_against_the_response_schema(therapist_client):
    for body in (EXAMPLE, [EXAMPLE, removed(EXAMPLE, ("overrides",))]):
        response = therapist_client.post(
            reverse("api_screening_evaluate"),
            data=json.dumps(body),
            content_type="application/json",
        )
        assert response.status_code == 200
        RESPONSE.validate(response.json())


# --- Served to staff -------------------------------------------------------------------------


def test_staff_read_the_schema_and_the_page(therapist_client, front_desk_client, manager_client):
    for client in (therapist_client, front_desk_client, manager_client):
        served = client.get(reverse("api_schema"))
        assert served.status_code == 200
        validate_openapi(served.json())
        page = client.get(reverse("api_docs"))
        assert page.status_code == 200
    text = page.content.decode()
    for shown in (
        "POST /api/screening/evaluate",
        "dn_certified_until",
        "anticoagulant",
        "schema-Screening",
        "patient.screening.anticoagulant.inr",
        "override_required",
    ):
        assert shown in text


def test_the_served_schema_lists_the_clinics_muscles(therapist_client):
    from needling.knowledge.models import Muscle

    Muscle.objects.filter(code="deltoid").update(is_active=False)
    served = therapist_client.get(reverse("api_schema")).json()
    codes = served["components"]["schemas"]["Site"]["properties"]["muscle"]["enum"]
    assert "deltoid" not in codes and "upper_trapezius" in codes
    assert set(codes) == set(Muscle.objects.filter(is_active=True).values_list("code", flat=True))


@pytest.mark.django_db
def test_anonymous_and_role_less_users_are_refused():
    anonymous = Client()
    for name in ("api_schema", "api_docs"):
        response = anonymous.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    role_less = Client()
    role_less.force_login(UserFactory(username="norole"))
    for name in ("api_schema", "api_docs"):
        assert role_less.get(reverse(name)).status_code == 403
