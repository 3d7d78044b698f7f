"""The report table's body tag gives the HTML the template loop gave, for any cell values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hypothesis_profiles import examples

LOOP = Template(
    "{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}"
)
TAG = Template("{% load report_tables %}{% table_body rows %}")

cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.text(max_size=30),
    st.sampled_from(["<script>alert(1)</script>", "O'Neill & Sons", '"quoted"', "Zoë"]),
    st.text(max_size=10).map(mark_safe),
    st.dates(min_value=dt.date(1900, 1, 1)),
    st.datetimes(
        min_value=dt.datetime(1950, 1, 1),
        max_value=dt.datetime(2100, 1, 1),
        timezones=st.just(dt.UTC),
    ),
    st.times(),
)


@settings(max_examples=examples(200), deadline=None)
@given(rows=st.lists(st.lists(cells, max_size=6), max_size=5))
def test_the_tag_renders_what_the_template_loop_rendered(rows):
    context = {"rows": rows}
    assert TAG.render(Context(context)) == LOOP.render(Context(context))


@settings(max_examples=examples(50), deadline=None)
@given(rows=st.lists(st.lists(st.integers(-(10**9), 10**9), max_size=4), max_size=3))
def test_grouped_numbers_are_grouped_as_the_template_groups_them(rows):
    from django.test import override_settings

    with override_settings(USE_THOUSAND_SEPARATOR=True):
        context = {"rows": rows}
        assert TAG.render(Context(context)) == LOOP.render(Context(context))


def test_equal_values_that_read_differently_keep_their_own_text():
    from decimal import Decimal

    rows = [[Decimal("1.0"), Decimal("1.00"), 0.0, -0.0, dt.date(2026, 1, 2), dt.date(2026, 1, 2)]]
    assert TAG.render(Context({"rows": rows})) == LOOP.render(Context({"rows": rows}))


def test_cells_are_escaped():
    html = TAG.render(Context({"rows": [["<b>", mark_safe("<i>x</i>")]]}))
    assert html == "<tr><td>&lt;b&gt;</td><td><i>x</i></td></tr>"


OPTIONS_LOOP = Template(
    '{% for value, label in field.field.choices %}<option value="{{ value }}"'
    '{% if value|stringformat:"s" == field.value|stringformat:"s" %} selected{% endif %}>'
    "{{ label }}</option>{% endfor %}"
)
OPTIONS_TAG = Template("{% load report_tables %}{% select_options field %}")


@pytest.mark.django_db
def test_the_options_tag_renders_what_the_template_loop_rendered():
    from django.contrib.auth.models import Group

    from clinic.common.widgets import load_model_choices
    from clinic.reports.filters import bind
    from tests.factories import LocationFactory, UserFactory

    places = [LocationFactory(name=n) for n in ("Zoë's <Clinic>", "O'Neill & Sons", "Main")]
    therapists = Group.objects.get_or_create(name="Therapist")[0]
    people = [UserFactory(last_name=n) for n in ("<b>Bold</b>", "Okafor")]
    for person in people:
        person.groups.add(therapists)
    asked = [
        {},
        {"location": str(places[0].pk)},
        {"location": str(places[2].pk), "therapist": str(people[1].pk)},
        {"location": "999999", "therapist": "not a number"},
        {"therapist": str(people[0].pk), "start": "2026-13-40"},
    ]
    seen_selected = 0
    for data in asked:
        for audit in (False, True):
            form, _ = bind(data | {"user": data.get("therapist", "")}, audit=audit)
            load_model_choices(form)
            names = ("user",) if audit else ("location", "therapist")
            for name in names:
                context = Context({"field": form[name]})
                html = OPTIONS_TAG.render(context)
                assert html == OPTIONS_LOOP.render(context)
                seen_selected += " selected" in html
    # Some of them had an option chosen: the comparison covered the chosen mark too.
    assert seen_selected >= 3
