"""Each decision rule on its own (registry/domain/rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from registry.domain.rules.consent import consent_status
from registry.domain.rules.daily_limit import (
    RECENT_AUTHORIZATIONS_KEPT,
    authorizations_on,
    day_is_full_for,
    kept_authorizations,
    limit_reached,
)

MOSCOW = ZoneInfo("Europe/Moscow")
NOON = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def test_a_grant_expires_at_its_expiry_instant() -> None:
    assert consent_status("granted", NOON, NOON) == "expired"
    assert consent_status("granted", NOON, NOON - timedelta(microseconds=1)) == "granted"


def test_a_withdrawn_consent_stays_withdrawn_past_its_expiry() -> None:
    assert consent_status("withdrawn", NOON, NOON + timedelta(days=1)) == "withdrawn"


def test_a_grant_without_expiry_never_expires() -> None:
    assert consent_status("granted", None, NOON + timedelta(days=10_000)) == "granted"


def test_sends_count_on_the_customers_local_day() -> None:
    # 21:30 UTC on the 3rd is 00:30 on the 4th in Moscow.
    late = datetime(2026, 3, 3, 21, 30, tzinfo=UTC)
    assert authorizations_on([late, NOON], MOSCOW, date(2026, 3, 4)) == 2
    assert authorizations_on([late, NOON], ZoneInfo("UTC"), date(2026, 3, 4)) == 1


def test_a_limit_of_zero_is_reached_without_counting() -> None:
    def never_asked(_: date) -> bool:
        raise AssertionError("a limit of 0 needs no count")

    assert limit_reached(date(2026, 3, 4), 0, never_asked)


def test_no_limit_is_never_reached() -> None:
    assert not limit_reached(date(2026, 3, 4), None, lambda _: True)


def test_a_day_is_full_at_the_limit() -> None:
    full = day_is_full_for([NOON, NOON + timedelta(hours=1)], MOSCOW, 2)
    assert full(date(2026, 3, 4))
    assert not full(date(2026, 3, 5))
    assert not day_is_full_for([NOON], MOSCOW, 2)(date(2026, 3, 4))


def test_kept_sends_cover_any_local_day() -> None:
    old = NOON - RECENT_AUTHORIZATIONS_KEPT - timedelta(seconds=1)
    kept = kept_authorizations([old, NOON - timedelta(hours=30)], NOON)
    assert kept == [NOON - timedelta(hours=30), NOON]
    assert timedelta(hours=24 + 26) <= RECENT_AUTHORIZATIONS_KEPT  # a day plus the zone spread


def test_a_pending_grant_expires_unconfirmed_at_its_confirm_by() -> None:
    assert consent_status("pending", None, NOON, confirm_by=NOON) == "expired"
    assert consent_status("pending", None, NOON, confirm_by=NOON + timedelta(seconds=1)) == (
        "pending"
    )
