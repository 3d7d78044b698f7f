"""Reads for booking pages: who may see what, and the calendar laid out for the templates.

The day view costs a fixed number of queries however many appointments it shows:
appointments (1), their patients' names (1, none on an empty day), columns (1: therapists
or rooms), opening hours, working hours and absences (3). Everything else is arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from clinic.booking.models import Appointment, AppointmentType, text_colour_on
from clinic.booking.schedule import Schedule, Slot, Window, free_slots
from clinic.booking.times import day_bounds, minutes_of
from clinic.staff.models import Location, Room, User
from clinic.staff.roles import Role
from patients.models import Patient

# static/css/calendar.css draws the day view at this scale, with this least block height;
# tests/booking/test_calendar_css.py keeps the two the same.
PX_PER_MINUTE = 1.6
MIN_BLOCK_PX = 22
SLOT_MINUTES = 30
DEFAULT_DAY = (8 * 60, 18 * 60)

APPOINTMENT_JOINS = ("location", "patient", "appointment_type", "therapist", "room")


# --- Visibility -----------------------------------------------------------------------------


def sees_all_locations(user: User) -> bool:
    return user.has_perm("clinic.view_all_calendars")


def sees_whole_location(user: User) -> bool:
    return sees_all_locations(user) or user.has_perm("clinic.view_location_calendar")


def calendar_locations(user: User) -> QuerySet[Location]:
    """Locations whose calendar the user may open: all for managers, else their own."""
    if sees_all_locations(user):
        return Location.objects.order_by("name")
    return Location.objects.filter(staff=user).order_by("name")


def visible_appointments(user: User) -> QuerySet[Appointment]:
    """Managers see every appointment, the front desk those at their locations, a therapist
    their own."""
    appointments = Appointment.objects.all()
    if sees_all_locations(user):
        return appointments
    if user.has_perm("clinic.view_location_calendar"):
        return appointments.filter(location__in=Location.objects.filter(staff=user))
    return appointments.filter(therapist=user)


def appointment_for(user: User, pk: int) -> Appointment:
    """One appointment the user may see, with what its page shows (404 otherwise)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(visible_appointments(user).select_related(*APPOINTMENT_JOINS), pk=pk)


def therapists_at(location: Location) -> QuerySet[User]:
    return (
        User.objects.filter(locations=location, groups__name=Role.THERAPIST.label, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def bookable_rooms(location: Location) -> QuerySet[Room]:
    return Room.objects.filter(location=location, is_active=True).order_by("name")


def bookable_types() -> QuerySet[AppointmentType]:
    return AppointmentType.objects.filter(is_active=True).order_by("name")


def patient_matches(query: str, *, limit: int = 15) -> list:
    """Patients whose folded name ("zoe whitaker") contains every word typed, accents and case
    ignored. Nothing for fewer than two letters."""
    from patients.models import Patient, fold

    words = fold(query).split()[:4]
    if not words or len("".join(words)) < 2:
        return []
    patients = Patient.objects.filter(archived_at__isnull=True)
    for word in words:
        patients = patients.filter(search_name__contains=word)
    return list(patients.order_by("last_name", "first_name", "date_of_birth")[:limit])


def start_location(user: User, remembered: int | None) -> Location | None:
    """The calendar to open: the location last looked at while the user may still open it,
    else the first one they may."""
    locations = calendar_locations(user)
    location = locations.filter(pk=remembered).first() if remembered else None
    return location or locations.first()


def bookable_patient(pk) -> Patient | None:
    """The patient with this primary key unless archived (archived records take no bookings)."""
    if pk is None:
        return None
    return Patient.objects.filter(pk=pk, archived_at__isnull=True).first()


def bookable_type(pk: int | None) -> AppointmentType | None:
    return bookable_types().filter(pk=pk).first() if pk else None


def slot_search(
    *,
    location: Location,
    appointment_type: AppointmentType,
    therapist_id: int | None,
    room_id: int | None,
    day: dt.date | None,
    now: dt.datetime,
) -> list[Slot]:
    """The next free slots for the type at the location, with the chosen therapist or room
    (any when None), from ``day`` (today when None) but never before ``now``."""
    therapists = list(therapists_at(location))
    if therapist_id:
        therapists = [t for t in therapists if t.pk == therapist_id]
    rooms = list(bookable_rooms(location))
    if room_id:
        rooms = [r for r in rooms if r.pk == room_id]
    after = now if day is None else max(now, day_bounds(day, location.zone)[0])
    return free_slots(
        location=location,
        duration=appointment_type.duration,
        after=after,
        therapists=therapists,
        rooms=rooms,
    )


# --- Day view -------------------------------------------------------------------------------


@dataclass
class DayAppointment:
    """An appointment as the day view prints it, read with one values query: model rows for
    ~80 appointments and their joins cost more to build than the whole grid to print."""

    pk: int
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    therapist_id: int
    room_id: int
    patient_id: object
    cancel_reason: str
    kind: str  # the appointment type's name
    colour: str
    room: str
    therapist: str
    patient: str = ""
    url: str = ""
    time_label: str = ""  # "09:00–09:45" in the location's zone (the cancelled list)

    @property
    def status_label(self) -> str:
        return Appointment.Status(self.status).label


@dataclass
class Block:
    appointment: DayAppointment
    top: float
    height: float
    starts: dt.datetime
    ends: dt.datetime
    # What the day view prints, made once here rather than by template lookups and filters
    # per block (a busy day has ~80 blocks: the template was most of the page's time).
    url: str = ""
    place: str = ""  # the classes that position it: see place()
    colour: str = ""
    ink: str = ""  # "dark" or "light": the text colour that reads on `colour`
    time_label: str = ""
    patient_name: str = ""
    meta: str = ""


@dataclass
class FreeSlot:
    at: dt.time
    top: float
    height: float
    url: str = ""
    place: str = ""
    label: str = ""


@dataclass
class Column:
    key: str  # "therapist" or "room"
    resource: object
    title: str
    blocks: list[Block] = field(default_factory=list)
    # (top, height, label, place)
    bands: list[tuple[float, float, str, str]] = field(default_factory=list)
    free: list[FreeSlot] = field(default_factory=list)
    note: str = ""


@dataclass
class DayCalendar:
    location: Location
    day: dt.date
    by: str
    columns: list[Column]
    hours: list[tuple[str, float, str]]  # (label, top, place)
    height: float
    height_place: str  # the classes that make the tracks `height` tall
    history: list[DayAppointment]
    active_count: int
    opening: Window | None


def place(*, at: int | None = None, length: int | None = None) -> str:
    """The classes that put a day-view element `at` minutes below the top of the day's range
    and make it `length` minutes tall. static/css/calendar.css turns them into `top` and
    `height` at PX_PER_MINUTE (hours and minutes apart: 170 small rules cover the whole day);
    the Content-Security-Policy allows no style attributes."""
    classes = []
    if at is not None:
        classes += [f"cal-at-h{at // 60}", f"cal-at-m{at % 60}"]
    if length is not None:
        classes += [f"cal-len-h{length // 60}", f"cal-len-m{length % 60}"]
    return " ".join(classes)


def _active(appointment) -> bool:
    return appointment.status in Appointment.ACTIVE_STATUSES


def _range_minutes(
    day_rows: list[DayAppointment], zone, day: dt.date, windows: list[Window]
) -> tuple[int, int]:
    starts, ends = [], []
    for window in windows:
        starts.append(minutes_of(window.starts))
        ends.append(minutes_of(window.ends))
    for appointment in day_rows:
        local_start = appointment.starts_at.astimezone(zone)
        local_end = appointment.ends_at.astimezone(zone)
        starts.append(0 if local_start.date() < day else minutes_of(local_start.time()))
        ends.append(24 * 60 if local_end.date() > day else minutes_of(local_end.time()))
    if not starts:
        return DEFAULT_DAY
    low = min(starts) // 60 * 60
    high = -(-max(ends) // 60) * 60
    return max(0, low), min(24 * 60, max(high, low + 60))


def _minute_in_day(moment: dt.datetime, zone, day: dt.date) -> int:
    local = moment.astimezone(zone)
    if local.date() < day:
        return 0
    if local.date() > day:
        return 24 * 60
    return minutes_of(local.time())


def _day_appointments(user: User, location: Location, start, end) -> list[DayAppointment]:
    """The appointments overlapping [start, end) at the location that the user may see: one
    values query with the type, room and therapist joined (small tables), then the patients'
    names by primary key. Not joined: PostgreSQL misjudges how many appointments overlap a
    day (two range conditions on two columns) and, joining, hashed the whole patient table."""
    rows = (
        visible_appointments(user)
        .filter(location=location, starts_at__lt=end, ends_at__gt=start)
        .order_by("starts_at", "pk")
        .values_list(
            "pk",
            "status",
            "starts_at",
            "ends_at",
            "therapist_id",
            "room_id",
            "patient_id",
            "cancel_reason",
            "appointment_type__name",
            "appointment_type__colour",
            "room__name",
            "therapist__username",
            "therapist__first_name",
            "therapist__last_name",
        )
    )
    therapists: dict[int, str] = {}
    appointments = []
    for *fields, username, first_name, last_name in rows:
        appointment = DayAppointment(*fields, therapist="")
        if appointment.therapist_id not in therapists:  # User.__str__, once per therapist
            therapists[appointment.therapist_id] = str(
                User(username=username, first_name=first_name, last_name=last_name)
            )
        appointment.therapist = therapists[appointment.therapist_id]
        appointments.append(appointment)
    if appointments:
        names = {
            patient.pk: str(patient)
            for patient in Patient.objects.filter(pk__in={a.patient_id for a in appointments}).only(
                "first_name", "last_name"
            )
        }
        url = _url_maker("booking:appointment_detail")
        for appointment in appointments:
            appointment.patient = names[appointment.patient_id]
            appointment.url = url(appointment.pk)
    return appointments


def _url_maker(name: str):
    """pk -> reverse(name, args=[pk]), reversing once: a day view links ~80 appointments."""
    marker = 987654321987
    address = reverse(name, args=[marker])
    before, _, after = address.partition(str(marker))
    return lambda pk: f"{before}{pk}{after}"


def day_calendar(
    *, location: Location, day: dt.date, by: str, user: User, can_book: bool
) -> DayCalendar:
    zone = location.zone
    start, end = day_bounds(day, zone)
    rows = _day_appointments(user, location, start, end)
    active = [row for row in rows if _active(row)]
    resources, therapist_ids = _day_resources(location=location, by=by, user=user, rows=rows)
    schedule = Schedule.load(location, therapist_ids=therapist_ids, first_day=day, last_day=day)
    opening = schedule.opening_on(day)
    windows: list[Window] = [opening] if opening else []
    if by != "room":
        for resource in resources:
            windows.extend(schedule.working_on(resource.pk, day))
    grid = _Grid(*_range_minutes(active, zone, day, windows), zone=zone, day=day)
    book_url = reverse("booking:book", args=[location.pk])
    columns: list[Column] = []
    for resource in resources:
        if by == "room":
            column, open_windows = _room_column(resource, opening, grid)
            mine = [row for row in active if row.room_id == resource.pk]
        else:
            column, open_windows = _therapist_column(resource, schedule, opening, grid)
            mine = [row for row in active if row.therapist_id == resource.pk]
        column.blocks = [_block(row, grid, by=by) for row in mine]
        if can_book:
            column.free = _free_slots(column, mine, open_windows, grid, book_url=book_url)
        columns.append(column)
    return DayCalendar(
        location=location,
        day=day,
        by=by,
        columns=columns,
        hours=[
            (f"{minute // 60:02d}:00", grid.top_of(minute), place(at=minute - grid.low))
            for minute in grid.minutes(60)
        ],
        height=grid.px(grid.high - grid.low),
        height_place=place(length=grid.high - grid.low),
        history=_history(rows, zone),
        active_count=len(active),
        opening=opening,
    )


@dataclass(frozen=True)
class _Grid:
    """The day's scale: minutes ``low`` to ``high`` of ``day`` (local), PX_PER_MINUTE each."""

    low: int
    high: int
    zone: object
    day: dt.date

    def px(self, minutes: int) -> float:
        return round(minutes * PX_PER_MINUTE, 1)

    def top_of(self, minute: int) -> float:
        return self.px(minute - self.low)

    def minutes(self, step: int) -> range:
        return range(self.low, self.high, step)

    def minute_of(self, moment: dt.datetime) -> int:
        return _minute_in_day(moment, self.zone, self.day)

    def band(self, window: Window, label: str) -> tuple[float, float, str, str]:
        first = max(minutes_of(window.starts), self.low)
        last = min(minutes_of(window.ends), self.high)
        return (
            self.top_of(first),
            self.px(last - first),
            label,
            place(at=first - self.low, length=last - first),
        )


def _day_resources(
    *, location: Location, by: str, user: User, rows: list[DayAppointment]
) -> tuple[list, set[int]]:
    """The day's columns (rooms, or therapists: just the user unless they see the whole
    location), with any resource that has an appointment that day, and the therapists whose
    hours the calendar needs."""
    if by == "room":
        room_ids = {row.room_id for row in rows}
        rooms = list(
            Room.objects.filter(location=location)
            .filter(Q(is_active=True) | Q(pk__in=room_ids))
            .order_by("name")
        )
        return rooms, {row.therapist_id for row in rows}
    if not sees_whole_location(user):
        therapists = [user]
    else:
        therapist_ids = {row.therapist_id for row in rows}
        therapists = list(
            User.objects.filter(
                Q(locations=location, groups__name=Role.THERAPIST.label, is_active=True)
                | Q(pk__in=therapist_ids)
            )
            .distinct()
            .order_by("last_name", "first_name", "username")
        )
    return therapists, {therapist.pk for therapist in therapists}


def _room_column(room: Room, opening: Window | None, grid: _Grid) -> tuple[Column, list[Window]]:
    """A room's column and when it can be booked: the location's opening hours."""
    column = Column("room", room, room.name)
    open_windows = [opening] if opening else []
    column.bands = [grid.band(window, "Open") for window in open_windows]
    if not opening:
        column.note = "Closed"
    return column, open_windows


def _therapist_column(
    therapist: User, schedule: Schedule, opening: Window | None, grid: _Grid
) -> tuple[Column, list[Window]]:
    """A therapist's column and when they can be booked: their working hours inside the
    opening hours, none when they are away."""
    column = Column("therapist", therapist, str(therapist))
    absence = schedule.absence_on(therapist.pk, grid.day)
    open_windows = []
    if absence is not None:
        column.note = f"Away: {absence.get_kind_display().lower()}"
    else:
        for window in schedule.working_on(therapist.pk, grid.day):
            if opening:
                clipped = Window(max(window.starts, opening.starts), min(window.ends, opening.ends))
                if clipped.starts < clipped.ends:
                    open_windows.append(clipped)
        if not open_windows:
            column.note = "Not working"
    column.bands = [grid.band(window, "Working") for window in open_windows]
    return column, open_windows


def _block(row: DayAppointment, grid: _Grid, *, by: str) -> Block:
    first = max(grid.minute_of(row.starts_at), grid.low)
    last = min(grid.minute_of(row.ends_at), grid.high)
    block = Block(
        appointment=row,
        top=grid.top_of(first),
        height=max(grid.px(last - first), MIN_BLOCK_PX),
        starts=row.starts_at.astimezone(grid.zone),
        ends=row.ends_at.astimezone(grid.zone),
    )
    who = row.therapist if by == "room" else row.room
    block.url = row.url
    block.place = place(at=first - grid.low, length=last - first)  # the CSS keeps the least
    block.colour = row.colour
    block.ink = "dark" if text_colour_on(row.colour) == "#000000" else "light"
    block.time_label = f"{block.starts:%H:%M}–{block.ends:%H:%M}"
    block.patient_name = row.patient
    block.meta = f"{row.kind} · {who} · {row.status_label}"
    return block


def _free_slots(
    column: Column,
    mine: list[DayAppointment],
    open_windows: list[Window],
    grid: _Grid,
    *,
    book_url: str,
) -> list[FreeSlot]:
    """The column's free half hours inside its open windows, each linking to the booking
    form with the day, time and resource filled in."""
    busy = [(grid.minute_of(row.starts_at), grid.minute_of(row.ends_at)) for row in mine]
    slots = []
    for window in open_windows:
        minute = -(-minutes_of(window.starts) // SLOT_MINUTES) * SLOT_MINUTES
        while minute + SLOT_MINUTES <= minutes_of(window.ends):
            if not any(s < minute + SLOT_MINUTES and minute < e for s, e in busy):
                slot = FreeSlot(
                    at=dt.time(minute // 60, minute % 60),
                    top=grid.top_of(minute),
                    height=grid.px(SLOT_MINUTES),
                )
                slot.label = f"{slot.at:%H:%M}"
                slot.place = place(at=minute - grid.low, length=SLOT_MINUTES)
                slot.url = (
                    f"{book_url}?date={grid.day:%Y-%m-%d}&time={slot.label}"
                    f"&{column.key}={column.resource.pk}"
                )
                slots.append(slot)
            minute += SLOT_MINUTES
    return slots


def _history(rows: list[DayAppointment], zone) -> list[DayAppointment]:
    """The day's cancelled and missed appointments, with their times for the list."""
    history = [row for row in rows if not _active(row)]
    for row in history:
        starts, ends = row.starts_at.astimezone(zone), row.ends_at.astimezone(zone)
        row.time_label = f"{starts:%H:%M}–{ends:%H:%M}"
    return history


# --- Week view ------------------------------------------------------------------------------


@dataclass
class WeekRow:
    resource: object
    title: str
    cells: list[list[Appointment]]


@dataclass
class WeekCalendar:
    location: Location
    monday: dt.date
    days: list[dt.date]
    by: str
    rows: list[WeekRow]
    total: int


def week_calendar(*, location: Location, monday: dt.date, by: str, user: User) -> WeekCalendar:
    zone = location.zone
    days = [monday + dt.timedelta(days=offset) for offset in range(7)]
    start = day_bounds(days[0], zone)[0]
    end = day_bounds(days[-1], zone)[1]
    rows = list(
        visible_appointments(user)
        .filter(location=location, starts_at__lt=end, ends_at__gt=start)
        .select_related(*APPOINTMENT_JOINS)
        .order_by("starts_at", "pk")
    )
    if by == "room":
        resources = list(
            Room.objects.filter(location=location)
            .filter(Q(is_active=True) | Q(pk__in={row.room_id for row in rows}))
            .order_by("name")
        )
        key = "room_id"
    elif not sees_whole_location(user):
        resources, key = [user], "therapist_id"
    else:
        resources = list(
            User.objects.filter(
                Q(locations=location, groups__name=Role.THERAPIST.label, is_active=True)
                | Q(pk__in={row.therapist_id for row in rows})
            )
            .distinct()
            .order_by("last_name", "first_name", "username")
        )
        key = "therapist_id"
    grid: dict[tuple[int, dt.date], list[Appointment]] = defaultdict(list)
    for row in rows:
        grid[(getattr(row, key), row.starts_at.astimezone(zone).date())].append(row)
    week_rows = [
        WeekRow(
            resource=resource,
            title=resource.name if by == "room" else str(resource),
            cells=[grid[(resource.pk, day)] for day in days],
        )
        for resource in resources
    ]
    return WeekCalendar(
        location=location,
        monday=monday,
        days=days,
        by=by,
        rows=week_rows,
        total=sum(1 for row in rows if _active(row)),
    )


# --- Home page ------------------------------------------------------------------------------


def todays_appointments(user: User, *, now: dt.datetime | None = None) -> list[dict]:
    """Today's appointments (in each location's own zone) for the home page, grouped by
    location: a therapist's own, the front desk's at their locations. One query."""
    now = now or timezone.now()
    appointments = visible_appointments(user)
    if not sees_whole_location(user):
        appointments = appointments.filter(therapist=user)
    else:
        appointments = appointments.filter(location__in=Location.objects.filter(staff=user))
    nearby = (
        appointments.filter(
            starts_at__gte=now - dt.timedelta(hours=36), starts_at__lt=now + dt.timedelta(hours=36)
        )
        .select_related(*APPOINTMENT_JOINS)
        .order_by("starts_at", "pk")
    )
    groups: dict[int, dict] = {}
    for appointment in nearby:
        zone = appointment.location.zone
        today = now.astimezone(zone).date()
        if appointment.starts_at.astimezone(zone).date() != today:
            continue
        group = groups.setdefault(
            appointment.location_id,
            {"location": appointment.location, "day": today, "appointments": []},
        )
        group["appointments"].append(appointment)
    return sorted(groups.values(), key=lambda group: group["location"].name)


def series_of(appointment: Appointment) -> list[Appointment]:
    if not appointment.series_id:
        return []
    return list(
        Appointment.objects.filter(series_id=appointment.series_id)
        .select_related("location", "therapist", "room")
        .order_by("starts_at")
    )


def appointments_between(
    start_at: dt.datetime, end_before: dt.datetime, *, location_id=None, therapist_id=None
) -> QuerySet[Appointment]:
    """Appointments starting in [start_at, end_before), at one location and with one therapist
    when given: what the manager reports count."""
    qs = Appointment.objects.filter(starts_at__gte=start_at, starts_at__lt=end_before)
    if location_id:
        qs = qs.filter(location_id=location_id)
    if therapist_id:
        qs = qs.filter(therapist_id=therapist_id)
    return qs
