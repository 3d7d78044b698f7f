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
from clinic.booking.schedule import Schedule, Window
from clinic.booking.times import day_bounds, minutes_of
from clinic.staff.models import Location, Room, User
from clinic.staff.roles import Role
from patients.models import Patient

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
    style: str = ""
    time_label: str = ""
    patient_name: str = ""
    meta: str = ""


@dataclass
class FreeSlot:
    at: dt.time
    top: float
    height: float
    url: str = ""
    style: str = ""
    label: str = ""


@dataclass
class Column:
    key: str  # "therapist" or "room"
    resource: object
    title: str
    blocks: list[Block] = field(default_factory=list)
    bands: list[tuple[float, float, str]] = field(default_factory=list)  # (top, height, label)
    free: list[FreeSlot] = field(default_factory=list)
    note: str = ""


@dataclass
class DayCalendar:
    location: Location
    day: dt.date
    by: str
    columns: list[Column]
    hours: list[tuple[str, float]]
    height: float
    history: list[DayAppointment]
    active_count: int
    opening: Window | None


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
    own_only = not sees_whole_location(user)

    if by == "room":
        room_ids = {row.room_id for row in rows}
        resources = list(
            Room.objects.filter(location=location)
            .filter(Q(is_active=True) | Q(pk__in=room_ids))
            .order_by("name")
        )
        therapist_ids = {row.therapist_id for row in rows}
    else:
        if own_only:
            resources = [user]
        else:
            therapist_ids = {row.therapist_id for row in rows}
            resources = list(
                User.objects.filter(
                    Q(locations=location, groups__name=Role.THERAPIST.label, is_active=True)
                    | Q(pk__in=therapist_ids)
                )
                .distinct()
                .order_by("last_name", "first_name", "username")
            )
        therapist_ids = {resource.pk for resource in resources}
    schedule = Schedule.load(location, therapist_ids=therapist_ids, first_day=day, last_day=day)
    opening = schedule.opening_on(day)

    windows: list[Window] = [opening] if opening else []
    if by != "room":
        for resource in resources:
            windows.extend(schedule.working_on(resource.pk, day))
    low, high = _range_minutes(active, zone, day, windows)

    def top_of(minute: int) -> float:
        return round((minute - low) * PX_PER_MINUTE, 1)

    def band(window: Window, label: str) -> tuple[float, float, str]:
        first = max(minutes_of(window.starts), low)
        last = min(minutes_of(window.ends), high)
        return (top_of(first), round((last - first) * PX_PER_MINUTE, 1), label)

    book_url = reverse("booking:book", args=[location.pk])
    columns: list[Column] = []
    for resource in resources:
        if by == "room":
            column = Column("room", resource, resource.name)
            mine = [row for row in active if row.room_id == resource.pk]
            open_windows = [opening] if opening else []
            column.bands = [band(window, "Open") for window in open_windows]
            if not opening:
                column.note = "Closed"
        else:
            column = Column("therapist", resource, str(resource))
            mine = [row for row in active if row.therapist_id == resource.pk]
            absence = schedule.absence_on(resource.pk, day)
            open_windows = []
            if absence is not None:
                column.note = f"Away: {absence.get_kind_display().lower()}"
            else:
                for window in schedule.working_on(resource.pk, day):
                    if opening:
                        clipped = Window(
                            max(window.starts, opening.starts), min(window.ends, opening.ends)
                        )
                        if clipped.starts < clipped.ends:
                            open_windows.append(clipped)
                if not open_windows:
                    column.note = "Not working"
            column.bands = [band(window, "Working") for window in open_windows]
        for row in mine:
            first = max(_minute_in_day(row.starts_at, zone, day), low)
            last = min(_minute_in_day(row.ends_at, zone, day), high)
            block = Block(
                appointment=row,
                top=top_of(first),
                height=max(round((last - first) * PX_PER_MINUTE, 1), MIN_BLOCK_PX),
                starts=row.starts_at.astimezone(zone),
                ends=row.ends_at.astimezone(zone),
            )
            who = row.therapist if by == "room" else row.room
            block.url = row.url
            block.style = (
                f"top: {block.top}px; height: {block.height}px; "
                f"--appt-colour: {row.colour}; --appt-text: {text_colour_on(row.colour)};"
            )
            block.time_label = f"{block.starts:%H:%M}–{block.ends:%H:%M}"
            block.patient_name = row.patient
            block.meta = f"{row.kind} · {who} · {row.status_label}"
            column.blocks.append(block)
        if can_book:
            busy = [
                (_minute_in_day(row.starts_at, zone, day), _minute_in_day(row.ends_at, zone, day))
                for row in mine
            ]
            for window in open_windows:
                minute = -(-minutes_of(window.starts) // SLOT_MINUTES) * SLOT_MINUTES
                while minute + SLOT_MINUTES <= minutes_of(window.ends):
                    if not any(s < minute + SLOT_MINUTES and minute < e for s, e in busy):
                        slot = FreeSlot(
                            at=dt.time(minute // 60, minute % 60),
                            top=top_of(minute),
                            height=round(SLOT_MINUTES * PX_PER_MINUTE, 1),
                        )
                        slot.label = f"{slot.at:%H:%M}"
                        slot.style = f"top: {slot.top}px; height: {slot.height}px"
                        slot.url = (
                            f"{book_url}?date={day:%Y-%m-%d}&time={slot.label}"
                            f"&{column.key}={column.resource.pk}"
                        )
                        column.free.append(slot)
                    minute += SLOT_MINUTES
        columns.append(column)

    hours = [(f"{minute // 60:02d}:00", top_of(minute)) for minute in range(low, high, 60)]
    history = [row for row in rows if not _active(row)]
    for row in history:
        starts, ends = row.starts_at.astimezone(zone), row.ends_at.astimezone(zone)
        row.time_label = f"{starts:%H:%M}–{ends:%H:%M}"
    return DayCalendar(
        location=location,
        day=day,
        by=by,
        columns=columns,
        hours=hours,
        height=round((high - low) * PX_PER_MINUTE, 1),
        history=history,
        active_count=len(active),
        opening=opening,
    )


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
