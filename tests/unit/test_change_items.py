"""How logged events become change-feed items (registry/domain/feed_items.py)."""

from __future__ import annotations

import orjson

from registry.domain.feed_items import (
    EVENT_KINDS,
    KINDS,
    change_fragment,
    change_item,
    event_types_of,
    with_position,
)

AT = "2026-12-02T10:00:00Z"


def test_every_mapped_event_type_has_one_of_the_contracts_kinds() -> None:
    assert set(EVENT_KINDS.values()) <= set(KINDS)
    assert event_types_of(frozenset({"limit"})) == sorted(
        t for t, kind in EVENT_KINDS.items() if kind == "limit"
    )


def test_a_halved_channel_is_a_limit_change_naming_the_channel_and_its_figures() -> None:
    state = {
        "channel": "whatsapp", "complained": 3, "delivered": 1000, "complaint_rate": "0.003",
        "threshold": "0.001", "window_days": 7, "min_delivered": 200,
        "at": {"_type_": "datetime_iso", "_data_": "2026-12-02T10:00:00+00:00"},
        "actor": "system", "request_id": "",
    }  # fmt: skip
    item = change_item(9, "Channel.Halved", AT, None, None, state)
    assert item == {
        "position": 9, "kind": "limit", "type": "Channel.Halved", "occurred_at": AT,
        "status": "halved", "channel": "whatsapp", "complaint_rate": "0.003", "threshold": "0.001",
    }  # fmt: skip


def test_a_platform_user_cap_is_a_limit_change_until_its_end() -> None:
    state = {
        "channel": "whatsapp", "authorization_id": "a1", "error_code": "131049",
        "until": {"_type_": "datetime_iso", "_data_": "2026-12-03T10:00:00+00:00"},
    }  # fmt: skip
    item = change_item(5, "Customer.PlatformUserCapped", AT, "anna", None, state)
    assert (item["kind"], item["customer_id"], item["status"], item["until"]) == (
        "limit",
        "anna",
        "capped",
        "2026-12-03T10:00:00Z",
    )


def test_a_feedback_pause_names_the_template_version_and_why() -> None:
    state = {"version": 2, "reason": "complaint_rate", "rate": "0.006", "count": 6}
    item = change_item(7, "Template.PausedForFeedback", AT, None, "spring_sale/ru", state)
    assert item["template"] == {"name": "spring_sale", "language": "ru", "version": 2}
    assert (item["kind"], item["status"], item["cause"]) == ("template", "PAUSED", "complaint_rate")


def test_a_grant_item_never_carries_its_sealed_source() -> None:
    state = {
        "receipt_id": "r1", "channel": "sms", "purposes": ["alerts"],
        "source": {"kind": "web_form", "evidence": "sealed:v1:abc", "ip": "sealed:v1:def"},
        "granted_at": {"_type_": "datetime_iso", "_data_": "2026-12-02T10:00:00+00:00"},
        "expires_at": None,
    }  # fmt: skip
    item = change_item(3, "Customer.ConsentGranted", AT, "anna", None, state)
    assert "source" not in item and "sealed" not in repr(item)
    assert item["status"] == "granted" and item["receipt_id"] == "r1"


def test_the_kept_fragment_with_its_position_is_the_item() -> None:
    state = {
        "receipt_id": "r1", "channel": "whatsapp", "purposes": ["promotions"],
        "expires_at": {"_type_": "datetime_iso", "_data_": "2027-01-01T00:00:00+00:00"},
    }  # fmt: skip
    fragment = change_fragment("Customer.ConsentGranted", AT, "анна", None, state)
    assert fragment is not None and "анна" in fragment  # UTF-8, not \\u escapes
    kept = orjson.loads(with_position(42, fragment))
    assert kept == change_item(42, "Customer.ConsentGranted", AT, "анна", None, state)
    assert next(iter(kept)) == "position"


def test_an_event_the_feed_does_not_list_keeps_no_fragment() -> None:
    assert change_fragment("Customer.SendAuthorized", AT, "anna", None, {}) is None
