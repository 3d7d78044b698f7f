"""The screening contract's JSON adapter: strict parsing into a ``Case``; JSON in, JSON out.

Bad input raises ``ContractError`` (and nothing else, for any JSON-shaped value) whose text is
one line naming the field path, for example ``patient.screening.anticoagulant.inr: expected a
number`` or ``[3].sites[0].muscle: unknown muscle code "foo"``. A ``practitioner`` of null is
read like an absent one (no certification known); everything else is as the contract says.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Any, TypeVar

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
from needling.screening.case import (
    DEFAULT_POLICY,
    Anticoagulant,
    Case,
    Device,
    Lymphedema,
    Override,
    Policy,
    RegionFlag,
    Screening,
    Site,
    Surgery,
)
from needling.screening.engine import OVERRIDE_REASON_MIN, evaluate
from patients.questions import (
    ANTICOAGULANT_KEYS,
    BOOLEAN_KEYS,
    FINDING_LISTS,
    ROW_FIELDS,
    SCREENING_KEYS,
)

T = TypeVar("T")
Json = Any

_DIGITS = frozenset("0123456789")
_MAX_SHOWN = 60


class ContractError(ValueError):
    """Input that does not follow the screening contract, with the offending field's path."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(path, message)
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return f"{self.path or 'case'}: {self.message}"


# ---------------------------------------------------------------- paths and scalars


def _key(path: str, key: object) -> str:
    """``path.key``, or ``path["odd key"]`` when the key is not a plain name (one line)."""
    if isinstance(key, str) and key.isidentifier() and key.isascii():
        return f"{path}.{key}" if path else key
    return f"{path}[{_show(key)}]"


def _show(value: object) -> str:
    """A short, one-line rendering of a bad value for a message."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if not isinstance(value, str | int | float | bool) and value is not None:
        return type(value).__name__
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _object(value: Json, path: str, fields: Collection[str], required: tuple[str, ...] = ()):
    """A JSON object with only ``fields`` and every ``required`` field."""
    if not isinstance(value, dict):
        raise ContractError(path, "expected an object")
    for key in value:
        if key not in fields:
            raise ContractError(_key(path, key), "unknown field")
    for key in required:
        if key not in value:
            raise ContractError(_key(path, key), "required field")
    return value


def _bool(value: Json, path: str) -> bool:
    if not isinstance(value, bool):
        raise ContractError(path, "expected true or false")
    return value


def _number(value: Json, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ContractError(path, "expected a number")
    try:
        number = float(value)
    except OverflowError:
        raise ContractError(path, "number out of range") from None
    if not math.isfinite(number):
        raise ContractError(path, "expected a finite number")
    return number


def _text(value: Json, path: str) -> str:
    if not isinstance(value, str):
        raise ContractError(path, "expected a string")
    return value


def _date(value: Json, path: str) -> date:
    """A strict ISO calendar date, YYYY-MM-DD."""
    if not isinstance(value, str):
        raise ContractError(path, "expected a date as YYYY-MM-DD")
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        raise ContractError(path, f"expected a date as YYYY-MM-DD, got {_show(value)}")
    year, month, day = value[:4], value[5:7], value[8:]
    if not _DIGITS.issuperset(year + month + day):
        raise ContractError(path, f"expected a date as YYYY-MM-DD, got {_show(value)}")
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ContractError(path, f"not a real calendar date: {_show(value)}") from None


def _code(value: Json, path: str, codes: Collection[str], what: str) -> str:
    if not isinstance(value, str) or value not in codes:
        raise ContractError(path, f"unknown {what} {_show(value)}")
    return value


def _choice(value: Json, path: str, choices: Collection[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ContractError(path, f"expected one of {', '.join(sorted(choices))}")
    return value


def _list_of(item: Callable[[Json, str], T]) -> Callable[[Json, str], tuple[T, ...]]:
    """A reader of a JSON list whose entries ``item`` reads."""

    def read(value: Json, path: str) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise ContractError(path, "expected a list")
        return tuple(item(entry, f"{path}[{index}]") for index, entry in enumerate(value))

    return read


def _optional(
    obj: Mapping[str, Json], key: str, path: str, read: Callable[[Json, str], T], default: T
) -> T:
    """``obj[key]`` read by ``read``; ``default`` when the key is absent."""
    if key not in obj:
        return default
    return read(obj[key], _key(path, key))


def _nullable(read: Callable[[Json, str], T]) -> Callable[[Json, str], T | None]:
    """``read`` that also accepts null (as None)."""

    def read_or_none(value: Json, path: str) -> T | None:
        return None if value is None else read(value, path)

    return read_or_none


_optional_date = _nullable(_date)


def _epilepsy(value: Json, path: str) -> str:
    return _choice(value, path, EPILEPSY_CODES)


def _region(value: Json, path: str) -> str:
    return _code(value, path, REGION_CODES, "region code")


def _side(value: Json, path: str) -> str:
    return _code(value, path, SIDE_CODES, "side code")


# ---------------------------------------------------------------- screening parts

_REGION_FLAG = frozenset(ROW_FIELDS["region_flag"])
_DEVICE = frozenset(ROW_FIELDS["device"])
_LYMPHEDEMA = frozenset(ROW_FIELDS["lymphedema"])
_SURGERY = frozenset(ROW_FIELDS["surgery"])
_ANTICOAGULANT = frozenset(ANTICOAGULANT_KEYS)


def _region_flag(value: Json, path: str) -> RegionFlag:
    obj = _object(value, path, _REGION_FLAG, ("region", "side"))
    return RegionFlag(_region(obj["region"], f"{path}.region"), _side(obj["side"], f"{path}.side"))


def _device(value: Json, path: str) -> Device:
    obj = _object(value, path, _DEVICE, ("kind", "region", "side"))
    return Device(
        kind=_choice(obj["kind"], f"{path}.kind", DEVICE_KIND_CODES),
        region=_region(obj["region"], f"{path}.region"),
        side=_side(obj["side"], f"{path}.side"),
    )


def _lymphedema(value: Json, path: str) -> Lymphedema:
    obj = _object(value, path, _LYMPHEDEMA, ("limb", "side"))
    return Lymphedema(
        limb=_choice(obj["limb"], f"{path}.limb", LIMB_REGIONS.keys()),
        side=_side(obj["side"], f"{path}.side"),
    )


def _surgery(value: Json, path: str) -> Surgery:
    obj = _object(value, path, _SURGERY, ("on", "region", "side"))
    return Surgery(
        on=_date(obj["on"], f"{path}.on"),
        region=_region(obj["region"], f"{path}.region"),
        side=_side(obj["side"], f"{path}.side"),
        joint_replacement=_optional(obj, "joint_replacement", path, _bool, False),
    )


def _anticoagulant(value: Json, path: str) -> Anticoagulant:
    obj = _object(value, path, _ANTICOAGULANT)
    optional_number = _nullable(_number)
    low = _optional(obj, "inr_target_low", path, optional_number, None)
    high = _optional(obj, "inr_target_high", path, optional_number, None)
    return Anticoagulant(
        drug=_optional(obj, "drug", path, _nullable(_text), None) or "",
        vitamin_k_antagonist=_optional(obj, "vitamin_k_antagonist", path, _bool, False),
        inr=_optional(obj, "inr", path, optional_number, None),
        inr_on=_optional(obj, "inr_on", path, _optional_date, None),
        inr_target_low=2.0 if low is None else low,
        inr_target_high=3.0 if high is None else high,
        last_dose_change_on=_optional(obj, "last_dose_change_on", path, _optional_date, None),
        recent_bleeding=_optional(obj, "recent_bleeding", path, _bool, False),
    )


# Row readers by the row shapes of patients.questions.ROW_FIELDS.
_ROW_READERS: dict[str, Callable[[Json, str], object]] = {
    "region_flag": _region_flag,
    "device": _device,
    "lymphedema": _lymphedema,
    "surgery": _surgery,
}
_SCREENING_BOOLEANS = BOOLEAN_KEYS
_SCREENING_LISTS: dict[str, Callable[[Json, str], tuple[object, ...]]] = {
    f.key: _list_of(_ROW_READERS[f.row]) for f in FINDING_LISTS
}
_SCREENING = frozenset(SCREENING_KEYS)


def _screening(value: Json, path: str) -> Screening:
    obj = _object(value, path, _SCREENING)
    answers: dict[str, object] = {
        name: _optional(obj, name, path, _bool, False) for name in _SCREENING_BOOLEANS
    }
    for name, read in _SCREENING_LISTS.items():
        answers[name] = _optional(obj, name, path, read, ())
    return Screening(
        anticoagulant=_optional(obj, "anticoagulant", path, _nullable(_anticoagulant), None),
        pregnancy_due_date=_optional(obj, "pregnancy_due_date", path, _optional_date, None),
        epilepsy=_optional(obj, "epilepsy", path, _epilepsy, "none"),
        **answers,
    )


# ---------------------------------------------------------------- the case

_CASE = frozenset({"session_date", "practitioner", "patient", "sites", "overrides"})
_PRACTITIONER = frozenset({"dn_certified_until"})
_PATIENT = frozenset({"date_of_birth", "consent_signed_on", "screened_on", "screening"})
_SITE = frozenset({"muscle", "side", "estim"})
_OVERRIDE = frozenset({"rule", "reason"})


def _site(muscles: Mapping[str, Muscle]) -> Callable[[Json, str], Site]:
    def read(value: Json, path: str) -> Site:
        obj = _object(value, path, _SITE, ("muscle", "side"))
        return Site(
            muscle=_code(obj["muscle"], f"{path}.muscle", muscles, "muscle code"),
            side=_choice(obj["side"], f"{path}.side", SITE_SIDE_CODES),
            estim=_optional(obj, "estim", path, _bool, False),
        )

    return read


def _override(value: Json, path: str) -> Override:
    obj = _object(value, path, _OVERRIDE, ("rule", "reason"))
    rule = _code(obj["rule"], f"{path}.rule", RULE_CODES, "rule code")
    reason = _text(obj["reason"], f"{path}.reason")
    if len(reason.strip()) < OVERRIDE_REASON_MIN:
        raise ContractError(
            f"{path}.reason", f"must be at least {OVERRIDE_REASON_MIN} characters after trimming"
        )
    return Override(rule, reason)


def _certified_until(value: Json, path: str) -> date | None:
    if value is None:
        return None
    obj = _object(value, path, _PRACTITIONER)
    return _optional(obj, "dn_certified_until", path, _optional_date, None)


def parse_case(
    obj: Json, *, muscles: Mapping[str, Muscle] = DEFAULT_MUSCLES, path: str = ""
) -> Case:
    """Read one contract case; ``path`` prefixes error paths (``[3]`` inside a batch)."""
    case = _object(obj, path, _CASE, ("session_date", "patient", "sites"))
    session_date = _date(case["session_date"], _key(path, "session_date"))
    certified_until = _optional(case, "practitioner", path, _certified_until, None)
    patient = _patient(case["patient"], _key(path, "patient"))
    sites = _list_of(_site(muscles))(case["sites"], _key(path, "sites"))
    if not sites:
        raise ContractError(_key(path, "sites"), "a plan has at least one site")
    overrides = _optional(case, "overrides", path, _list_of(_override), ())
    return Case(
        session_date=session_date,
        dn_certified_until=certified_until,
        sites=sites,
        overrides=overrides,
        **patient,
    )


def _patient(value: Json, path: str) -> dict[str, object]:
    """The contract's ``patient`` object as the patient fields of a ``Case``."""
    patient = _object(value, path, _PATIENT, ("date_of_birth",))
    screened_on = _optional(patient, "screened_on", path, _optional_date, None)
    screening = _optional(patient, "screening", path, _nullable(_screening), None)
    if screening is None and screened_on is not None:
        raise ContractError(_key(path, "screening"), "required when screened_on is given")
    return {
        "date_of_birth": _date(patient["date_of_birth"], _key(path, "date_of_birth")),
        "consent_signed_on": _optional(patient, "consent_signed_on", path, _optional_date, None),
        "screened_on": screened_on,
        "screening": screening,
    }


def parse_patient_case(obj: Json, *, session_date: date) -> Case:
    """A case with no planned sites, from the contract's ``patient`` object alone.

    For judging the patient before any plan exists (the patient page's alerts): only the
    rules that need no sites can fire. Raises ``ContractError`` like ``parse_case``.
    """
    return Case(session_date=session_date, sites=(), **_patient(obj, "patient"))


def parse_cases(obj: Json, *, muscles: Mapping[str, Muscle] = DEFAULT_MUSCLES) -> Case | list[Case]:
    """A case object gives a ``Case``; a list gives a list, errors naming the index."""
    if isinstance(obj, list):
        return [
            parse_case(item, muscles=muscles, path=f"[{index}]") for index, item in enumerate(obj)
        ]
    if isinstance(obj, dict):
        return parse_case(obj, muscles=muscles)
    raise ContractError("", "expected a case object or a list of case objects")


def evaluate_json(
    obj: Json,
    *,
    policy: Policy = DEFAULT_POLICY,
    muscles: Mapping[str, Muscle] = DEFAULT_MUSCLES,
) -> dict[str, object] | list[dict[str, object]]:
    """Contract JSON in, contract JSON out; a batch is all-or-nothing (one bad case fails it)."""
    parsed = parse_cases(obj, muscles=muscles)
    if isinstance(parsed, list):
        return [evaluate(case, policy=policy, muscles=muscles).to_dict() for case in parsed]
    return evaluate(parsed, policy=policy, muscles=muscles).to_dict()
