"""A report's month: `YYYY-MM` in the tenant policy's timezone, its bounds in UTC, and
whether it is still running."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits (\d would take any script's)


class MonthInvalid(ValueError):
    """The month text is not a calendar month, or it has not begun yet."""


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    timezone: str

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @cached_property
    def next_first_day(self) -> date:
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    @property
    def days(self) -> list[date]:
        count = (self.next_first_day - self.first_day).days
        return [self.first_day + timedelta(days=n) for n in range(count)]

    @cached_property
    def start(self) -> datetime:
        """Local midnight of the first day, in UTC."""
        return _local_midnight(self.first_day, self.zone)

    @cached_property
    def end(self) -> datetime:
        """Local midnight of the next month's first day, in UTC (exclusive)."""
        return _local_midnight(self.next_first_day, self.zone)

    def local_day(self, moment: datetime) -> date:
        """The local date of a moment; memoised per UTC quarter hour (every zone's offset
        is a whole number of quarter hours), since a month's events are millions."""
        quarter = (moment.year, moment.month, moment.day, moment.hour, moment.minute // 15)
        days = self.__dict__.setdefault("_local_days", {})
        day = days.get(quarter)
        if day is None:
            day = days[quarter] = moment.astimezone(self.zone).date()
        return day  # type: ignore[no-any-return]

    def is_over(self, now: datetime) -> bool:
        return now >= self.end


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def parse_month(text: str, timezone: str, now: datetime) -> Month:
    """`YYYY-MM` as a month of `timezone`; a malformed month, or one that has not begun
    at `now` in that timezone, raises `MonthInvalid`."""
    match = _MONTH.fullmatch(text)
    if match is None:
        raise MonthInvalid("the month must be written YYYY-MM, such as 2026-11")
    year, number = int(match[1]), int(match[2])
    if not (1 <= number <= 12 and 2000 <= year <= 9998):
        raise MonthInvalid("the month must be a calendar month (01-12) of a year 2000-9998")
    month = Month(year, number, timezone)
    if now < month.start:
        raise MonthInvalid(f"{month.label} has not begun yet in {timezone}")
    return month
