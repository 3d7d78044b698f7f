"""Form plumbing every capability shares: service errors onto forms, and the htmx form pattern.

The pattern, once (``form_submit``): on a POST the bound form is validated and its cleaned
data handed to the service; a ValidationError from the service goes onto the form
(``apply_errors``) and the page is rendered again, as for a GET or an invalid form. A
PermissionDenied is not caught: Django answers it with 403. What a success answers is the
view's to say, most often ``saved``: a flash message and a redirect, or for an htmx request
the partial the swap needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

T = TypeVar("T")


def apply_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its fields where it names them."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request, but not a history restore (htmx then wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def form_submit(
    request: HttpRequest,
    form: BaseForm,
    action: Callable[[dict[str, Any]], T],
    *,
    on_success: Callable[[T], HttpResponse],
    on_invalid: Callable[[], HttpResponse],
) -> HttpResponse:
    """On a POST with a valid ``form``, ``action(form.cleaned_data)`` (the service call) and
    ``on_success`` with what it returned. Otherwise - a GET, an invalid form, or the service
    refused with a ValidationError, now on the form - ``on_invalid()`` renders the form."""
    if request.method == "POST" and form.is_valid():
        try:
            result = action(form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return on_success(result)
    return on_invalid()


def saved(
    request: HttpRequest,
    to: Any,
    *args: Any,
    message: str = "",
    partial: Callable[[], HttpResponse] | None = None,
) -> HttpResponse:
    """What a form that worked answers: for an htmx request with a ``partial``, the partial
    (the swap shows the change); otherwise the ``message`` as a success flash, if there is
    one, and a redirect to ``to`` (a model, URL or URL name with ``args``, as ``redirect``)."""
    if partial is not None and is_htmx(request):
        return partial()
    if message:
        messages.success(request, message)
    return redirect(to, *args)
