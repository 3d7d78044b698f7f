"""What staff see when reviewing an intake: each answer beside the last screening's, with
the changes marked."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from patients.forms import FINDING_FORMSETS, FINDING_LISTS, FOLLOW_UPS, YES, QuestionnaireForm
from patients.intake.questionnaire import QUESTION_STEPS, Checked


@dataclass(frozen=True)
class Row:
    label: str
    answer: str
    previous: str | None  # None: no earlier screening
    changed: bool
    detail: bool = False  # a follow-up detail of the question above


def _show(value, field=None) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    choices = dict(getattr(field, "choices", ()) or ())
    if choices and value in choices:
        return str(choices[value])
    return str(value)


def _clean(field, value):
    try:
        return field.clean(value)
    except ValidationError:
        return value


def _row_text(list_key: str, row: dict) -> str:
    fields = FINDING_FORMSETS[list_key].form.base_fields
    parts = []
    for name, field in fields.items():
        value = row.get(name)
        if value in (None, "", False):
            continue
        parts.append(field.label if value is True else _show(value, field))
    return ", ".join(str(p) for p in parts)


def comparison(checked: Checked, previous) -> list[tuple[str, list[Row]]]:
    form = checked.form
    data = form.cleaned_data
    before = QuestionnaireForm.initial_from(previous) if previous is not None else None
    sections = []
    for step in QUESTION_STEPS:
        rows: list[Row] = []
        if step.kind == "questions":
            parent_of = {c: p for p, kids in FOLLOW_UPS.items() for c in kids}
            for name in step.names:
                field = form.fields[name]
                parent = parent_of.get(name)
                answer = data.get(name)
                old = _clean(field, before.get(name)) if before is not None else None
                # A follow-up detail counts only on the side whose question was answered yes.
                if parent is not None:
                    if data.get(parent) is not True:
                        answer = None
                    if before is None or before.get(parent) != YES:
                        old = None
                    if answer in (None, "") and old in (None, ""):
                        continue
                rows.append(
                    Row(
                        label=str(field.label),
                        answer=_show(answer, field),
                        previous=_show(old, field) if before is not None else None,
                        changed=before is not None and answer != old,
                        detail=parent is not None,
                    )
                )
        else:
            for finding_list in FINDING_LISTS:
                new = sorted(
                    _row_text(finding_list.key, r)
                    for r in checked.findings.get(finding_list.key, [])
                )
                old_rows = None
                if previous is not None:
                    fields = FINDING_FORMSETS[finding_list.key].form._meta.fields
                    old_rows = sorted(
                        _row_text(finding_list.key, {f: getattr(r, f) for f in fields})
                        for r in getattr(previous, finding_list.key).all()
                    )
                rows.append(
                    Row(
                        label=finding_list.title,
                        answer="; ".join(new) or "None",
                        previous=("; ".join(old_rows) or "None") if old_rows is not None else None,
                        changed=old_rows is not None and new != old_rows,
                    )
                )
        sections.append((step.title, rows))
    return sections
