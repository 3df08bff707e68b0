"""The channel messaging limit (SPEC §12): distinct customers authorized for
non-transactional templates on a channel in the rolling 24 h.

The window is counted in whole minutes: a customer counts from the minute of their latest
marketing authorization on the channel until the end of the minute 24 h later (so the
count may run up to a minute longer than 24 h, never shorter: never one over). The
effective limit is the lower of the policy's `feedback.marketing_daily_customers` and the
platform's messaging limit, halved (rounded down, at least 1) while the channel's
complaint rate warning holds (registry.domain.channel).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final, NamedTuple

WINDOW_MINUTES: Final = 24 * 60

PLATFORM_TIERS: Final = {
    "TIER_50": 50,
    "TIER_250": 250,
    "TIER_1K": 1_000,
    "TIER_2K": 2_000,
    "TIER_10K": 10_000,
    "TIER_100K": 100_000,
}
UNLIMITED_TIERS: Final = frozenset({"TIER_UNLIMITED", "UNLIMITED"})
UNSET_TIERS: Final = frozenset({"TIER_NOT_SET"})


class EffectiveLimit(NamedTuple):
    configured: int | None
    platform: int | None
    effective: int | None
    reasons: list[str]


def effective_limit(configured: int | None, platform: int | None, halved: bool) -> EffectiveLimit:
    """Why the limit is what it is: `configured` and/or `platform` name the lower setting
    (both when equal), `halved_for_complaints` the warning, `no_limit` when neither is set."""
    given = [value for value in (configured, platform) if value is not None]
    if not given:
        return EffectiveLimit(configured, platform, None, ["no_limit"])
    base = min(given)
    reasons = [
        name
        for name, value in (("configured", configured), ("platform", platform))
        if value == base
    ]
    effective = base
    if halved:
        reasons.append("halved_for_complaints")
        effective = max(1, base // 2) if base > 0 else 0
    return EffectiveLimit(configured, platform, effective, reasons)


def minute_of(at: datetime) -> int:
    return int(at.timestamp()) // 60


def window_first_minute(at: datetime) -> int:
    """The oldest minute whose customers still count at `at`."""
    return minute_of(at) - WINDOW_MINUTES


def moment_of_minute(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def frees_at(buckets: Iterable[tuple[int, int]], count: int, effective: int) -> datetime | None:
    """When the count first falls below `effective` as counted sends leave the window:
    `buckets` are (minute, customers) of the window, any order. None for a limit of 0."""
    if effective <= 0:
        return None
    to_leave = count - effective + 1
    if to_leave <= 0:
        return None
    left = 0
    for minute, customers in sorted(buckets):
        left += customers
        if left >= to_leave:
            return moment_of_minute(minute + WINDOW_MINUTES + 1)
    return None


def platform_limit(tier: str) -> tuple[bool, int | None]:
    """(understood, limit) for a messaging-limit tier name; unlimited and not-set are None."""
    name = tier.strip().upper()
    if name in PLATFORM_TIERS:
        return True, PLATFORM_TIERS[name]
    if name in UNLIMITED_TIERS or name in UNSET_TIERS:
        return True, None
    return False, None
