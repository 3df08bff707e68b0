"""Helpers several test modules share."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any


def decide(api: Any, customer_id: str, template: dict[str, str] | None) -> dict[str, Any]:
    """POST /v1/decisions for the customer and template; the answer's body (200 asserted)."""
    answer = api.post("/v1/decisions", json={"customer_id": customer_id, "template": template})
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def webhook_signature(body: bytes, secret: str) -> str:
    """The platform's X-Hub-Signature-256 of a webhook body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
