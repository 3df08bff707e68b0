"""The reason codes' one order (SPEC §18)."""

from __future__ import annotations

from registry.domain.reasons import REASON_ORDER, TIME_REASONS, in_order

SPEC_18_ORDER = [
    "customer_erased",
    "customer_suppressed",
    "experiment_control",
    "experiment_stopped",
    "template_not_found",
    "template_not_approved",
    "template_paused",
    "template_disabled",
    "platform_blocked",
    "channel_not_supported",
    "no_consent",
    "consent_pending",
    "consent_withdrawn",
    "consent_expired",
    "pilot_in_progress",
    "messaging_limit_reached",
    "platform_user_cap",
    "outside_send_window",
    "outside_send_days",
    "holiday",
    "daily_limit_reached",
    "outside_service_window",
]


def test_the_order_is_spec_18s_whole_list() -> None:
    assert list(REASON_ORDER) == SPEC_18_ORDER


def test_platform_limits_count_as_time_rules() -> None:
    assert {"messaging_limit_reached", "platform_user_cap"} <= TIME_REASONS
    assert "consent_pending" not in TIME_REASONS


def test_reasons_are_listed_once_in_the_order() -> None:
    assert in_order(["holiday", "no_consent", "holiday", "customer_erased"]) == [
        "customer_erased",
        "no_consent",
        "holiday",
    ]
