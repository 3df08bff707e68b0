"""Helpers of the outcome tests: a tenant ready to send, authorizations, feedback policy."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, promotions_grant

TEMPLATE = {"name": "spring_sale", "language": "ru"}


def feedback_policy(api: ApiClient, **feedback: Any) -> dict[str, Any]:
    """Any-time sending, no daily limit, and these `feedback` settings."""
    answer = api.put(
        "/v1/policy",
        json={
            "send_window": None,
            "send_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "holidays": None,
            "marketing_daily_limit": None,
            "feedback": feedback,
        },
    )
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def authorize(api: ApiClient, customer_id: str, **extra: Any) -> dict[str, Any]:
    """Grants promotions to `customer_id` (once) and authorizes a send to them."""
    granted = api.post("/v1/consents", json=promotions_grant(customer_id))
    assert granted.status_code == 201, granted.get_json()
    answer = api.post(
        "/v1/authorizations", json={"customer_id": customer_id, "template": TEMPLATE, **extra}
    )
    assert answer.status_code == 201, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def record(api: ApiClient, *items: dict[str, Any]) -> dict[str, Any]:
    answer = api.post("/v1/outcomes", json={"items": list(items)})
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body
