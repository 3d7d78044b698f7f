"""Wall-clock times in a location's zone <-> UTC instants, safely across DST changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError

UTC = dt.UTC


def local_to_utc(day: dt.date, at: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant the clocks of `zone` show `at` on `day`, in UTC.

    A wall time the spring-forward change skips (02:30 on the March change in the US) does
    not exist: that raises ValidationError. A time that happens twice in autumn is taken the
    first time (before the clocks go back).
    """
    wall = dt.datetime.combine(day, at.replace(tzinfo=None))
    try:
        instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    except OverflowError:  # 9999-12-31 late in a zone west of UTC, 0001-01-01 east of it
        raise ValidationError(
            "%(day)s is outside the calendar the clinic can book.",
            params={"day": day.isoformat()},
            code="date_out_of_range",
        ) from None
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        raise ValidationError(
            "%(time)s does not exist on %(day)s in %(zone)s: the clocks go forward then.",
            params={"time": f"{at:%H:%M}", "day": f"{day:%a %-d %b %Y}", "zone": zone.key},
            code="nonexistent_time",
        )
    return instant


def day_bounds(day: dt.date, zone: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a local calendar day, in UTC (23 or 25 hours long on DST days)."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def local_today(zone: zoneinfo.ZoneInfo, now: dt.datetime | None = None) -> dt.date:
    from django.utils import timezone

    return (now or timezone.now()).astimezone(zone).date()


def week_start(day: dt.date) -> dt.date:
    """The Monday of `day`'s week."""
    return day - dt.timedelta(days=day.weekday())


def minutes_of(at: dt.time) -> int:
    return at.hour * 60 + at.minute


def parse_day(value: str | None) -> dt.date | None:
    """An ISO date from a query string, or None when absent or malformed."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def fmt_range(start: dt.datetime, end: dt.datetime) -> str:
    return f"{start:%a %-d %b %Y} {start:%H:%M}-{end:%H:%M}"
