"""`phone_number_quality_update` (SPEC §12): the phone number's messaging limit and quality.

`current_limit` (`TIER_250`, `TIER_2K`, … `TIER_UNLIMITED`, `TIER_NOT_SET`) is read first;
newer payloads may carry the limit as `max_daily_conversations_per_business` instead (a
tier name or a number), and Meta announced `current_limit`'s removal, so a payload whose
limit is neither is not guessed at: it is kept for inspection (R-WEBHOOK). The quality
rating is taken from `quality_rating` or `quality_score.score` when present (GREEN, YELLOW,
RED, UNKNOWN); the payload's `event` (FLAGGED, UNFLAGGED, UPGRADE, …) is kept as sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Final

from registry.domain.limits import platform_limit
from registry.integrations import whatsapp_fields as fields
from registry.integrations.whatsapp_changes import Change, Json, PhoneNumberLimitChanged

QUALITIES: Final = frozenset({"GREEN", "YELLOW", "RED", "UNKNOWN"})
_LIMIT_FIELDS: Final = ("current_limit", "max_daily_conversations_per_business")


def parse_phone_quality(
    value: Json, entry_time: datetime | None, problems: list[str]
) -> Iterator[Change]:
    tier = limit = None
    understood = False
    for name in _LIMIT_FIELDS:
        raw = value.get(name)
        if isinstance(raw, str) and raw.strip():
            understood, limit = platform_limit(raw)
            tier = raw.strip().upper()
        elif isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
            understood, limit, tier = True, raw, str(raw)
        if understood:
            break
    if not understood:
        problems.append("phone_number_quality_update without a messaging limit understood here")
        return
    quality = fields.upper(value.get("quality_rating")) or fields.upper(
        fields.as_dict(value.get("quality_score")).get("score")
    )
    event = fields.upper(value.get("event"))
    phone = fields.stripped(value.get("display_phone_number"))
    previous = fields.upper(value.get("old_limit"))
    at = fields.epoch(value.get("timestamp")) or entry_time
    when = str(int(at.timestamp())) if at else "h" + fields.digest(value)[:16]
    yield PhoneNumberLimitChanged(
        dedupe_key=f"limit:{phone or ''}:{event or ''}:{tier}:{when}",
        occurred_at=at,
        display_phone_number=phone,
        event=event,
        tier=tier,
        previous_tier=previous,
        limit=limit,
        quality=quality if quality in QUALITIES else None,
    )
