"""A report's month: YYYY-MM in the policy's timezone, never in the future."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from registry.reports.months import MonthInvalid, parse_month

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_month_bounds_are_local_midnights_in_the_policy_timezone() -> None:
    month = parse_month("2026-11", "Europe/Moscow", NOW)
    assert month.start == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
    assert month.end == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    assert len(month.days) == 30


def test_december_ends_at_the_next_years_first_midnight() -> None:
    month = parse_month("2025-12", "UTC", NOW)
    assert month.end == datetime(2026, 1, 1, tzinfo=UTC)


def test_a_month_across_a_daylight_saving_change_keeps_local_midnights() -> None:
    month = parse_month("2026-03", "Europe/Berlin", NOW)
    assert month.start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)  # CET, +01:00
    assert month.end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # CEST, +02:00


def test_the_running_month_is_not_over() -> None:
    month = parse_month("2026-12", "Europe/Moscow", NOW)
    assert not month.is_over(NOW)
    assert parse_month("2026-11", "Europe/Moscow", NOW).is_over(NOW)


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "abc", "2026-1", "26-11", "2026-11-01", "", "٢٠٢٦-١١"]
)
def test_malformed_months_are_refused(text: str) -> None:
    with pytest.raises(MonthInvalid):
        parse_month(text, "UTC", NOW)


def test_a_month_that_has_not_begun_is_refused() -> None:
    with pytest.raises(MonthInvalid, match="not begun"):
        parse_month("2027-01", "UTC", NOW)


def test_a_month_begun_in_the_policy_timezone_but_not_in_utc_is_accepted() -> None:
    # 2026-12-31 22:00 UTC is already January in Moscow.
    now = datetime(2026, 12, 31, 22, 0, tzinfo=UTC)
    assert parse_month("2027-01", "Europe/Moscow", now).label == "2027-01"
    with pytest.raises(MonthInvalid):
        parse_month("2027-01", "UTC", now)
