"""Writes for booking. Keyword-only, typed, atomic, validated; status changes by conditional
UPDATE.

No double-booking, in three layers:

1. Inside the booking transaction the service locks the therapist's and the room's rows
   (PostgreSQL: SELECT ... FOR NO KEY UPDATE, in a fixed order so two writers never
   deadlock), then looks for active appointments that overlap. Concurrent bookings of one
   therapist or room are therefore serialised and the loser gets a friendly SlotTaken
   naming the therapist or the room.
2. On SQLite there are no row locks, but settings open every transaction with BEGIN
   IMMEDIATE, which takes the database's write lock: the check and the insert of one booking
   can never interleave with another's.
3. On PostgreSQL the exclusion constraints of Appointment refuse any overlapping active row
   whatever wrote it. Their IntegrityError becomes the same SlotTaken; a deadlock or
   serialisation failure is retried, and never reaches the user as a 500.
"""

from __future__ import annotations

import datetime as dt
import enum
import random
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from clinic.booking.models import (
    Appointment,
    AppointmentEvent,
    AppointmentType,
    OpeningHours,
    ScheduleException,
    Weekday,
    WorkingHours,
)
from clinic.booking.schedule import Schedule, active_overlapping
from clinic.booking.times import local_to_utc, local_today
from clinic.staff.models import Location, Room, User
from clinic.staff.roles import Role

T = TypeVar("T")

MAX_OCCURRENCES = 52
MAX_INTERVAL_WEEKS = 4
OVERLAP_CONSTRAINTS = {
    "appointment_no_therapist_overlap": "therapist",
    "appointment_no_room_overlap": "room",
}
# Deadlock and serialisation failures: the transaction can simply be run again.
TRANSIENT_SQLSTATES = {"40P01", "40001"}
ATTEMPTS = 5
Status = Appointment.Status
RELATIONS = [
    "location",
    "patient",
    "appointment_type",
    "therapist",
    "room",
    "created_by",
    "override_by",
    "cancelled_by",
]


class Scope(enum.StrEnum):
    THIS = "this"
    FOLLOWING = "following"


class SlotTaken(ValidationError):
    """The therapist or the room (or the patient) already has an active appointment then.

    A ValidationError keyed by the field at fault ("therapist", "room", "patient"), so forms
    show it beside that field; `fields` names them. Therapist and room overlaps are also
    refused by the database on PostgreSQL; the patient check is the service's alone.
    """

    def __init__(self, errors: Mapping[str, Sequence[str]]):
        super().__init__(
            {
                field: [ValidationError(message, code="slot_taken") for message in messages]
                for field, messages in errors.items()
            }
        )
        self.fields = tuple(errors)


# --- What a user may do ---------------------------------------------------------------------


def may_book(user: User, location: Location) -> bool:
    """New bookings: the permission, at a location still open for them."""
    return user.has_perm("clinic.add_appointment") and location.is_active


def is_changeable(appointment: Appointment) -> bool:
    """Only a booked appointment is rescheduled or cancelled."""
    return appointment.status == Status.BOOKED


def only_booked_message(appointment: Appointment, *, action: str) -> str:
    """Why an appointment that is not booked cannot be ``action`` ("rescheduled", ...)."""
    return (
        f"Only a booked appointment can be {action}; this one is "
        f"{appointment.get_status_display().lower()}."
    )


def appointment_actions(
    *, appointment: Appointment, user: User, now: dt.datetime | None = None
) -> dict[str, bool]:
    """Which of the visit's changes the appointment page offers this user now."""
    now = now or timezone.now()
    booked = appointment.status == Status.BOOKED
    started = appointment.starts_at <= now
    on_the_day = appointment.local_starts_at.date() == local_today(appointment.location.zone)
    return {
        "can_move": booked and user.has_perm("clinic.change_appointment"),
        "can_cancel": booked and user.has_perm("clinic.cancel_appointment"),
        "can_check_in": booked and on_the_day and user.has_perm("clinic.check_in_appointment"),
        "can_complete": appointment.status in (Status.BOOKED, Status.CHECKED_IN)
        and started
        and user.has_perm("clinic.complete_appointment"),
        "can_no_show": booked and started and user.has_perm("clinic.mark_no_show"),
    }


# --- Guards ---------------------------------------------------------------------------------


def _sqlstate(exc: Exception) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def _violated_constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return name
    text = str(exc)
    return next((known for known in OVERLAP_CONSTRAINTS if known in text), None)


def _guarded(write: Callable[[], T], *, therapist: User, room: Room) -> T:
    """Run `write` (which opens its own atomic block), turning the database's refusals into
    ValidationErrors a form can show. Transient failures are retried when this is the
    outermost transaction."""
    names = {"therapist": str(therapist), "room": room.name}
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return write()
        except IntegrityError as exc:
            field = OVERLAP_CONSTRAINTS.get(_violated_constraint(exc) or "")
            if field is None:
                raise
            raise SlotTaken(
                {
                    field: [
                        f"That slot was just taken: {names[field]} is already booked then. "
                        "Choose another time."
                    ]
                }
            ) from exc
        except OperationalError as exc:
            if _sqlstate(exc) in TRANSIENT_SQLSTATES:
                if attempt < ATTEMPTS and not connection.in_atomic_block:
                    # Writers that deadlocked all retry at once and can deadlock again: wait
                    # a random moment first, longer each time (at most 0.5 s in all).
                    time.sleep(random.uniform(0, 0.05 * attempt))  # noqa: S311
                    continue
            elif "database is locked" not in str(exc):
                raise
            raise ValidationError(
                "Someone else was changing this calendar at the same moment. Please try again.",
                code="busy",
            ) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _lock_resources(*, therapist_ids: Iterable[int], room_ids: Iterable[int]) -> None:
    """Serialise writers of the same therapist or room (no-op on SQLite, see module doc).

    Always users first, then rooms, each in primary-key order, so two writers cannot wait for
    each other."""
    if not connection.features.has_select_for_update:
        return
    no_key = connection.features.has_select_for_no_key_update
    list(
        User.objects.select_for_update(no_key=no_key)
        .filter(pk__in=sorted(set(therapist_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    list(
        Room.objects.select_for_update(no_key=no_key)
        .filter(pk__in=sorted(set(room_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _span(start: dt.datetime, end: dt.datetime, zone) -> str:
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    return f"on {local_start:%a %-d %b %Y} {local_start:%H:%M}-{local_end:%H:%M}"


def _find_clashes(
    plans: Sequence[tuple[dt.datetime, dt.datetime]],
    *,
    therapist: User,
    room: Room,
    zone,
    patient=None,
    ignore_ids: Iterable[int] = (),
) -> dict[str, list[str]]:
    """Active appointments of the therapist or the room (or the patient: they cannot be in
    two places either) overlapping any planned interval. One query for the whole plan."""
    if not plans:
        return {}
    first = min(start for start, _ in plans)
    last = max(end for _, end in plans)
    whose = Q(therapist=therapist) | Q(room=room)
    if patient is not None:
        whose |= Q(patient=patient)
    booked = list(
        active_overlapping(first, last)
        .filter(whose)
        .exclude(pk__in=list(ignore_ids))
        .values_list("therapist_id", "room_id", "patient_id", "starts_at", "ends_at")
    )
    errors: dict[str, list[str]] = {}
    for start, end in plans:
        for therapist_id, room_id, patient_id, other_start, other_end in booked:
            if not (other_start < end and start < other_end):
                continue
            span = _span(other_start, other_end, zone)
            if therapist_id == therapist.pk:
                errors.setdefault("therapist", []).append(
                    f"That slot is taken: {therapist} is already booked {span}."
                )
            if room_id == room.pk:
                errors.setdefault("room", []).append(
                    f"That slot is taken: {room.name} is already booked {span}."
                )
            if patient is not None and patient_id == patient.pk:
                errors.setdefault("patient", []).append(
                    f"{patient} already has an appointment {span}."
                )
    return {field: list(dict.fromkeys(messages)) for field, messages in errors.items()}


def _hours_problems(
    plans: Sequence[tuple[dt.datetime, dt.datetime]],
    *,
    location: Location,
    therapist: User,
    now: dt.datetime,
) -> list[str]:
    zone = location.zone
    days = [start.astimezone(zone).date() for start, _ in plans]
    schedule = Schedule.load(
        location, therapist_ids=[therapist.pk], first_day=min(days), last_day=max(days)
    )
    problems: list[str] = []
    for start, end in plans:
        found = schedule.problems(therapist=therapist, starts_at=start, ends_at=end)
        if start < now:
            found.insert(0, "That time has already passed.")
        if len(plans) > 1:
            found = [f"{start.astimezone(zone):%a %-d %b %Y}: {item}" for item in found]
        problems.extend(found)
    return problems


def _check_override(problems: list[str], *, override_reason: str, by: User) -> bool:
    """True when a manager overrides `problems` with a reason; raises when they stand."""
    override_reason = override_reason.strip()
    if not problems:
        return False
    if not override_reason:
        hint = (
            "You may book it anyway by giving an override reason."
            if by.has_perm("clinic.override_hours")
            else "A manager can book it anyway, with a reason."
        )
        raise ValidationError({"__all__": [*problems, hint]}, code="outside_hours")
    if not by.has_perm("clinic.override_hours"):
        raise ValidationError(
            {"override_reason": "Only a manager can book outside working or opening hours."}
        )
    return True


def _check_parties(
    *,
    location: Location,
    patient,
    therapist: User,
    room: Room,
    appointment_type: AppointmentType | None = None,
) -> None:
    errors: dict[str, str] = {}
    if not location.is_active:
        errors["__all__"] = f"{location.name} is closed for bookings."
    if patient.archived_at is not None:
        errors["patient"] = f"{patient}'s record is archived: restore it before booking."
    if appointment_type is not None and not appointment_type.is_active:
        errors["appointment_type"] = f"{appointment_type.name} is no longer offered."
    is_therapist = therapist.groups.filter(name=Role.THERAPIST.label).exists()
    works_here = therapist.locations.filter(pk=location.pk).exists()
    if not (therapist.is_active and is_therapist and works_here):
        errors["therapist"] = f"{therapist} is not a therapist at {location.name}."
    if room.location_id != location.pk or not room.is_active:
        errors["room"] = f"{room.name} is not an open room at {location.name}."
    if errors:
        raise ValidationError(errors)


def _validate_text(value: str, *, field: str, label: str, max_length: int = 300) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: f"Give {label}."})
    if len(value) > max_length:
        raise ValidationError({field: f"Keep {label} under {max_length} characters."})
    return value


def _defer_overlap_checks(defer: bool) -> None:
    if connection.vendor == "postgresql":
        mode = "DEFERRED" if defer else "IMMEDIATE"
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {', '.join(OVERLAP_CONSTRAINTS)} {mode}")


def _check_slots(
    intervals: Sequence[tuple[dt.datetime, dt.datetime]],
    *,
    location: Location,
    therapist: User,
    room: Room,
    patient,
    by: User,
    override_reason: str,
    now: dt.datetime,
    ignore_ids: Iterable[int] = (),
) -> bool:
    """Inside the write's transaction, after the locks: refuse clashes (SlotTaken), then
    times outside opening or working hours unless a manager overrides them. True when
    overridden."""
    clashes = _find_clashes(
        intervals,
        therapist=therapist,
        room=room,
        zone=location.zone,
        patient=patient,
        ignore_ids=ignore_ids,
    )
    if clashes:
        raise SlotTaken(clashes)
    problems = _hours_problems(intervals, location=location, therapist=therapist, now=now)
    return _check_override(problems, override_reason=override_reason, by=by)


# --- Booking --------------------------------------------------------------------------------


def appointment_book(
    *,
    location: Location,
    patient,
    appointment_type: AppointmentType,
    therapist: User,
    room: Room,
    starts_at: dt.datetime,
    booked_by: User,
    notes: str = "",
    override_reason: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    """Book one appointment. Raises SlotTaken when the therapist or room is busy, and
    ValidationError (with the reasons) outside opening or working hours unless a manager
    gives an override reason."""
    return appointment_book_series(
        location=location,
        patient=patient,
        appointment_type=appointment_type,
        therapist=therapist,
        room=room,
        starts_at=starts_at,
        booked_by=booked_by,
        notes=notes,
        override_reason=override_reason,
        now=now,
        occurrences=1,
    )[0]


def appointment_book_series(
    *,
    location: Location,
    patient,
    appointment_type: AppointmentType,
    therapist: User,
    room: Room,
    starts_at: dt.datetime,
    booked_by: User,
    occurrences: int,
    interval_weeks: int = 1,
    notes: str = "",
    override_reason: str = "",
    now: dt.datetime | None = None,
) -> list[Appointment]:
    """Book `occurrences` appointments every `interval_weeks` weeks at the same local time
    (09:00 stays 09:00 across DST changes). All or nothing: one clash or one problem refuses
    the whole series, listing the dates. Several appointments share a new series id."""
    now = now or timezone.now()
    notes = _check_series(occurrences=occurrences, interval_weeks=interval_weeks, notes=notes)
    _check_parties(
        location=location,
        patient=patient,
        therapist=therapist,
        room=room,
        appointment_type=appointment_type,
    )
    zone = location.zone
    first = starts_at.astimezone(zone)
    starts = [
        local_to_utc(first.date() + dt.timedelta(weeks=index * interval_weeks), first.time(), zone)
        for index in range(occurrences)
    ]
    plans = [(start, start + appointment_type.duration) for start in starts]
    booking = _Booking(
        location=location,
        patient=patient,
        appointment_type=appointment_type,
        therapist=therapist,
        room=room,
        booked_by=booked_by,
        notes=notes,
        series_id=uuid.uuid4() if occurrences > 1 else None,
        override_reason=override_reason.strip(),
    )
    return _guarded(lambda: _book(booking, plans, now=now), therapist=therapist, room=room)


@dataclass(frozen=True)
class _Booking:
    """What every appointment of one booking (a series or a single one) shares."""

    location: Location
    patient: object
    appointment_type: AppointmentType
    therapist: User
    room: Room
    booked_by: User
    notes: str
    series_id: uuid.UUID | None
    override_reason: str  # trimmed

    def appointment(self, start: dt.datetime, end: dt.datetime, *, overridden: bool):
        return Appointment(
            location=self.location,
            patient=self.patient,
            appointment_type=self.appointment_type,
            therapist=self.therapist,
            room=self.room,
            starts_at=start,
            ends_at=end,
            series_id=self.series_id,
            notes=self.notes,
            override_reason=self.override_reason if overridden else "",
            override_by=self.booked_by if overridden else None,
            created_by=self.booked_by,
        )


def _check_series(*, occurrences: int, interval_weeks: int, notes: str) -> str:
    """The series' own limits; the notes, trimmed."""
    if not 1 <= occurrences <= MAX_OCCURRENCES:
        raise ValidationError(
            {"occurrences": f"Book between 1 and {MAX_OCCURRENCES} appointments at once."}
        )
    if not 1 <= interval_weeks <= MAX_INTERVAL_WEEKS:
        raise ValidationError({"repeat": "Repeat every 1 to 4 weeks."})
    notes = (notes or "").strip()
    if len(notes) > 500:
        raise ValidationError({"notes": "Keep notes under 500 characters."})
    return notes


def _book(
    booking: _Booking, plans: Sequence[tuple[dt.datetime, dt.datetime]], *, now: dt.datetime
) -> list[Appointment]:
    """The write of a booking (run by _guarded): one appointment per (start, end) planned."""
    with transaction.atomic():
        _lock_resources(therapist_ids=[booking.therapist.pk], room_ids=[booking.room.pk])
        overridden = _check_slots(
            plans,
            location=booking.location,
            therapist=booking.therapist,
            room=booking.room,
            patient=booking.patient,
            by=booking.booked_by,
            override_reason=booking.override_reason,
            now=now,
        )
        created = []
        for start, end in plans:
            appointment = booking.appointment(start, end, overridden=overridden)
            # Overlaps and hours are checked above, end-after-start and the cancel reason
            # in Appointment.clean(); the related rows were just read. The database
            # enforces every constraint and foreign key again.
            appointment.full_clean(exclude=RELATIONS, validate_constraints=False)
            appointment.save()
            created.append(appointment)
        detail = f"{booking.therapist}, {booking.room.name}"
        if overridden:
            detail += f". Outside hours, overridden: {booking.override_reason}"
        AppointmentEvent.objects.bulk_create(
            AppointmentEvent(
                appointment=appointment,
                kind=AppointmentEvent.Kind.BOOKED,
                at=now,
                by=booking.booked_by,
                detail=detail[:500],
            )
            for appointment in created
        )
        return created


def series_members(appointment: Appointment, *, scope: Scope) -> Q:
    """The appointments a "this" or "this and following" action applies to."""
    if scope is Scope.FOLLOWING and appointment.series_id:
        return Q(series_id=appointment.series_id, starts_at__gte=appointment.starts_at)
    return Q(pk=appointment.pk)


def appointment_move(
    *,
    appointment: Appointment,
    starts_at: dt.datetime,
    moved_by: User,
    therapist: User | None = None,
    room: Room | None = None,
    scope: Scope = Scope.THIS,
    override_reason: str = "",
    now: dt.datetime | None = None,
) -> list[Appointment]:
    """Reschedule a booked appointment (and, with Scope.FOLLOWING, the booked ones after it
    in its series: each moves by the same number of days to the same new local time).
    Lengths stay as they were. Returns the moved appointments."""
    move = _Move(
        appointment=appointment,
        starts_at=starts_at,
        therapist=therapist or appointment.therapist,
        room=room or appointment.room,
        moved_by=moved_by,
        override_reason=override_reason.strip(),
        now=now or timezone.now(),
    )
    _check_parties(
        location=appointment.location,
        patient=appointment.patient,
        therapist=move.therapist,
        room=move.room,
    )
    return _guarded(lambda: move.write(scope), therapist=move.therapist, room=move.room)


@dataclass(frozen=True)
class _Move:
    """One reschedule: the appointment and where it goes; ``write`` runs in _guarded."""

    appointment: Appointment
    starts_at: dt.datetime
    therapist: User
    room: Room
    moved_by: User
    override_reason: str  # trimmed
    now: dt.datetime

    def write(self, scope: Scope) -> list[Appointment]:
        with transaction.atomic():
            _lock_resources(therapist_ids=[self.therapist.pk], room_ids=[self.room.pk])
            plans = [(m, *self.new_times(m)) for m in self.locked_members(scope)]
            overridden = _check_slots(
                [(start, end) for _, start, end in plans],
                location=self.appointment.location,
                therapist=self.therapist,
                room=self.room,
                patient=self.appointment.patient,
                by=self.moved_by,
                override_reason=self.override_reason,
                now=self.now,
                ignore_ids=[member.pk for member, _, _ in plans],
            )
            several = len(plans) > 1
            if several:
                _defer_overlap_checks(True)
            events = [self.update(m, start, end, overridden=overridden) for m, start, end in plans]
            if several:
                _defer_overlap_checks(False)  # check now, inside the guard
            AppointmentEvent.objects.bulk_create(events)
            return list(
                Appointment.objects.filter(pk__in=[member.pk for member, _, _ in plans])
                .select_related("location", "patient", "therapist", "room", "appointment_type")
                .order_by("starts_at")
            )

    def locked_members(self, scope: Scope) -> list[Appointment]:
        """The booked appointments that move, locked; refused unless this one is booked."""
        members = list(
            Appointment.objects.select_for_update()
            .filter(series_members(self.appointment, scope=scope), status=Status.BOOKED)
            .order_by("starts_at")
        )
        if self.appointment.pk not in {member.pk for member in members}:
            current = Appointment.objects.get(pk=self.appointment.pk)
            raise ValidationError(only_booked_message(current, action="rescheduled"))
        return members

    def new_times(self, member: Appointment) -> tuple[dt.datetime, dt.datetime]:
        """This appointment to the new start; the others of the series by the same number of
        days, to the same new local time. Each keeps its length."""
        zone = self.appointment.location.zone
        new_local = self.starts_at.astimezone(zone)
        if member.pk == self.appointment.pk:
            start = self.starts_at
        else:
            day_shift = new_local.date() - self.appointment.local_starts_at.date()
            member_day = member.starts_at.astimezone(zone).date()
            start = local_to_utc(member_day + day_shift, new_local.time(), zone)
        return start, start + (member.ends_at - member.starts_at)

    def update(
        self, member: Appointment, start: dt.datetime, end: dt.datetime, *, overridden: bool
    ) -> AppointmentEvent:
        """Move one locked appointment (a conditional UPDATE); its history event, unsaved."""
        updated = Appointment.objects.filter(pk=member.pk, status=Status.BOOKED).update(
            starts_at=start,
            ends_at=end,
            therapist=self.therapist,
            room=self.room,
            override_reason=self.override_reason if overridden else "",
            override_by=self.moved_by if overridden else None,
            # A new time deserves a new reminder.
            reminder_sent_at=None if start != member.starts_at else member.reminder_sent_at,
            updated_at=self.now,
        )
        if updated != 1:  # pragma: no cover - rows are locked above
            raise ValidationError("This appointment changed meanwhile. Reload the page.")
        zone = self.appointment.location.zone
        detail = (
            f"From {_span(member.starts_at, member.ends_at, zone)} "
            f"({member.therapist}, {member.room.name}) "
            f"to {_span(start, end, zone)} ({self.therapist}, {self.room.name})"
        )
        if overridden:
            detail += f". Outside hours, overridden: {self.override_reason}"
        return AppointmentEvent(
            appointment_id=member.pk,
            kind=AppointmentEvent.Kind.MOVED,
            at=self.now,
            by=self.moved_by,
            detail=detail[:500],
        )


def appointment_cancel(
    *,
    appointment: Appointment,
    reason: str,
    cancelled_by: User,
    scope: Scope = Scope.THIS,
    now: dt.datetime | None = None,
) -> int:
    """Cancel a booked appointment (or it and the booked ones after it in its series). The
    slot is freed; the appointment stays in the history with the reason. Returns how many
    were cancelled."""
    now = now or timezone.now()
    reason = _validate_text(reason, field="reason", label="a reason for the cancellation")
    with transaction.atomic():
        ids = list(
            Appointment.objects.filter(
                series_members(appointment, scope=scope), status=Status.BOOKED
            ).values_list("pk", flat=True)
        )
        if appointment.pk not in ids:
            current = Appointment.objects.get(pk=appointment.pk)
            raise ValidationError(only_booked_message(current, action="cancelled"))
        count = Appointment.objects.filter(pk__in=ids, status=Status.BOOKED).update(
            status=Status.CANCELLED,
            cancel_reason=reason,
            cancelled_at=now,
            cancelled_by=cancelled_by,
            updated_at=now,
        )
        if count != len(ids):
            raise ValidationError("Part of the series changed meanwhile. Reload and try again.")
        AppointmentEvent.objects.bulk_create(
            AppointmentEvent(
                appointment_id=pk,
                kind=AppointmentEvent.Kind.CANCELLED,
                at=now,
                by=cancelled_by,
                detail=reason,
            )
            for pk in ids
        )
    return count


def _transition(
    appointment: Appointment,
    *,
    allowed: Sequence[str],
    to: str,
    by: User,
    now: dt.datetime,
    event: str,
    refused: str,
    extra_filter: Q | None = None,
    **fields,
) -> Appointment:
    with transaction.atomic():
        updated = (
            Appointment.objects.filter(pk=appointment.pk, status__in=allowed)
            .filter(extra_filter or Q())
            .update(status=to, updated_at=now, **fields)
        )
        if updated != 1:
            current = Appointment.objects.get(pk=appointment.pk)
            raise ValidationError(
                refused.format(status=current.get_status_display().lower()), code="refused"
            )
        AppointmentEvent.objects.create(appointment_id=appointment.pk, kind=event, at=now, by=by)
    appointment.refresh_from_db()
    return appointment


def appointment_check_in(
    *, appointment: Appointment, by: User, now: dt.datetime | None = None
) -> Appointment:
    """Booked -> checked in, on the day of the appointment (in the location's zone)."""
    now = now or timezone.now()
    zone = appointment.location.zone
    day = appointment.local_starts_at.date()
    if day != local_today(zone, now):
        raise ValidationError(
            f"Patients are checked in on the day of their appointment ({day:%a %-d %b %Y})."
        )
    return _transition(
        appointment,
        allowed=[Status.BOOKED],
        to=Status.CHECKED_IN,
        by=by,
        now=now,
        event=AppointmentEvent.Kind.CHECKED_IN,
        refused="Only a booked appointment can be checked in; this one is {status}.",
        checked_in_at=now,
    )


def appointment_complete(
    *, appointment: Appointment, by: User, now: dt.datetime | None = None
) -> Appointment:
    """Booked or checked in -> completed, once the appointment has started."""
    now = now or timezone.now()
    return _transition(
        appointment,
        allowed=[Status.BOOKED, Status.CHECKED_IN],
        to=Status.COMPLETED,
        by=by,
        now=now,
        event=AppointmentEvent.Kind.COMPLETED,
        refused=(
            "Only a booked or checked-in appointment that has started can be completed; "
            "this one is {status}."
        ),
        extra_filter=Q(starts_at__lte=now),
        completed_at=now,
    )


def appointment_mark_no_show(
    *, appointment: Appointment, by: User, now: dt.datetime | None = None
) -> Appointment:
    """Booked -> no-show, once the start time has passed. Frees the slot; stays in history."""
    now = now or timezone.now()
    return _transition(
        appointment,
        allowed=[Status.BOOKED],
        to=Status.NO_SHOW,
        by=by,
        now=now,
        event=AppointmentEvent.Kind.NO_SHOW,
        refused=(
            "Only a booked appointment whose start time has passed can be marked no-show; "
            "this one is {status}."
        ),
        extra_filter=Q(starts_at__lte=now),
    )


# --- Setup (managers) -----------------------------------------------------------------------


@transaction.atomic
def appointment_type_save(*, appointment_type: AppointmentType) -> AppointmentType:
    appointment_type.name = appointment_type.name.strip()
    appointment_type.colour = appointment_type.colour.lower()
    appointment_type.full_clean()
    appointment_type.save()
    return appointment_type


@transaction.atomic
def opening_hours_set(
    *, location: Location, days: Mapping[int, tuple[dt.time, dt.time] | None]
) -> list[OpeningHours]:
    """Replace the location's opening hours for the given weekdays (None: closed)."""
    errors = {}
    for weekday, hours in days.items():
        if hours is not None and hours[1] <= hours[0]:
            errors[f"closes_{weekday}"] = (
                f"{Weekday(weekday).label}: closing time must be after opening time."
            )
    if errors:
        raise ValidationError(errors)
    OpeningHours.objects.filter(location=location, weekday__in=list(days)).delete()
    rows = []
    for weekday, hours in sorted(days.items()):
        if hours is None:
            continue
        row = OpeningHours(location=location, weekday=weekday, opens=hours[0], closes=hours[1])
        row.full_clean()
        row.save()
        rows.append(row)
    return rows


@transaction.atomic
def working_hours_add(
    *, therapist: User, location: Location, weekday: int, starts: dt.time, ends: dt.time
) -> WorkingHours:
    """Add a stretch of working hours. A therapist cannot be in two places at once: it may not
    overlap their other hours that weekday, at any location."""
    if not (
        therapist.groups.filter(name=Role.THERAPIST.label).exists()
        and therapist.locations.filter(pk=location.pk).exists()
    ):
        raise ValidationError({"therapist": f"{therapist} is not a therapist at {location.name}."})
    row = WorkingHours(
        therapist=therapist, location=location, weekday=weekday, starts=starts, ends=ends
    )
    row.full_clean(validate_constraints=False)
    clash = (
        WorkingHours.objects.filter(
            therapist=therapist, weekday=weekday, starts__lt=ends, ends__gt=starts
        )
        .select_related("location")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {
                "starts": (
                    f"{therapist} already works {clash.starts:%H:%M}-{clash.ends:%H:%M} on "
                    f"{Weekday(weekday).label}s at {clash.location.name}."
                )
            }
        )
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def working_hours_remove(*, working_hours: WorkingHours) -> None:
    working_hours.delete()


@transaction.atomic
def schedule_exception_add(
    *,
    therapist: User,
    starts_on: dt.date,
    ends_on: dt.date,
    kind: str,
    note: str,
    created_by: User,
) -> tuple[ScheduleException, int]:
    """Record an absence. Returns it and how many booked appointments fall inside it (to be
    rescheduled by the front desk)."""
    if not therapist.groups.filter(name=Role.THERAPIST.label).exists():
        raise ValidationError({"therapist": f"{therapist} is not a therapist."})
    exception = ScheduleException(
        therapist=therapist,
        starts_on=starts_on,
        ends_on=ends_on,
        kind=kind,
        note=(note or "").strip(),
        created_by=created_by,
    )
    exception.full_clean()
    exception.save()
    # Local dates differ from UTC ones by under a day: fetch a day either side, then compare
    # each appointment's date in its own location's zone.
    nearby = Appointment.objects.filter(
        therapist=therapist,
        status=Status.BOOKED,
        starts_at__gte=dt.datetime.combine(starts_on - dt.timedelta(days=1), dt.time(0), dt.UTC),
        starts_at__lt=dt.datetime.combine(ends_on + dt.timedelta(days=2), dt.time(0), dt.UTC),
    ).select_related("location")
    affected = sum(
        1 for appointment in nearby if starts_on <= appointment.local_starts_at.date() <= ends_on
    )
    return exception, affected


@transaction.atomic
def schedule_exception_remove(*, exception: ScheduleException) -> None:
    exception.delete()
