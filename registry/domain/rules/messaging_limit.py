"""The platform's limits on a non-transactional send: the channel's messaging limit
(`messaging_limit_reached`, SPEC §12: distinct customers per rolling 24 h) and a
customer's platform user cap (`platform_user_cap`, SPEC §11), and when they pass."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from registry.domain.reasons import MESSAGING_LIMIT_REACHED, PLATFORM_USER_CAP

if TYPE_CHECKING:
    from registry.domain.decision import ChannelLimit, CustomerFacts


def feedback_reasons(
    customer: CustomerFacts | None, channel: str, limit: ChannelLimit | None, at: datetime
) -> list[str]:
    """`messaging_limit_reached` and `platform_user_cap`, in that order. A customer already
    counted in the window does not count again."""
    reasons: list[str] = []
    if limit is not None and limit.effective is not None:
        latest = None if customer is None else customer.marketing_at.get(channel)
        counted = latest is not None and latest >= limit.window_start
        if not counted and limit.customers_24h + 1 > limit.effective:
            reasons.append(MESSAGING_LIMIT_REACHED)
    hold = None if customer is None else customer.holds.get(channel)
    if hold is not None and at < hold:
        reasons.append(PLATFORM_USER_CAP)
    return reasons


def held_until(
    customer: CustomerFacts | None,
    channel: str,
    limit: ChannelLimit | None,
    reasons: list[str],
    at: datetime,
) -> datetime | None:
    """The moment the feedback rules pass (then the schedule is asked from there); None
    when the messaging limit has no known end (a limit of 0)."""
    start = at
    if PLATFORM_USER_CAP in reasons and customer is not None:
        start = max(start, customer.holds[channel])
    if MESSAGING_LIMIT_REACHED in reasons:
        if limit is None or limit.frees_at is None:
            return None
        start = max(start, limit.frees_at)
    return start
