"""Access helpers for views: role checks, and object lookups that 404.

A role refusal on a URL that names something (a pk, a uuid, a slug: any URL argument) is the
same 404 a missing or foreign object gives, so a refused user cannot tell a real id from a
made-up one. A role refusal on a URL without arguments (a list, a create page) is a 403: it
names nothing, so it reveals nothing. docs/permissions.md, "What a refusal looks like".
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404


def requires(*perms: str) -> Callable:
    """The view needs every one of `perms`. Without them: 404 if the URL names an object,
    403 if it names nothing; the login page for anonymous users (never a login loop for
    staff who lack a permission).

    Every view outside PUBLIC_URL_NAMES is wrapped in this or `any_staff`;
    tests/clinic/test_access.py walks the URL resolver to prove it.
    """

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def checked(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perms(perms):
                if args or kwargs:
                    # Exactly what get_object_or_404 raises for an object not there.
                    raise Http404("No such object.")
                raise PermissionDenied
            return view(request, *args, **kwargs)

        checked.required_permissions = frozenset(perms)
        return checked

    return wrap


def any_staff(view: Callable) -> Callable:
    """For pages every logged-in member of staff may use (home, own profile)."""
    view.required_permissions = frozenset()
    return view


def location_ids(user) -> Iterable[int]:
    return user.locations.values_list("pk", flat=True)
