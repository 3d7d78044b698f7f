"""clinic.common.widgets.FastSelect writes exactly what Django's Select renders, any text."""

from __future__ import annotations

import datetime as dt

from django import forms
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.common.widgets import FastSelect
from tests.hypothesis_profiles import examples

text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
choices = st.lists(st.tuples(text, text), max_size=6)
grouped = st.lists(st.tuples(text, choices), max_size=3)


def both(name, value, attrs, options):
    fast = FastSelect(choices=options).render(name, value, attrs=attrs)
    django = forms.Select(choices=options).render(name, value, attrs=attrs)
    return str(fast), str(django)


@settings(max_examples=examples(150), deadline=None)
@given(
    name=st.sampled_from(["side", 'a"b', "x<y>&z"]),
    options=choices,
    attrs=st.dictionaries(
        st.sampled_from(["class", "id", "data-x", "required", "disabled"]),
        st.one_of(text, st.booleans()),
        max_size=3,
    ),
    pick=st.integers(min_value=0, max_value=6),
)
def test_flat_choices_render_identically(name, options, attrs, pick):
    value = options[pick][0] if pick < len(options) else None
    fast, django = both(name, value, attrs, options)
    assert fast == django


@settings(max_examples=examples(60), deadline=None)
@given(groups=grouped)
def test_grouped_choices_render_identically(groups):
    fast, django = both("muscle", None, {"class": "form-select"}, groups)
    assert fast == django


def test_non_text_values_and_labels_render_identically():
    options = [(30, 30), (dt.date(2026, 6, 1), dt.date(2026, 6, 1)), ("0.25", "0.25 mm")]
    fast, django = both("length", 30, {"required": True}, options)
    assert fast == django
    assert "selected" in fast
