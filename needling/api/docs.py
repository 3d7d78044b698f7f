"""The screening API's OpenAPI document and a readable page of it, for staff."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinic.common.access import any_staff
from needling.api.schema import PATH, openapi_document
from needling.knowledge import selectors

# The document's objects in reading order: the request, its parts, the answer, the errors.
DOC_ORDER = (
    "ScreeningRequest",
    "Case",
    "Practitioner",
    "Patient",
    "Site",
    "Override",
    "Screening",
    "Anticoagulant",
    "Device",
    "RegionFlag",
    "Lymphedema",
    "Surgery",
    "ScreeningResponse",
    "Result",
    "Finding",
    "SiteRef",
    "IgnoredOverride",
    "Errors",
)
SHOWN_CODES = 12


def _staff_only(request: HttpRequest) -> None:
    if request.user.role is None:
        raise PermissionDenied("Staff only.")


def _document() -> dict:
    return openapi_document(muscles=selectors.muscle_facts())


@any_staff
@require_GET
def api_schema(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3.1 document (JSON), with the clinic's muscle codes."""
    _staff_only(request)
    return JsonResponse(_document(), json_dumps_params={"indent": 1})


def _type_text(schema: dict) -> tuple[str, str | None]:
    """A short type for the table and the object it refers to, if any."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return name, name
    if "anyOf" in schema or "oneOf" in schema:
        parts = [_type_text(s) for s in schema.get("anyOf", schema.get("oneOf"))]
        ref = next((r for _, r in parts if r), None)
        return " or ".join(t for t, _ in parts), ref
    kinds = schema.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    text = []
    ref = None
    for kind in kinds:
        if kind == "array":
            inner, ref = _type_text(schema.get("items", {}))
            text.append(f"list of {inner}")
        elif kind == "string" and schema.get("format") == "date":
            text.append("date (YYYY-MM-DD)")
        else:
            text.append(kind)
    return " or ".join(text), ref


def _rows(schema: dict) -> list[dict]:
    required = set(schema.get("required", ()))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        text, ref = _type_text(prop)
        codes = [c for c in prop.get("enum", ()) if c is not None]
        notes = []
        if "default" in prop:
            notes.append(f"default {json.dumps(prop['default'])}")
        if "minItems" in prop:
            notes.append(f"at least {prop['minItems']}")
        if "description" in prop:
            notes.insert(0, prop["description"])
        if "pattern" in prop and prop.get("format") != "date":
            notes.append(f"pattern {prop['pattern']}")
        rows.append(
            {
                "name": name,
                "type": text,
                "ref": ref,
                "required": name in required,
                "codes": codes[:SHOWN_CODES],
                "more_codes": max(len(codes) - SHOWN_CODES, 0),
                "notes": "; ".join(notes),
            }
        )
    return rows


@any_staff
@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    """The document as a page: the operation, every object's fields, the examples."""
    _staff_only(request)
    document = _document()
    schemas = document["components"]["schemas"]
    operation = document["paths"][PATH]["post"]
    objects = [
        {
            "name": name,
            "description": schemas[name].get("description", ""),
            "rows": _rows(schemas[name]),
            "variants": [_type_text(s) for s in schemas[name].get("oneOf", ())],
        }
        for name in DOC_ORDER
    ]
    examples = {
        "request": json.dumps(
            operation["requestBody"]["content"]["application/json"]["example"], indent=2
        ),
        "response": json.dumps(
            operation["responses"]["200"]["content"]["application/json"].get("example"), indent=2
        ),
        "error": json.dumps(
            operation["responses"]["400"]["content"]["application/json"]["example"], indent=2
        ),
    }
    responses = [(code, r["description"]) for code, r in operation["responses"].items()]
    context = {
        "path": PATH,
        "info": document["info"],
        "objects": objects,
        "examples": examples,
        "responses": responses,
    }
    return render(request, "needling/api/api_docs.html", context)
