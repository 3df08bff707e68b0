"""R-DECIDE time rules: send window, send days, holidays and the daily limit, across DST."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.domain.policy import DAY_NAMES, Policy, SendWindow
from registry.domain.rules.schedule import (
    failing_time_rules,
    instant_of,
    is_public_holiday,
    local_day,
    next_allowed_at,
)

MOSCOW = ZoneInfo("Europe/Moscow")
VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY = DAY_NAMES
DEFAULT = Policy.default("acme")


def never_full(day: date) -> bool:
    return False


def full_on(*days: date) -> Callable[[date], bool]:
    return lambda day: day in days


def utc(*fields: int) -> datetime:
    return local(UTC, *fields)


def local(zone: tzinfo, year: int, month: int, day: int, *clock: int) -> datetime:
    """The instant at which `zone` reads this wall time (hour, minute, second, microsecond)."""
    hour, minute, second, microsecond = (*clock, 0, 0, 0, 0)[:4]
    wall = datetime(year, month, day, hour, minute, second, microsecond, tzinfo=zone)
    return wall.astimezone(UTC)


def policy_with(**changes: object) -> Policy:
    return replace(DEFAULT, **changes)  # type: ignore[arg-type]


def window(start: str, end: str) -> SendWindow:
    return SendWindow(time.fromisoformat(start), time.fromisoformat(end))


def failing(at: datetime, policy: Policy = DEFAULT, zone: ZoneInfo = MOSCOW) -> list[str]:
    return failing_time_rules(at, zone, policy, day_is_full=never_full)


def next_at(at: datetime, policy: Policy = DEFAULT, zone: ZoneInfo = MOSCOW) -> datetime | None:
    return next_allowed_at(at, zone, policy, day_is_full=never_full)


# Moscow, the default policy: 09:00-21:00, mon-fri, Russian holidays, 2 a day.


def test_weekday_afternoon_in_moscow_is_allowed() -> None:
    assert failing(local(MOSCOW, 2025, 3, 11, 14, 0)) == []


def test_allowed_moment_is_its_own_next_allowed_moment_to_the_microsecond() -> None:
    at = utc(2025, 3, 11, 11, 0, 0, 123456)

    assert next_at(at) == at


def test_evening_send_in_moscow_is_refused_until_next_morning_at_nine() -> None:
    at = local(MOSCOW, 2025, 3, 11, 22, 15)

    assert failing(at) == ["outside_send_window"]
    assert next_at(at) == local(MOSCOW, 2025, 3, 12, 9, 0)


def test_early_morning_send_waits_for_nine_the_same_day() -> None:
    assert next_at(local(MOSCOW, 2025, 3, 12, 6, 45)) == local(MOSCOW, 2025, 3, 12, 9, 0)


def test_window_start_is_inclusive() -> None:
    assert failing(local(MOSCOW, 2025, 3, 11, 9, 0)) == []


def test_window_end_is_exclusive() -> None:
    assert failing(local(MOSCOW, 2025, 3, 11, 21, 0)) == ["outside_send_window"]


def test_last_second_before_window_end_is_allowed() -> None:
    assert failing(local(MOSCOW, 2025, 3, 11, 20, 59, 59)) == []


def test_friday_evening_waits_for_monday_nine() -> None:
    at = local(MOSCOW, 2025, 3, 14, 21, 30)

    assert next_at(at) == local(MOSCOW, 2025, 3, 17, 9, 0)


def test_friday_evening_before_a_monday_holiday_waits_for_tuesday() -> None:
    at = local(MOSCOW, 2026, 2, 20, 21, 30)  # Monday 23 February is Defender of the Fatherland Day

    assert next_at(at) == local(MOSCOW, 2026, 2, 24, 9, 0)


def test_saturday_noon_fails_only_the_send_days_rule() -> None:
    assert failing(local(MOSCOW, 2025, 3, 15, 12, 0)) == ["outside_send_days"]


def test_saturday_evening_fails_window_and_days_in_code_order() -> None:
    assert failing(local(MOSCOW, 2025, 3, 15, 23, 0)) == [
        "outside_send_window",
        "outside_send_days",
    ]


@pytest.mark.parametrize("day", range(1, 9))
def test_russian_new_year_holidays_run_from_january_first_to_eighth(day: int) -> None:
    assert is_public_holiday(date(2025, 1, day), "RU")


def test_weekday_in_new_year_holidays_fails_the_holiday_rule() -> None:
    assert failing(local(MOSCOW, 2026, 1, 5, 12, 0)) == ["holiday"]


def test_transferred_day_off_counts_as_a_holiday() -> None:
    assert is_public_holiday(date(2026, 1, 9), "RU")


def test_saturday_made_a_working_day_is_not_a_holiday() -> None:
    assert not is_public_holiday(date(2025, 11, 1), "RU")


def test_send_before_new_year_waits_until_after_the_holidays() -> None:
    at = local(MOSCOW, 2025, 12, 30, 21, 30)  # 31 Dec and 9 Jan are transferred days off

    assert next_at(at) == local(MOSCOW, 2026, 1, 12, 9, 0)


def test_no_holiday_country_means_no_holidays() -> None:
    assert not is_public_holiday(date(2025, 1, 1), None)


def test_holidays_of_the_policy_country_apply_only() -> None:
    policy = policy_with(holidays="US")

    assert failing(local(MOSCOW, 2025, 1, 6, 12, 0), policy) == []


# Customer time zone


def test_customer_zone_decides_local_time_not_the_policy_zone() -> None:
    at = local(VLADIVOSTOK, 2025, 3, 12, 9, 30)  # 02:30 in Moscow

    assert failing(at, zone=VLADIVOSTOK) == []


def test_customer_evening_waits_for_nine_in_the_customer_zone() -> None:
    at = local(VLADIVOSTOK, 2025, 3, 11, 22, 0)  # 15:00 in Moscow

    assert next_at(at, zone=VLADIVOSTOK) == local(VLADIVOSTOK, 2025, 3, 12, 9, 0)


def test_local_day_is_the_calendar_day_in_the_zone() -> None:
    assert local_day(utc(2025, 3, 11, 15, 0), VLADIVOSTOK) == date(2025, 3, 12)


def test_customer_day_decides_send_days() -> None:
    at = local(VLADIVOSTOK, 2025, 3, 15, 1, 0)  # Saturday there, Friday 18:00 in Moscow

    assert failing(at, zone=VLADIVOSTOK) == ["outside_send_window", "outside_send_days"]


# Daylight saving time


def test_berlin_window_start_inside_spring_gap_opens_at_three_summer_time() -> None:
    policy = policy_with(send_window=window("02:30", "21:00"), send_days=EVERY_DAY, holidays=None)
    at = local(BERLIN, 2025, 3, 30, 1, 30)

    assert next_at(at, policy, BERLIN) == utc(2025, 3, 30, 1, 0)  # 03:00 CEST


def test_berlin_last_second_before_spring_transition_is_outside_a_gap_window() -> None:
    policy = policy_with(send_window=window("02:30", "21:00"), send_days=EVERY_DAY, holidays=None)

    assert failing(utc(2025, 3, 30, 0, 59, 59), policy, BERLIN) == ["outside_send_window"]


def test_berlin_friday_evening_before_spring_change_waits_for_monday_nine_summer_time() -> None:
    policy = policy_with(holidays="DE")
    at = local(BERLIN, 2025, 3, 28, 22, 0)

    assert next_at(at, policy, BERLIN) == utc(2025, 3, 31, 7, 0)


def test_berlin_ambiguous_window_start_opens_at_its_first_occurrence() -> None:
    policy = policy_with(send_window=window("02:30", "21:00"), send_days=EVERY_DAY, holidays=None)
    at = utc(2025, 10, 26, 0, 0)  # 02:00 CEST

    assert next_at(at, policy, BERLIN) == utc(2025, 10, 26, 0, 30)  # 02:30 CEST


def test_berlin_repeated_hour_after_an_ambiguous_start_stays_inside_the_window() -> None:
    policy = policy_with(send_window=window("02:30", "21:00"), send_days=EVERY_DAY, holidays=None)

    assert failing(utc(2025, 10, 26, 1, 15), policy, BERLIN) == []  # 02:15 CET, second time


def test_berlin_repeated_hour_after_an_ambiguous_end_stays_outside_the_window() -> None:
    policy = policy_with(send_window=window("00:00", "02:30"), send_days=EVERY_DAY, holidays=None)

    assert failing(utc(2025, 10, 26, 1, 15), policy, BERLIN) == ["outside_send_window"]


def test_new_york_window_start_inside_spring_gap_opens_at_three_daylight_time() -> None:
    policy = policy_with(send_window=window("02:30", "21:00"), send_days=EVERY_DAY, holidays=None)
    at = local(NEW_YORK, 2025, 3, 9, 1, 0)

    assert next_at(at, policy, NEW_YORK) == utc(2025, 3, 9, 7, 0)  # 03:00 EDT


def test_new_york_ambiguous_window_start_opens_at_its_first_occurrence() -> None:
    policy = policy_with(send_window=window("01:30", "21:00"), send_days=EVERY_DAY, holidays=None)
    at = utc(2025, 11, 2, 5, 0)  # 01:00 EDT

    assert next_at(at, policy, NEW_YORK) == utc(2025, 11, 2, 5, 30)  # 01:30 EDT


def test_spring_gap_wall_time_resolves_to_the_transition() -> None:
    assert instant_of(date(2025, 3, 9), time(2, 30), NEW_YORK) == utc(2025, 3, 9, 7, 0)


def test_ambiguous_wall_time_resolves_to_its_earlier_instant() -> None:
    assert instant_of(date(2025, 11, 2), time(1, 30), NEW_YORK) == utc(2025, 11, 2, 5, 30)


# Daily limit


def test_full_day_fails_the_daily_limit_rule() -> None:
    at = local(MOSCOW, 2025, 3, 11, 12, 0)

    assert failing_time_rules(at, MOSCOW, DEFAULT, day_is_full=full_on(date(2025, 3, 11))) == [
        "daily_limit_reached"
    ]


def test_full_day_waits_for_the_next_local_day_window_start() -> None:
    at = local(MOSCOW, 2025, 3, 11, 12, 0)

    found = next_allowed_at(at, MOSCOW, DEFAULT, day_is_full=full_on(date(2025, 3, 11)))

    assert found == local(MOSCOW, 2025, 3, 12, 9, 0)


def test_full_friday_waits_for_monday() -> None:
    at = local(MOSCOW, 2025, 3, 14, 12, 0)

    found = next_allowed_at(at, MOSCOW, DEFAULT, day_is_full=full_on(date(2025, 3, 14)))

    assert found == local(MOSCOW, 2025, 3, 17, 9, 0)


def test_no_daily_limit_never_asks_whether_the_day_is_full() -> None:
    def explode(day: date) -> bool:
        raise AssertionError("asked")

    policy = policy_with(marketing_daily_limit=None)

    assert (
        failing_time_rules(local(MOSCOW, 2025, 3, 11, 12), MOSCOW, policy, day_is_full=explode)
        == []
    )


def test_zero_daily_limit_is_always_reached() -> None:
    policy = policy_with(marketing_daily_limit=0)

    assert failing(local(MOSCOW, 2025, 3, 11, 12, 0), policy) == ["daily_limit_reached"]


def test_zero_daily_limit_has_no_next_allowed_moment() -> None:
    assert next_at(local(MOSCOW, 2025, 3, 11, 12, 0), policy_with(marketing_daily_limit=0)) is None


def test_no_allowed_day_within_the_horizon_gives_none() -> None:
    at = local(MOSCOW, 2025, 3, 11, 12, 0)

    assert next_allowed_at(at, MOSCOW, DEFAULT, day_is_full=lambda day: True) is None


def test_horizon_bounds_the_search() -> None:
    at = local(MOSCOW, 2025, 3, 14, 22, 0)

    assert next_allowed_at(at, MOSCOW, DEFAULT, day_is_full=never_full, horizon_days=2) is None


# Any time of day, and windows over midnight


def test_null_window_on_a_send_day_allows_any_hour() -> None:
    assert failing(local(MOSCOW, 2025, 3, 11, 3, 0), policy_with(send_window=None)) == []


def test_null_window_on_saturday_waits_for_monday_midnight() -> None:
    at = local(MOSCOW, 2025, 3, 15, 12, 0)

    assert next_at(at, policy_with(send_window=None)) == local(MOSCOW, 2025, 3, 17, 0, 0)


def test_wrapping_window_allows_the_small_hours() -> None:
    policy = policy_with(send_window=window("21:00", "09:00"))

    assert failing(local(MOSCOW, 2025, 3, 12, 2, 0), policy) == []


def test_wrapping_window_allows_the_late_evening() -> None:
    policy = policy_with(send_window=window("21:00", "09:00"))

    assert failing(local(MOSCOW, 2025, 3, 12, 23, 30), policy) == []


def test_wrapping_window_end_is_exclusive() -> None:
    policy = policy_with(send_window=window("21:00", "09:00"))

    assert failing(local(MOSCOW, 2025, 3, 12, 9, 0), policy) == ["outside_send_window"]


def test_wrapping_window_midday_waits_for_the_evening_start() -> None:
    policy = policy_with(send_window=window("21:00", "09:00"))
    at = local(MOSCOW, 2025, 3, 12, 12, 0)

    assert next_at(at, policy) == local(MOSCOW, 2025, 3, 12, 21, 0)


def test_wrapping_window_does_not_carry_friday_into_saturday() -> None:
    policy = policy_with(send_window=window("21:00", "09:00"))

    assert failing(local(MOSCOW, 2025, 3, 15, 2, 0), policy) == ["outside_send_days"]


def test_wrapping_window_after_friday_night_resumes_at_monday_midnight() -> None:
    policy = policy_with(send_window=window("21:00", "09:00"))
    at = local(MOSCOW, 2025, 3, 15, 0, 0)

    assert next_at(at, policy) == local(MOSCOW, 2025, 3, 17, 0, 0)


def test_window_ending_at_midnight_runs_to_the_end_of_the_day() -> None:
    policy = policy_with(send_window=window("09:00", "00:00"))

    assert failing(local(MOSCOW, 2025, 3, 12, 23, 59, 59), policy) == []


def test_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        failing_time_rules(datetime(2025, 3, 11, 12), MOSCOW, DEFAULT, day_is_full=never_full)


# Properties, for every zone, policy and moment


ZONES = sorted(available_timezones() - {"Factory", "localtime", "posixrules"})
ONE_SECOND = timedelta(seconds=1)

minute_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 1, 59]))
windows = st.one_of(
    st.none(),
    st.tuples(minute_times, minute_times)
    .filter(lambda pair: pair[0] != pair[1])
    .map(lambda pair: SendWindow(*pair)),
)
policies = st.builds(
    Policy,
    display_name=st.just("acme"),
    timezone=st.just("UTC"),
    send_window=windows,
    send_days=st.sets(st.sampled_from(DAY_NAMES), min_size=1).map(
        lambda days: tuple(d for d in DAY_NAMES if d in days)
    ),
    holidays=st.sampled_from([None, "RU", "US", "DE", "IL", "BR", "AU"]),
    marketing_daily_limit=st.sampled_from([None, 1, 2]),
    service_window_hours=st.just(24),
    max_emoji=st.just(3),
)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
full_day_offsets = st.frozensets(st.integers(0, 10), max_size=6)


class Scenario:
    def __init__(self, at: datetime, zone: ZoneInfo, policy: Policy, offsets: frozenset[int]):
        self.at, self.zone, self.policy = at, zone, policy
        first = local_day(at, zone)
        self.full_days = frozenset(first + timedelta(days=n) for n in offsets)

    def day_is_full(self, day: date) -> bool:
        return day in self.full_days

    def failing(self, moment: datetime) -> list[str]:
        return failing_time_rules(moment, self.zone, self.policy, day_is_full=self.day_is_full)

    def next_allowed(self) -> datetime | None:
        return next_allowed_at(self.at, self.zone, self.policy, day_is_full=self.day_is_full)


scenarios = st.builds(
    Scenario, moments, st.sampled_from(ZONES).map(ZoneInfo), policies, full_day_offsets
)
PROPERTY = settings(max_examples=200, deadline=None)


@PROPERTY
@given(scenarios)
def test_next_allowed_moment_breaks_no_time_rule(scenario: Scenario) -> None:
    found = scenario.next_allowed()

    assert found is None or scenario.failing(found) == []


@PROPERTY
@given(scenarios)
def test_second_before_next_allowed_moment_is_refused_unless_it_is_the_asked_moment(
    scenario: Scenario,
) -> None:
    found = scenario.next_allowed()

    assert found is None or found == scenario.at or scenario.failing(found - ONE_SECOND) != []


@PROPERTY
@given(scenarios)
def test_next_allowed_moment_is_not_before_the_asked_moment(scenario: Scenario) -> None:
    found = scenario.next_allowed()

    assert found is None or found >= scenario.at


@PROPERTY
@given(scenarios, st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=5))
def test_every_moment_before_the_next_allowed_one_is_refused(
    scenario: Scenario, fractions: list[float]
) -> None:
    found = scenario.next_allowed()
    if found is None:
        return
    for fraction in fractions:
        moment = scenario.at + (found - scenario.at) * fraction
        if moment < found:
            assert scenario.failing(moment) != []


@PROPERTY
@given(scenarios)
def test_allowed_moment_is_its_own_next_allowed_moment(scenario: Scenario) -> None:
    if scenario.failing(scenario.at) == []:
        assert scenario.next_allowed() == scenario.at


@PROPERTY
@given(scenarios)
def test_next_allowed_moment_is_in_utc(scenario: Scenario) -> None:
    found = scenario.next_allowed()

    assert found is None or found.tzinfo is UTC


def offset_changes(zone: ZoneInfo, year: int) -> list[datetime]:
    """The instants in `year` at which the UTC offset of `zone` changes, to the second."""
    changes: list[datetime] = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        following = day + timedelta(days=1)
        if day.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            low, high = int(day.timestamp()), int(following.timestamp())
            before = day.astimezone(zone).utcoffset()
            while high - low > 1:
                middle = (low + high) // 2
                if datetime.fromtimestamp(middle, zone).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            changes.append(datetime.fromtimestamp(high, UTC))
        day = following
    return changes


DST_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "America/Santiago",
    "America/Havana",
    "America/Asuncion",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Africa/Cairo",
    "Asia/Beirut",
    "Antarctica/Troll",
]
TRANSITIONS = [
    (ZoneInfo(name), change)
    for name in DST_ZONES
    for year in (2024, 2025, 2026)
    for change in offset_changes(ZoneInfo(name), year)
]
half_hours = st.builds(time, st.integers(0, 23), st.sampled_from([0, 30]))
near_transition_scenarios = st.builds(
    lambda picked, shift, policy, offsets: Scenario(
        picked[1] + timedelta(seconds=shift), picked[0], policy, offsets
    ),
    st.sampled_from(TRANSITIONS),
    st.integers(-36 * 3600, 36 * 3600),
    policies.map(lambda p: replace(p, holidays=None)).flatmap(
        lambda p: st.builds(
            lambda start, end: replace(p, send_window=SendWindow(start, end)),
            half_hours,
            half_hours,
        ).filter(lambda q: q.send_window is not None and q.send_window.start != q.send_window.end)
    ),
    full_day_offsets,
)
ONE_MINUTE = timedelta(minutes=1)


@settings(max_examples=200, deadline=None)
@given(near_transition_scenarios)
def test_near_dst_transitions_no_minute_before_the_next_allowed_moment_is_allowed(
    scenario: Scenario,
) -> None:
    found = scenario.next_allowed()
    assert found is not None
    assert scenario.failing(found) == []
    moment = scenario.at
    until = min(found, scenario.at + timedelta(days=3))
    while moment < until:
        assert scenario.failing(moment) != []
        moment += ONE_MINUTE
