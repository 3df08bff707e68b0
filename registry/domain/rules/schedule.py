"""The time rules of R-DECIDE: send window, send days, public holidays, and the daily
limit (its counting: `registry.domain.rules.daily_limit`), and `next_allowed_at`.

Every rule judges one instant by the local calendar day and wall clock of `zone` (the
customer's time zone, else the policy's).  The send window of a local day is a stretch of
real time, from the first instant at or after the day's `start` to the first instant at or
after its `end` (end exclusive), found like this:

- a wall time that happens twice (autumn fall-back) means its earlier instant, so the
  repeated hour belongs to whatever side of the window its first occurrence was on;
- a wall time that never happens (spring-forward gap, e.g. 02:30 in Berlin on the last
  Sunday of March) means the first instant after the gap, i.e. the transition itself;
- a wrapping window (start > end, see `registry.domain.policy`) is the part of the local day
  before `end` plus the part from `start` on.

Precision: `at` is used exactly, microseconds included; an allowed `at` is returned as is.
Every other instant `next_allowed_at` returns is a window start or a local midnight, which
falls on a whole second (window times are whole minutes and zone offsets whole seconds).

Public holidays come from the `holidays` package, public category.  For Russia it includes
the government's transferred days off (e.g. 2025-05-02, 2025-12-31, 2026-01-09, listed as
"Day off (substituted from …)"); it does not list the Saturdays made working days in
exchange (2025-11-01), so those count as ordinary Saturdays and `send_days` decides them.

A `marketing_daily_limit` of 0 is always reached, without asking `day_is_full`; null never
is.  `day_is_full` is asked only about days that pass the day and holiday rules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

from registry.domain.policy import DAY_NAMES, Policy, SendWindow
from registry.domain.reasons import (
    DAILY_LIMIT_REACHED,
    HOLIDAY,
    OUTSIDE_SEND_DAYS,
    OUTSIDE_SEND_WINDOW,
)
from registry.domain.rules.daily_limit import DayIsFull, limit_reached, never_allowed

TIME_RULE_CODES: Final = (OUTSIDE_SEND_WINDOW, OUTSIDE_SEND_DAYS, HOLIDAY, DAILY_LIMIT_REACHED)
DEFAULT_HORIZON_DAYS: Final = 400
_MIDNIGHT: Final = time(0, 0)
_ONE_DAY: Final = timedelta(days=1)


def local_day(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def is_public_holiday(day: date, country: str | None) -> bool:
    return country is not None and day in _holidays_of(country, day.year)


@lru_cache(maxsize=1024)
def _holidays_of(country: str, year: int) -> frozenset[date]:
    return frozenset(holiday_calendars.country_holidays(country, years=year))


def failing_time_rules(
    at: datetime, zone: ZoneInfo, policy: Policy, *, day_is_full: DayIsFull
) -> list[str]:
    """The codes of the time rules `at` breaks, in `TIME_RULE_CODES` order."""
    _require_aware(at)
    day = local_day(at, zone)
    failing: list[str] = []
    if policy.send_window is not None and not _in_window(at, day, zone, policy.send_window):
        failing.append(OUTSIDE_SEND_WINDOW)
    if DAY_NAMES[day.weekday()] not in policy.send_days:
        failing.append(OUTSIDE_SEND_DAYS)
    if is_public_holiday(day, policy.holidays):
        failing.append(HOLIDAY)
    if limit_reached(day, policy.marketing_daily_limit, day_is_full):
        failing.append(DAILY_LIMIT_REACHED)
    return failing


def next_allowed_at(
    at: datetime,
    zone: ZoneInfo,
    policy: Policy,
    *,
    day_is_full: DayIsFull,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> datetime | None:
    """The earliest instant >= `at` breaking no time rule, in UTC; None past the horizon.

    Looks at `at`'s local day and the `horizon_days` local days after it.  Days failing the
    day rules are skipped without computing any instant; on a passing day the earliest
    allowed instant is one of two candidates, `at`'s moment or the window start.
    """
    _require_aware(at)
    if never_allowed(policy.marketing_daily_limit):
        return None
    first_day = local_day(at, zone)
    for offset in range(horizon_days + 1):
        day = first_day + timedelta(days=offset)
        if not _day_allowed(day, policy, day_is_full):
            continue
        found = _earliest_on(day, at, zone, policy.send_window)
        if found is not None:
            return found.astimezone(UTC)
    return None


def _require_aware(at: datetime) -> None:
    if at.utcoffset() is None:
        raise ValueError("the moment must be an aware datetime")


def _day_allowed(day: date, policy: Policy, day_is_full: DayIsFull) -> bool:
    return (
        DAY_NAMES[day.weekday()] in policy.send_days
        and not is_public_holiday(day, policy.holidays)
        and not limit_reached(day, policy.marketing_daily_limit, day_is_full)
    )


def _earliest_on(
    day: date, at: datetime, zone: ZoneInfo, window: SendWindow | None
) -> datetime | None:
    """The earliest instant >= `at` of local `day` inside the window, if any.

    The allowed part of a day is a union of intervals each beginning at the day's first
    instant or at the window start, so the answer is one of those two (or `at`).
    """
    candidates = [max(at, instant_of(day, _MIDNIGHT, zone))]
    if window is not None:
        candidates.append(max(at, instant_of(day, window.start, zone)))
    for candidate in sorted(candidates):
        if local_day(candidate, zone) != day:
            continue
        if window is None or _in_window(candidate, day, zone, window):
            return candidate
    return None


def _in_window(at: datetime, day: date, zone: ZoneInfo, window: SendWindow) -> bool:
    start = instant_of(day, window.start, zone)
    end = instant_of(day, window.end, zone)
    if window.wraps_midnight:
        return at < end or at >= start
    return start <= at < end


@lru_cache(maxsize=8192)
def instant_of(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the local clock of `zone` reads `day` `wall` or later.

    An ambiguous wall time gives its earlier instant (fold=0); a wall time inside a
    spring-forward gap gives the transition, the first instant after the gap.
    """
    local = datetime.combine(day, wall, tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    return _transition_between(
        local.replace(fold=1).astimezone(UTC), local.replace(fold=0).astimezone(UTC), zone
    )


def _transition_between(first: datetime, second: datetime, zone: ZoneInfo) -> datetime:
    """The instant the UTC offset changes, to the second, between `first` and `second`.

    They read the gap's wall time with the offsets from either side of the transition, so
    exactly one transition lies between them; a binary search finds it.
    """
    low, high = min(first, second), max(first, second)
    before = low.astimezone(zone).utcoffset()
    low_s, high_s = int(low.timestamp()), int(high.timestamp())
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == before:
            low_s = middle
        else:
            high_s = middle
    return datetime.fromtimestamp(high_s, UTC)
