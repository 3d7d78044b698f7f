"""Access helpers for views: role checks that 403, object lookups that 404."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib.auth.decorators import permission_required


def requires(*perms: str) -> Callable:
    """`permission_required` that answers 403 (never a login loop) when a permission is missing.

    Every view outside PUBLIC_URL_NAMES is wrapped in this; tests/clinic/test_access.py walks
    the URL resolver to prove it.
    """
    decorator = permission_required(perms, raise_exception=True)

    def wrap(view: Callable) -> Callable:
        wrapped = decorator(view)
        wrapped.required_permissions = frozenset(perms)
        return wrapped

    return wrap


def any_staff(view: Callable) -> Callable:
    """For pages every logged-in member of staff may use (home, own profile)."""
    view.required_permissions = frozenset()
    return view


def location_ids(user) -> Iterable[int]:
    return user.locations.values_list("pk", flat=True)
