"""The daily limit of non-transactional sends (`policy.marketing_daily_limit`), all of it:

- a customer's authorized non-transactional sends are counted per local calendar day of
  the customer's zone (`authorizations_on`);
- a limit of null never is reached, 0 always is (without counting), n is reached by n
  sends that day (`limit_reached`);
- the customer aggregate keeps the sends of the last `RECENT_AUTHORIZATIONS_KEPT`, which
  covers any local day (UTC offsets span −12 h … +14 h) (`kept_authorizations`);
- the count is atomic across workers because an authorization saves the customer's next
  version (registry/usecases/decisions.py: a concurrent send makes it decide again).

The policy's validation of the number lives with the policy (registry/domain/policy.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

RECENT_AUTHORIZATIONS_KEPT = timedelta(days=3)

DayIsFull = Callable[[date], bool]


def kept_authorizations(recent: Iterable[datetime], sent_at: datetime) -> list[datetime]:
    """The sends kept after one at `sent_at`: those within the horizon, and it."""
    horizon = sent_at - RECENT_AUTHORIZATIONS_KEPT
    return [a for a in recent if a >= horizon] + [sent_at]


def authorizations_on(recent: Iterable[datetime], zone: ZoneInfo, day: date) -> int:
    return sum(1 for a in recent if a.astimezone(zone).date() == day)


def day_is_full_for(recent: Iterable[datetime], zone: ZoneInfo, limit: int | None) -> DayIsFull:
    """Whether the customer's sends of a local day reach `limit`."""
    sends = tuple(recent)

    def day_is_full(day: date) -> bool:
        return limit is not None and authorizations_on(sends, zone, day) >= limit

    return day_is_full


def limit_reached(day: date, limit: int | None, day_is_full: DayIsFull) -> bool:
    """The rule: `day_is_full` is asked only when the limit is a positive number."""
    return limit is not None and (limit == 0 or day_is_full(day))


def never_allowed(limit: int | None) -> bool:
    """A limit of 0: no day ever is allowed (`next_allowed_at` is null)."""
    return limit == 0
