"""A free-form message (no template): allowed within `service_window_hours` after the
customer's last inbound message on the channel; an unknown customer has no consent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from registry.domain.reasons import NO_CONSENT, OUTSIDE_SERVICE_WINDOW

if TYPE_CHECKING:
    from registry.domain.decision import CustomerFacts


def service_window_reasons(
    customer: CustomerFacts | None, channel: str, window_hours: int, at: datetime
) -> list[str]:
    reasons: list[str] = []
    if customer is None:
        reasons.append(NO_CONSENT)
    last = None if customer is None else customer.last_inbound_at.get(channel)
    window = timedelta(hours=window_hours)
    if last is None or not (last <= at < last + window):
        reasons.append(OUTSIDE_SERVICE_WINDOW)
    return reasons
