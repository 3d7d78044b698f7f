"""Writes for clinic-wide records. Keyword-only, typed, atomic, validated with full_clean()."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from clinic.staff.models import DNCertification, Licence, Location, Room, User
from clinic.staff.roles import Role


@transaction.atomic
def staff_create(
    *,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: Role,
    locations: Iterable[Location],
    password: str,
    phone: str = "",
) -> User:
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        is_active=True,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    user.locations.set(locations)
    staff_set_role(user=user, role=role)
    return user


def staff_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    role: Role,
    locations: Iterable[Location],
    is_active: bool,
    by: User | None = None,
) -> User:
    """Save a staff member's details; ``by`` (the one saving) may not deactivate themselves
    (refused before the transaction opens: nothing to undo)."""
    if by is not None and by.pk == user.pk and not is_active:
        raise ValidationError({"is_active": "You cannot deactivate your own account."})
    with transaction.atomic():
        user.first_name = first_name
        user.last_name = last_name
        user.email = email
        user.phone = phone
        user.is_active = is_active
        user.full_clean()
        user.save()
        user.locations.set(locations)
        staff_set_role(user=user, role=role)
    return user


def staff_set_role(*, user: User, role: Role) -> None:
    """Put the user in exactly one role group (other groups are left alone)."""
    role_groups = Group.objects.filter(name__in=[r.label for r in Role])
    user.groups.remove(*role_groups)
    user.groups.add(Group.objects.get(name=role.label))
    # Managers use the Django admin for the knowledge base (muscles); it needs is_staff.
    wanted_staff = role is Role.MANAGER or user.is_superuser
    if user.is_staff != wanted_staff:
        User.objects.filter(pk=user.pk).update(is_staff=wanted_staff)
        user.is_staff = wanted_staff
    if hasattr(user, "_role_cache"):
        del user._role_cache


@transaction.atomic
def licence_add(*, user: User, state: str, number: str, expires_on: dt.date) -> Licence:
    licence = Licence(user=user, state=state.upper(), number=number, expires_on=expires_on)
    licence.full_clean()
    licence.save()
    return licence


@transaction.atomic
def certification_add(
    *, user: User, course: str, hours: int, certified_on: dt.date, valid_until: dt.date
) -> DNCertification:
    certification = DNCertification(
        user=user, course=course, hours=hours, certified_on=certified_on, valid_until=valid_until
    )
    certification.full_clean()
    certification.save()
    return certification


@transaction.atomic
def location_save(*, location: Location) -> Location:
    location.full_clean()
    location.save()
    return location


@transaction.atomic
def room_create(*, location: Location, name: str) -> Room:
    room = Room(location=location, name=name.strip())
    room.full_clean()
    room.save()
    return room
