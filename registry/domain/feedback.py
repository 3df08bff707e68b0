"""The policy's `feedback` section (SPEC §12): attribution, the rolling window, the
thresholds that pause a template or halve a tenant's volume, and the channel limit.

Rates are fractions (0.005 = 0.5 %). Events may hold no floats (their Merkle leaves are
JSON without floats, R-AUDIT), so the stored policy document writes each rate as a
decimal string ("0.005"); the reader accepts that form as well as a JSON number, and the
API answers numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

MAX_ATTRIBUTION_HOURS: Final = 720
MAX_WINDOW_DAYS: Final = 90
MAX_COUNT: Final = 1_000_000_000
RATE_FIELDS: Final = (
    "template_pause_complaint_rate",
    "template_pause_opt_out_rate",
    "tenant_warn_complaint_rate",
)
FEEDBACK_FIELDS: Final = frozenset(
    {"attribution_hours", "window_days", "min_delivered", "marketing_daily_customers", *RATE_FIELDS}
)


@dataclass(frozen=True)
class Feedback:
    attribution_hours: int = 72
    window_days: int = 7
    min_delivered: int = 200
    template_pause_complaint_rate: Decimal = Decimal("0.005")
    template_pause_opt_out_rate: Decimal = Decimal("0.02")
    tenant_warn_complaint_rate: Decimal = Decimal("0.001")
    marketing_daily_customers: int | None = None

    def to_document(self) -> dict[str, Any]:
        """The stored form: rates as decimal strings (no floats in events)."""
        return {
            "attribution_hours": self.attribution_hours,
            "window_days": self.window_days,
            "min_delivered": self.min_delivered,
            "template_pause_complaint_rate": str(self.template_pause_complaint_rate),
            "template_pause_opt_out_rate": str(self.template_pause_opt_out_rate),
            "tenant_warn_complaint_rate": str(self.tenant_warn_complaint_rate),
            "marketing_daily_customers": self.marketing_daily_customers,
        }


def read_feedback(value: object, fail: Callable[[str, str], None]) -> Feedback:
    """PUT semantics inside the section too: a field left out takes its default."""
    default = Feedback()
    if not isinstance(value, Mapping):
        fail("feedback", 'must be an object such as {"attribution_hours": 72}')
        return default
    for key in value:
        if key not in FEEDBACK_FIELDS:
            fail(f"feedback.{key}", "unknown field")

    def whole(name: str, low: int, high: int) -> int:
        raw = value.get(name, getattr(default, name))
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            fail(f"feedback.{name}", f"must be an integer from {low} to {high}")
            return int(getattr(default, name))
        return raw

    def rate(name: str) -> Decimal:
        raw = value.get(name, getattr(default, name))
        parsed = _decimal(raw)
        if parsed is None or not Decimal(0) < parsed <= Decimal(1):
            fail(f"feedback.{name}", "must be a number greater than 0 and at most 1")
            return Decimal(getattr(default, name))
        return parsed

    customers = value.get("marketing_daily_customers")
    if customers is not None and (
        isinstance(customers, bool)
        or not isinstance(customers, int)
        or not 0 <= customers <= MAX_COUNT
    ):
        fail(
            "feedback.marketing_daily_customers",
            f"must be null or an integer from 0 to {MAX_COUNT}",
        )
        customers = None
    return Feedback(
        attribution_hours=whole("attribution_hours", 1, MAX_ATTRIBUTION_HOURS),
        window_days=whole("window_days", 1, MAX_WINDOW_DAYS),
        min_delivered=whole("min_delivered", 0, MAX_COUNT),
        template_pause_complaint_rate=rate("template_pause_complaint_rate"),
        template_pause_opt_out_rate=rate("template_pause_opt_out_rate"),
        tenant_warn_complaint_rate=rate("tenant_warn_complaint_rate"),
        marketing_daily_customers=customers,
    )


def _decimal(raw: object) -> Decimal | None:
    """A JSON number (not a boolean) or a decimal string, as an exact `Decimal`."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, int | float):
        text = repr(raw)  # the shortest text that reads back as this float: 0.005, not 0.00500…
    elif isinstance(raw, str) and len(raw) <= 32:
        text = raw
    else:
        return None
    try:
        parsed = Decimal(text)
    except InvalidOperation:
        return None
    return parsed if parsed.is_finite() else None


def rate_text(numerator: int, denominator: int) -> str | None:
    """A rate for an event: a decimal string with 6 places (no floats), None for 0/0."""
    if denominator <= 0:
        return None
    return str((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.000001")))


def pause_figures(
    *,
    version: int,
    reason: str,
    count: int,
    delivered: int,
    threshold: str,
    feedback: Feedback,
    window_start: datetime,
    at: datetime,
) -> dict[str, Any]:
    """What a `Template.PausedForFeedback` records: the version, why, the figures that
    crossed `threshold` and the window they were counted in (the feedback rules' pause
    and a pilot's failed verdict alike)."""
    return {
        "version": version,
        "reason": reason,
        "rate": rate_text(count, delivered),
        "count": count,
        "delivered": delivered,
        "threshold": threshold,
        "window_days": feedback.window_days,
        "min_delivered": feedback.min_delivered,
        "window_start": window_start,
        "at": at,
    }


def reaches(numerator: int, denominator: int, threshold: Decimal) -> bool:
    """numerator / denominator >= threshold, exactly (integers and a decimal)."""
    return denominator > 0 and Decimal(numerator) >= threshold * Decimal(denominator)
