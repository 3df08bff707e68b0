"""Helpers several test modules share."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from tests.conftest import promotions_grant


def decide(
    api: Any, customer_id: str, template: dict[str, Any] | None, **extra: Any
) -> dict[str, Any]:
    """POST /v1/decisions for the customer and template (and `extra` fields); the answer's
    body (200 asserted)."""
    answer = api.post(
        "/v1/decisions", json={"customer_id": customer_id, "template": template, **extra}
    )
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def grant(api: Any, customer_id: str, **fields: Any) -> dict[str, Any]:
    """POST /v1/consents: a WhatsApp promotions grant from the API (tests/conftest.py
    `promotions_grant`) with `fields` replacing or adding to it; the body (201 asserted)."""
    answer = api.post("/v1/consents", json={**promotions_grant(customer_id), **fields})
    assert answer.status_code == 201, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def webhook_signature(body: bytes, secret: str) -> str:
    """The platform's X-Hub-Signature-256 of a webhook body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
