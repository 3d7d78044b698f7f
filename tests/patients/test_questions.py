"""The screening questionnaire is declared once (patients.questions) and every reader of a
screening follows that declaration: the model, the form, the services, the fact builder, the
contract parser and the engine's Screening value."""

from __future__ import annotations

import dataclasses

from django.db import models

from needling.screening import Screening, parse_case
from needling.screening.contract import ContractError
from patients import questions
from patients.facts import screening_facts
from patients.forms import QuestionnaireForm, YesNoField
from patients.models import ScreeningQuestionnaire
from patients.services import ANSWER_FIELDS
from tests.contract_example import EXAMPLE as CONTRACT_CASE


def test_every_yes_no_question_is_a_boolean_field_of_the_questionnaire():
    fields = {f.name: f for f in ScreeningQuestionnaire._meta.get_fields()}
    for question in questions.YES_NO:
        field = fields[question.key]
        assert isinstance(field, models.BooleanField)
        assert (field.verbose_name, field.default) == (question.label, False)


def test_the_form_asks_every_declared_question_as_yes_or_no(db):
    form = QuestionnaireForm(patient=None)
    asked = {name for _, names in questions.SECTIONS for name in names}
    asked |= {f.parent for f in questions.FINDING_LISTS}
    for name in asked:
        assert isinstance(form.fields[name], YesNoField), name
    for question in questions.YES_NO:
        assert form.fields[question.key].label == question.question
    assert list(form.fields)[0] == "taken_on"


def test_the_services_take_exactly_the_declared_answers():
    details = {"epilepsy", "pregnancy_due_date", *questions.ANTICOAGULANT_FIELDS.values()}
    assert set(ANSWER_FIELDS) == set(questions.BOOLEAN_KEYS) | details


def test_the_facts_the_parser_and_the_engine_follow_the_declaration(db):
    assert set(CONTRACT_CASE["patient"]["screening"]) == set(questions.SCREENING_KEYS)
    assert [f.name for f in dataclasses.fields(Screening)] == list(questions.SCREENING_KEYS)
    parsed = parse_case(CONTRACT_CASE)
    for key in questions.BOOLEAN_KEYS:
        assert getattr(parsed.screening, key) is CONTRACT_CASE["patient"]["screening"][key]


def test_a_key_outside_the_declaration_is_bad_input():
    case = {**CONTRACT_CASE, "patient": {**CONTRACT_CASE["patient"]}}
    case["patient"]["screening"] = {**CONTRACT_CASE["patient"]["screening"], "diabetic": True}
    try:
        parse_case(case)
    except ContractError as error:
        assert str(error) == "patient.screening.diabetic: unknown field"
    else:
        raise AssertionError("an undeclared key was accepted")


def test_screening_facts_have_the_declared_keys_in_order(db):
    from tests.factories import ScreeningFactory

    facts = screening_facts(ScreeningFactory())
    assert tuple(facts) == questions.SCREENING_KEYS
    assert {k: facts[k] for k in questions.BOOLEAN_KEYS} == {
        k: k in ("willing_to_proceed", "able_to_consent") for k in questions.BOOLEAN_KEYS
    }
