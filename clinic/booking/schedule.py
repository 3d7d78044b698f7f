"""When a location is open and its therapists work: the rules a booking must satisfy, and
the search for the next free slots.

`Schedule.load` reads opening hours, working hours and absences for a date range in three
queries; everything after that is plain Python, so checking a 26-week series or searching two
weeks of slots costs the same handful of queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.postgres.fields import RangeBoundary
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q

from clinic.booking.constraints import TsTzRange
from clinic.booking.models import (
    Appointment,
    OpeningHours,
    ScheduleException,
    Weekday,
    WorkingHours,
)
from clinic.booking.times import local_to_utc, minutes_of

END_OF_DAY = dt.time(23, 59, 59, 999999)


@dataclass(frozen=True)
class Window:
    starts: dt.time
    ends: dt.time

    def contains(self, starts: dt.time, ends: dt.time) -> bool:
        return self.starts <= starts and ends <= self.ends

    def __str__(self) -> str:
        return f"{self.starts:%H:%M}-{self.ends:%H:%M}"


def _weekday_plural(day: dt.date) -> str:
    return f"{Weekday(day.weekday()).label}s"


@dataclass
class Schedule:
    location: object
    opening: dict[int, Window]
    working: dict[tuple[int, int], list[Window]]
    absences: dict[int, list[ScheduleException]]

    @classmethod
    def load(
        cls, location, *, therapist_ids: Iterable[int], first_day: dt.date, last_day: dt.date
    ) -> Schedule:
        therapist_ids = list(therapist_ids)
        opening = {
            row.weekday: Window(row.opens, row.closes)
            for row in OpeningHours.objects.filter(location=location)
        }
        working: dict[tuple[int, int], list[Window]] = defaultdict(list)
        for row in WorkingHours.objects.filter(
            location=location, therapist_id__in=therapist_ids
        ).order_by("starts"):
            working[(row.therapist_id, row.weekday)].append(Window(row.starts, row.ends))
        absences: dict[int, list[ScheduleException]] = defaultdict(list)
        for row in ScheduleException.objects.filter(
            therapist_id__in=therapist_ids, starts_on__lte=last_day, ends_on__gte=first_day
        ):
            absences[row.therapist_id].append(row)
        return cls(location=location, opening=opening, working=working, absences=absences)

    def opening_on(self, day: dt.date) -> Window | None:
        return self.opening.get(day.weekday())

    def working_on(self, therapist_id: int, day: dt.date) -> list[Window]:
        return self.working.get((therapist_id, day.weekday()), [])

    def absence_on(self, therapist_id: int, day: dt.date) -> ScheduleException | None:
        return next(
            (a for a in self.absences.get(therapist_id, []) if a.starts_on <= day <= a.ends_on),
            None,
        )

    def problems(self, *, therapist, starts_at: dt.datetime, ends_at: dt.datetime) -> list[str]:
        """Why this appointment falls outside opening or working hours (empty when it fits)."""
        zone = self.location.zone
        local_start, local_end = starts_at.astimezone(zone), ends_at.astimezone(zone)
        day = local_start.date()
        start = local_start.time()
        if local_end.date() == day:
            end = local_end.time()
        elif local_end.date() == day + dt.timedelta(days=1) and local_end.time() == dt.time(0):
            end = END_OF_DAY
        else:
            return ["An appointment must start and end on the same day."]
        shown = f"{start:%H:%M}-{local_end:%H:%M}"
        problems = []
        opening = self.opening_on(day)
        if opening is None:
            problems.append(f"{self.location.name} is closed on {_weekday_plural(day)}.")
        elif not opening.contains(start, end):
            problems.append(
                f"{self.location.name} is open {opening} on {_weekday_plural(day)}; "
                f"{shown} is outside opening hours."
            )
        absence = self.absence_on(therapist.pk, day)
        if absence is not None:
            problems.append(
                f"{therapist} is away on {day:%a %-d %b %Y} ({absence.get_kind_display().lower()})."
            )
        else:
            windows = self.working_on(therapist.pk, day)
            if not windows:
                problems.append(
                    f"{therapist} does not work at {self.location.name} on {_weekday_plural(day)}."
                )
            elif not any(window.contains(start, end) for window in windows):
                hours = ", ".join(str(window) for window in windows)
                problems.append(
                    f"{therapist} works {hours} at {self.location.name} on "
                    f"{_weekday_plural(day)}; {shown} is outside working hours."
                )
        return problems


# --- Free slots -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime
    ends_at: dt.datetime
    therapist: object
    room: object
    zone: object

    @property
    def local_starts_at(self) -> dt.datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_ends_at(self) -> dt.datetime:
        return self.ends_at.astimezone(self.zone)


def _overlaps(intervals: list[tuple[dt.datetime, dt.datetime]], start, end) -> bool:
    return any(s < end and start < e for s, e in intervals)


def active_overlapping(start: dt.datetime, end: dt.datetime):
    """Active appointments overlapping [start, end).

    On PostgreSQL this is a range overlap, which the exclusion constraints' GiST indexes on
    (therapist, range) and (room, range) answer directly; comparing starts_at and ends_at
    would walk the therapist's or room's whole history on the (x, starts_at) indexes.
    """
    active = Appointment.objects.filter(status__in=Appointment.ACTIVE_STATUSES)
    if connection.vendor == "postgresql":
        return active.annotate(span=TsTzRange("starts_at", "ends_at", RangeBoundary())).filter(
            span__overlap=(start, end)
        )
    return active.filter(starts_at__lt=end, ends_at__gt=start)


def busy_intervals(
    *, therapist_ids: Sequence[int], room_ids: Sequence[int], start: dt.datetime, end: dt.datetime
) -> tuple[dict[int, list], dict[int, list]]:
    """Active appointments of these therapists (anywhere) and rooms between start and end,
    as {id: [(starts_at, ends_at)]}. One query."""
    by_therapist: dict[int, list] = defaultdict(list)
    by_room: dict[int, list] = defaultdict(list)
    rows = (
        active_overlapping(start, end)
        .filter(Q(therapist_id__in=therapist_ids) | Q(room_id__in=room_ids))
        .values_list("therapist_id", "room_id", "starts_at", "ends_at")
    )
    for therapist_id, room_id, starts_at, ends_at in rows:
        by_therapist[therapist_id].append((starts_at, ends_at))
        by_room[room_id].append((starts_at, ends_at))
    return by_therapist, by_room


def free_slots(
    *,
    location,
    duration: dt.timedelta,
    after: dt.datetime,
    therapists: Sequence,
    rooms: Sequence,
    count: int = 6,
    horizon_days: int = 14,
    step_minutes: int = 15,
) -> list[Slot]:
    """The next `count` starts, from `after`, when a therapist works (inside opening hours,
    not away), is free for the whole duration, and one of `rooms` is free too.

    Starts fall on a `step_minutes` grid. Suggestions for one therapist do not overlap each
    other. Six queries whatever the horizon.
    """
    if not therapists or not rooms:
        return []
    zone = location.zone
    first_day = after.astimezone(zone).date()
    last_day = first_day + dt.timedelta(days=horizon_days)
    schedule = Schedule.load(
        location, therapist_ids=[t.pk for t in therapists], first_day=first_day, last_day=last_day
    )
    horizon_end = local_to_utc(last_day + dt.timedelta(days=1), dt.time(0), zone)
    therapist_busy, room_busy = busy_intervals(
        therapist_ids=[t.pk for t in therapists],
        room_ids=[r.pk for r in rooms],
        start=after,
        end=horizon_end,
    )
    search = _SlotSearch(
        schedule=schedule,
        duration=duration,
        after=after,
        rooms=rooms,
        therapist_busy=therapist_busy,
        room_busy=room_busy,
        step_minutes=step_minutes,
    )
    results: list[Slot] = []
    for offset in range(horizon_days + 1):
        results.extend(search.day_slots(first_day + dt.timedelta(days=offset), therapists))
        if len(results) >= count:
            break
    return results[:count]


@dataclass(frozen=True)
class _SlotSearch:
    """What free_slots looks for, the same for every therapist and day."""

    schedule: Schedule
    duration: dt.timedelta
    after: dt.datetime
    rooms: Sequence
    therapist_busy: dict[int, list]
    room_busy: dict[int, list]
    step_minutes: int

    def day_slots(self, day: dt.date, therapists: Sequence) -> list[Slot]:
        """Every therapist's free starts on an open day, in time order."""
        opening = self.schedule.opening_on(day)
        if opening is None:
            return []
        found: list[Slot] = []
        for therapist in therapists:
            if self.schedule.absence_on(therapist.pk, day) is None:
                found.extend(self.therapist_slots(therapist, day, opening))
        found.sort(key=lambda slot: (slot.starts_at, str(slot.therapist)))
        return found

    def therapist_slots(self, therapist, day: dt.date, opening: Window) -> list[Slot]:
        """The therapist's free starts that day, on the grid, inside their working hours
        and the opening hours, each with a free room; one suggestion does not overlap the
        one before."""
        zone = self.schedule.location.zone
        step, length = self.step_minutes, int(self.duration.total_seconds() // 60)
        busy = self.therapist_busy[therapist.pk]
        found: list[Slot] = []
        last_end = None
        for window in self.schedule.working_on(therapist.pk, day):
            low = max(minutes_of(window.starts), minutes_of(opening.starts))
            high = min(minutes_of(window.ends), minutes_of(opening.ends))
            minute = -(-low // step) * step
            while minute + length <= high:
                try:
                    start = local_to_utc(day, dt.time(minute // 60, minute % 60), zone)
                except ValidationError:  # a wall time skipped by DST
                    minute += step
                    continue
                end = start + self.duration
                if (
                    start >= self.after
                    and (last_end is None or start >= last_end)
                    and not _overlaps(busy, start, end)
                ):
                    room = self.free_room(start, end)
                    if room is not None:
                        found.append(Slot(start, end, therapist, room, zone))
                        last_end = end
                minute += step
        return found

    def free_room(self, start: dt.datetime, end: dt.datetime):
        return next(
            (r for r in self.rooms if not _overlaps(self.room_busy[r.pk], start, end)), None
        )
