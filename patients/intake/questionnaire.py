"""The intake's steps and the checking of its answers, with the staff questionnaire's form.

The patient answers patients.forms.QuestionnaireForm and the finding formsets (the one
declaration in patients/questions.py), a section per step. Answers are kept as the form's
raw data ({field: [values]}) so that the same form checks them again at every step, at
submission and when staff accept them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.http import QueryDict

from patients.forms import (
    FINDING_LISTS,
    FOLLOW_UPS,
    SECTIONS,
    QuestionnaireForm,
    apply_finding_errors,
    finding_formsets,
    findings_check,
)
from patients.models import Patient

# The staff form's own helpers for the finding formsets (built from the declaration): the
# intake uses them as patients.views.screening_new does rather than keeping a second copy.

FINDINGS_TITLE = "Body locations"
CONSENT_TITLE = "Consent"


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    kind: str  # "questions", "findings" or "consent"
    names: tuple[str, ...] = ()  # the questionnaire form's fields asked on this step

    def owns(self, key: str) -> bool:
        """Whether a form data key (a field or a finding formset key) belongs to this step."""
        if key in self.names:
            return True
        if self.kind == "findings":
            return key.partition("-")[0] in {f.key for f in FINDING_LISTS}
        return False


def _steps() -> tuple[Step, ...]:
    steps = []
    for title, names in SECTIONS:
        fields = []
        for name in names:
            fields.append(name)
            fields.extend(FOLLOW_UPS.get(name, ()))
        steps.append(Step(len(steps) + 1, title, "questions", tuple(fields)))
    steps.append(
        Step(len(steps) + 1, FINDINGS_TITLE, "findings", tuple(f.parent for f in FINDING_LISTS))
    )
    steps.append(Step(len(steps) + 1, CONSENT_TITLE, "consent"))
    return tuple(steps)


STEPS: tuple[Step, ...] = _steps()
QUESTION_STEPS = tuple(s for s in STEPS if s.kind != "consent")
CONSENT_STEP = STEPS[-1]


def step_get(number: int) -> Step | None:
    return STEPS[number - 1] if 1 <= number <= len(STEPS) else None


def as_querydict(
    data: dict[str, list[str]] | None, *, taken_on: dt.date | None = None
) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in (data or {}).items():
        if isinstance(values, str):
            values = [values]
        query.setlist(key, [str(v) for v in values])
    if taken_on is not None:
        query["taken_on"] = taken_on.isoformat()
    return query


def draft_merge(answers: dict, posted: QueryDict, step: Step) -> dict:
    """The draft's answers with this step's keys replaced by what was posted."""
    merged = {k: v for k, v in answers.items() if not step.owns(k)}
    for key, values in posted.lists():
        if step.owns(key):
            merged[key] = [v[:2000] for v in values][:60]
    return merged


@dataclass
class Checked:
    form: QuestionnaireForm
    formsets: dict
    findings: dict = field(default_factory=dict)
    ok: bool = False

    def step_has_errors(self, step: Step) -> bool:
        if any(name in self.form.errors for name in step.names):
            return True
        if step.kind == "findings":
            return any(
                fs.total_error_count()
                for name, fs in self.formsets.items()
                if self.form.parent_is_yes(_parent(name))
            )
        return False


def _parent(list_key: str) -> str:
    return next(f.parent for f in FINDING_LISTS if f.key == list_key)


def answers_check(answers: dict, *, patient: Patient, taken_on: dt.date) -> Checked:
    """Bind the questionnaire form and the finding formsets to the answers and check them all
    (as screening_new does): a yes to a finding list needs at least one row."""
    data = as_querydict(answers, taken_on=taken_on)
    form = QuestionnaireForm(data, patient=patient)
    formsets = finding_formsets(data)
    findings, ok = findings_check(form, formsets)
    return Checked(form, formsets, findings, ok)


def apply_service_errors(checked: Checked, error: ValidationError) -> None:
    apply_finding_errors(checked.formsets, error, checked.form)
