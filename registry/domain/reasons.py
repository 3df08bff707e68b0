"""Every reason code a decision can give, in the one order R-DECIDE lists them (SPEC §18).

A rule adds its code to `reasons` in any order; `decide` sorts them by `REASON_ORDER`.
Part two's codes are here already, in their place, so that a new rule only has to
produce its constant."""

from __future__ import annotations

CUSTOMER_ERASED = "customer_erased"
CUSTOMER_SUPPRESSED = "customer_suppressed"
EXPERIMENT_CONTROL = "experiment_control"
EXPERIMENT_STOPPED = "experiment_stopped"
TEMPLATE_NOT_FOUND = "template_not_found"
TEMPLATE_NOT_APPROVED = "template_not_approved"
TEMPLATE_PAUSED = "template_paused"
TEMPLATE_DISABLED = "template_disabled"
PLATFORM_BLOCKED = "platform_blocked"
CHANNEL_NOT_SUPPORTED = "channel_not_supported"
NO_CONSENT = "no_consent"
CONSENT_PENDING = "consent_pending"
CONSENT_WITHDRAWN = "consent_withdrawn"
CONSENT_EXPIRED = "consent_expired"
PILOT_IN_PROGRESS = "pilot_in_progress"
MESSAGING_LIMIT_REACHED = "messaging_limit_reached"
PLATFORM_USER_CAP = "platform_user_cap"
OUTSIDE_SEND_WINDOW = "outside_send_window"
OUTSIDE_SEND_DAYS = "outside_send_days"
HOLIDAY = "holiday"
DAILY_LIMIT_REACHED = "daily_limit_reached"
OUTSIDE_SERVICE_WINDOW = "outside_service_window"

REASON_ORDER: tuple[str, ...] = (
    CUSTOMER_ERASED,
    CUSTOMER_SUPPRESSED,
    EXPERIMENT_CONTROL,
    EXPERIMENT_STOPPED,
    TEMPLATE_NOT_FOUND,
    TEMPLATE_NOT_APPROVED,
    TEMPLATE_PAUSED,
    TEMPLATE_DISABLED,
    PLATFORM_BLOCKED,
    CHANNEL_NOT_SUPPORTED,
    NO_CONSENT,
    CONSENT_PENDING,
    CONSENT_WITHDRAWN,
    CONSENT_EXPIRED,
    PILOT_IN_PROGRESS,
    MESSAGING_LIMIT_REACHED,
    PLATFORM_USER_CAP,
    OUTSIDE_SEND_WINDOW,
    OUTSIDE_SEND_DAYS,
    HOLIDAY,
    DAILY_LIMIT_REACHED,
    OUTSIDE_SERVICE_WINDOW,
)
_RANK = {code: rank for rank, code in enumerate(REASON_ORDER)}

# A decision refused only for these gets `next_allowed_at` (the earliest moment they pass).
TIME_REASONS = frozenset(
    {
        MESSAGING_LIMIT_REACHED,
        PLATFORM_USER_CAP,
        OUTSIDE_SEND_WINDOW,
        OUTSIDE_SEND_DAYS,
        HOLIDAY,
        DAILY_LIMIT_REACHED,
    }
)


def in_order(reasons: list[str]) -> list[str]:
    """The failing rules' codes, each once, in `REASON_ORDER`."""
    return sorted(set(reasons), key=_RANK.__getitem__)
