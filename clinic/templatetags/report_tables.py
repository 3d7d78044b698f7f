"""The body of a report table and the options of its filters, rendered in Python.

A report page shows up to 100 rows of up to 13 columns: as a template loop, every cell went
through the template engine's variable node (a third of a report page's time). ``table_body``
gives the same HTML: each value as ``{{ cell }}`` would show it (the context's time zone,
localisation and autoescaping: ``render_value_in_context``), each row a ``<tr>`` of ``<td>``.
"""

from __future__ import annotations

import datetime as dt
import html

from django import template
from django.conf import settings
from django.template.base import render_value_in_context
from django.utils.safestring import mark_safe

register = template.Library()


def _cell(value, context) -> str:
    # Most cells are text or whole numbers: text needs no time zone or localisation, only
    # escaping; a whole number is its digits unless numbers are grouped (USE_THOUSAND_SEPARATOR).
    kind = type(value)
    if kind is str and context.autoescape:
        return html.escape(value)
    if kind is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return render_value_in_context(value, context)


@register.simple_tag(takes_context=True)
def table_body(context, rows) -> str:
    out = []
    # A table repeats its dates, and each takes the locale's format: each date (or moment)
    # is formatted once per table. Only these: equal dates (equal instants) read the same,
    # where equal decimals or floats may not (1.0 and 1.00, 0.0 and -0.0).
    seen: dict = {}
    for row in rows:
        cells = []
        for cell in row:
            kind = type(cell)
            if kind is dt.date or kind is dt.datetime:
                text = seen.get((kind, cell))
                if text is None:
                    text = seen[(kind, cell)] = _cell(cell, context)
            else:
                text = _cell(cell, context)
            cells.append(f"<td>{text}</td>")
        out.append(f"<tr>{''.join(cells)}</tr>")
    # Every cell was escaped above, as the template's own {{ cell }} escapes it.
    return mark_safe("".join(out))  # noqa: S308


@register.simple_tag(takes_context=True)
def select_options(context, field) -> str:
    """The ``<option>`` elements of a bound select field of the report filters, as the loop
    ``{% for value, label in field.field.choices %}<option value="{{ value }}"{% if
    value|stringformat:"s" == field.value|stringformat:"s" %} selected{% endif %}>{{ label
    }}</option>{% endfor %}`` gave them: the field's value is read once, not once per option
    (a select of every therapist was about a tenth of a report page's time)."""
    chosen = str(field.value())
    out = []
    for value, label in field.field.choices:
        selected = " selected" if str(value) == chosen else ""
        out.append(
            f'<option value="{_cell(value, context)}"{selected}>{_cell(label, context)}</option>'
        )
    # Each value and label was escaped above, as {{ value }} and {{ label }} escape them.
    return mark_safe("".join(out))  # noqa: S308
