"""The OpenAPI 3.1 document of ``POST /api/screening/evaluate``, generated from the contract.

Why generated here rather than by django-ninja or DRF: either framework would need the
contract declared a second time (Pydantic models or serializers) and would parse the body
itself, with its own error format, beside the contract's one strict parser
(``needling/screening/contract.py``) whose messages name the field path. Generating from
the contract's own declarations is smaller (this module, no run-time dependency) and cannot
describe a different contract from the one the API runs:

- Objects, their fields and which fields are required come from the engine's value types
  (``Screening``, ``Anticoagulant``, ``Device``, ``Site``, ... in ``needling/screening/``):
  the contract's JSON keys are exactly their field names, a field without a default is
  required, ``X | None`` is nullable, ``tuple[X, ...]`` is a list, ``date`` an ISO date.
- Each screening answer is described by its question (``patients.questions``, the
  questionnaire's one declaration, from which the ``Screening`` type is also made).
- Codes come from the knowledge catalogue the parser checks against (regions, sides, device
  kinds, limbs, epilepsy, rule codes, and the clinic's muscle catalogue when served).
- The few rules the types do not carry are declared below, next to where the parser
  enforces them: the ``practitioner`` and ``patient`` envelopes, null accepted for a
  defaulted value, at least one site, the override reason's trimmed length, and
  ``screening`` being required once ``screened_on`` is given.

tests/needling/test_api_schema.py mutates the contract's example at every field and checks
the schema and the parser accept and refuse exactly the same documents, so a change to
either that the other does not follow fails the build.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Collection, Mapping
from typing import Any

from needling.knowledge.catalogue import (
    DEFAULT_MUSCLES,
    DEVICE_KIND_CODES,
    EPILEPSY_CODES,
    LIMB_REGIONS,
    REGION_CODES,
    SIDE_CODES,
    SITE_SIDE_CODES,
    Muscle,
)
from needling.knowledge.rules import RULE_CODES
from needling.screening import (
    Anticoagulant,
    Case,
    Device,
    Finding,
    IgnoredOverride,
    Lymphedema,
    Override,
    RegionFlag,
    Result,
    Screening,
    Site,
    Surgery,
    evaluate_json,
)
from needling.screening.engine import CPT_FEW_MUSCLES, CPT_MANY_MUSCLES, OVERRIDE_REASON_MIN
from patients.questions import SCREENING as SCREENING_QUESTIONS

Schema = dict[str, Any]
PATH = "/api/screening/evaluate"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

# The request's objects, in the order the document lists them.
INPUT_TYPES = (Site, Override, RegionFlag, Device, Lymphedema, Surgery, Anticoagulant, Screening)
# The response's objects; a finding's sites are (muscle, side) pairs sent as objects.
OUTPUT_TYPES = (Finding, IgnoredOverride, Result)

# Case fields the contract groups into envelope objects (parse_case and _patient).
CASE_ENVELOPES: Mapping[str, tuple[str, ...]] = {
    "practitioner": ("dn_certified_until",),
    "patient": ("date_of_birth", "consent_signed_on", "screened_on", "screening"),
}
CASE_DESCRIPTION = (
    "One proposed DN session: when, by whom (the practitioner), for whom (the patient), "
    "which sites, and any overrides of relative findings."
)
ENVELOPE_DESCRIPTIONS = {
    "practitioner": "The practitioner's DN certification; absent or null when none is known.",
    "patient": (
        "The patient's facts. screening may be left out only when screened_on is null or "
        "absent (then screening_stale fires)."
    ),
}
# Envelopes that may be null, read like an absent one (_certified_until).
NULLABLE_ENVELOPES = frozenset({"practitioner"})
# Defaulted fields whose null the contract reads as the default (_anticoagulant).
NULL_MEANS_DEFAULT = frozenset(
    {
        ("Anticoagulant", "drug"),
        ("Anticoagulant", "inr_target_low"),
        ("Anticoagulant", "inr_target_high"),
    }
)
# Lists with a minimum length (parse_case: "a plan has at least one site").
MIN_ITEMS = {("Case", "sites"): 1}
# Output fields left out of the JSON when None rather than sent as null (Finding.to_dict).
OMITTED_WHEN_NONE = frozenset({("Finding", "overridden")})


# Each screening answer is described by its question, from the questionnaire's declaration.
FIELD_DESCRIPTIONS = {("Screening", q.key): q.question for q in SCREENING_QUESTIONS}


def _codes(muscles: Mapping[str, Muscle]) -> dict[tuple[str, str], Collection[str]]:
    """(type, field) -> the codes the parser accepts; "*" matches any type."""
    return {
        ("*", "region"): REGION_CODES,
        ("*", "side"): SIDE_CODES,
        ("*", "kind"): DEVICE_KIND_CODES,
        ("*", "limb"): LIMB_REGIONS.keys(),
        ("*", "epilepsy"): EPILEPSY_CODES,
        ("*", "rule"): RULE_CODES,
        ("*", "muscle"): muscles.keys(),
        ("Site", "side"): SITE_SIDE_CODES,
        ("SiteRef", "side"): SITE_SIDE_CODES,
        ("Result", "cpt_code"): (CPT_FEW_MUSCLES, CPT_MANY_MUSCLES),
    }


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Schema) -> Schema:
    if "type" in schema and "$ref" not in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        out = {**schema, "type": [*kinds, "null"]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [schema, {"type": "null"}]}


def _doc(cls) -> str:
    return " ".join((cls.__doc__ or "").replace("``", "").split())


class _Builder:
    def __init__(self, muscles: Mapping[str, Muscle]) -> None:
        self.codes = _codes(muscles)

    def field_schema(self, owner: str, name: str, hint) -> Schema:
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin in (typing.Union, types.UnionType):
            inner = [a for a in args if a is not type(None)]
            (only,) = inner
            schema = self.field_schema(owner, name, only)
            if type(None) in args and (owner, name) not in OMITTED_WHEN_NONE:
                return _nullable(schema)
            return schema
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            items = args[0]
            if typing.get_origin(items) is tuple:  # a SiteRef (muscle, side)
                return {"type": "array", "items": _ref("SiteRef")}
            schema: Schema = {"type": "array", "items": self.field_schema(owner, name, items)}
            if (owner, name) in MIN_ITEMS:
                schema["minItems"] = MIN_ITEMS[owner, name]
            return schema
        if origin is typing.Literal:
            return {"type": "string", "enum": list(args)}
        if dataclasses.is_dataclass(hint):
            return _ref(hint.__name__)
        if hint is bool:
            return {"type": "boolean"}
        if hint is float:
            return {"type": "number"}
        if hint is int:
            return {"type": "integer"}
        if hint is dt.date:
            return {"type": "string", "format": "date", "pattern": DATE_PATTERN}
        if hint is str:
            codes = self.codes.get((owner, name), self.codes.get(("*", name)))
            if codes is not None:
                return {"type": "string", "enum": sorted(codes)}
            return {"type": "string"}
        raise TypeError(f"{owner}.{name}: no JSON schema for {hint!r}")

    def object_schema(self, cls, *, fields=None, name: str | None = None) -> Schema:
        owner = name or cls.__name__
        hints = typing.get_type_hints(cls)
        chosen = [f for f in dataclasses.fields(cls) if fields is None or f.name in fields]
        properties: dict[str, Schema] = {}
        required = []
        for f in chosen:
            schema = self.field_schema(owner, f.name, hints[f.name])
            if (owner, f.name) in NULL_MEANS_DEFAULT:
                schema = _nullable(schema)
            has_default = not (
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            )
            if has_default and f.default not in (None, (), False) and "$ref" not in schema:
                schema["default"] = f.default
            if (owner, f.name) in FIELD_DESCRIPTIONS:
                schema = {**schema, "description": FIELD_DESCRIPTIONS[owner, f.name]}
            if not has_default and (owner, f.name) not in OMITTED_WHEN_NONE:
                required.append(f.name)
            properties[f.name] = schema
        out: Schema = {"type": "object", "additionalProperties": False, "properties": properties}
        if required:
            out["required"] = required
        if doc := _doc(cls):
            out["description"] = doc
        return out

    def case_schemas(self) -> dict[str, Schema]:
        """The case and its envelope objects (``Practitioner``, ``Patient``)."""
        grouped = {name for names in CASE_ENVELOPES.values() for name in names}
        top = [f.name for f in dataclasses.fields(Case) if f.name not in grouped]
        case = self.object_schema(Case, fields=top)
        case["description"] = CASE_DESCRIPTION
        required = list(case.get("required", []))
        out = {"Case": case}
        for envelope, names in CASE_ENVELOPES.items():
            inner = self.object_schema(Case, fields=names, name="Case")
            inner["description"] = ENVELOPE_DESCRIPTIONS[envelope]
            component = envelope.capitalize()
            out[component] = inner
            ref = _ref(component)
            case["properties"][envelope] = _nullable(ref) if envelope in NULLABLE_ENVELOPES else ref
            if inner.get("required"):
                required.append(envelope)
        case["required"] = required
        # _patient: "screening ... required when screened_on is given".
        out["Patient"]["if"] = {
            "properties": {"screened_on": {"type": "string"}},
            "required": ["screened_on"],
        }
        out["Patient"]["then"] = {
            "properties": {"screening": _ref("Screening")},
            "required": ["screening"],
        }
        return out

    def override_schema(self) -> Schema:
        schema = self.object_schema(Override)
        # "a reason of at least 20 characters after trimming"
        schema["properties"]["reason"]["pattern"] = (
            rf"^\s*\S[\s\S]{{{OVERRIDE_REASON_MIN - 2},}}\S\s*$"
        )
        return schema

    def components(self) -> dict[str, Schema]:
        schemas: dict[str, Schema] = self.case_schemas()
        for cls in INPUT_TYPES:
            schemas[cls.__name__] = (
                self.override_schema() if cls is Override else self.object_schema(cls)
            )
        schemas["SiteRef"] = {
            "type": "object",
            "additionalProperties": False,
            "required": ["muscle", "side"],
            "properties": {
                "muscle": self.field_schema("SiteRef", "muscle", str),
                "side": self.field_schema("SiteRef", "side", str),
            },
        }
        for cls in OUTPUT_TYPES:
            schemas[cls.__name__] = self.object_schema(cls)
        schemas["ScreeningRequest"] = {
            "description": "One case, or a list of cases screened as a batch (all or nothing).",
            "oneOf": [_ref("Case"), {"type": "array", "items": _ref("Case")}],
        }
        schemas["ScreeningResponse"] = {
            "description": "A result for a case; a list of results in order for a list.",
            "oneOf": [_ref("Result"), {"type": "array", "items": _ref("Result")}],
        }
        schemas["Errors"] = {
            "type": "object",
            "additionalProperties": False,
            "required": ["errors"],
            "properties": {
                "errors": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": {"type": "string"},
                    "description": (
                        "Field path -> message, e.g. "
                        '{"patient.screening.anticoagulant.inr": "expected a number"}; in a '
                        'batch the path starts with the index, e.g. "[3].sites[0].muscle". '
                        "Authentication and size errors use authorization, csrf or body."
                    ),
                }
            },
        }
        return schemas


def _response(description: str, schema: str, example=None) -> Schema:
    content: Schema = {"schema": _ref(schema)}
    if example is not None:
        content["example"] = example
    return {"description": description, "content": {"application/json": content}}


INFO = {
    "title": "DN clinic screening API",
    "version": "1",
    "description": (
        "Screens one proposed dry-needling session (or a batch) against the "
        "contraindication rules with the clinic's policy, exactly as plans are "
        "screened in the app. Staff only: an API token from Profile > API tokens, "
        "or a logged-in session with its CSRF token."
    ),
}
SECURITY_SCHEMES = {
    "tokenAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Authorization: Token <key>",
    },
    "bearerAuth": {"type": "http", "scheme": "bearer"},
    "sessionAuth": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
}


def openapi_document(*, muscles: Mapping[str, Muscle] = DEFAULT_MUSCLES) -> Schema:
    """The OpenAPI 3.1 document; ``muscles`` is the catalogue whose codes ``sites`` accept."""
    from needling.api.examples import CONTRACT_EXAMPLE

    example_result = (
        evaluate_json(CONTRACT_EXAMPLE, muscles=muscles)
        if all(site["muscle"] in muscles for site in CONTRACT_EXAMPLE["sites"])
        else None
    )
    return {
        "openapi": "3.1.0",
        "info": copy.deepcopy(INFO),
        "paths": {PATH: {"post": _evaluate_operation(CONTRACT_EXAMPLE, example_result)}},
        "components": {
            "schemas": _Builder(muscles).components(),
            "securitySchemes": copy.deepcopy(SECURITY_SCHEMES),
        },
    }


def _evaluate_operation(example: Schema, example_result) -> Schema:
    """``POST /api/screening/evaluate``: the request, its answers and who may call it."""
    errors = "Errors"
    return {
        "operationId": "screeningEvaluate",
        "summary": "Screen a proposed DN session",
        "security": [{"tokenAuth": []}, {"bearerAuth": []}, {"sessionAuth": []}],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _ref("ScreeningRequest"), "example": example}
            },
        },
        "responses": {
            "200": _response("The decision", "ScreeningResponse", example_result),
            "400": _response(
                "Not the contract: the field path and what is wrong",
                errors,
                {"errors": {"patient.screening.anticoagulant.inr": "expected a number"}},
            ),
            "401": _response("No or a revoked API token, and no session", errors),
            "403": _response("Not staff, or a session request without CSRF", errors),
            "413": _response("Body larger than 1,000,000 bytes", errors),
        },
    }
