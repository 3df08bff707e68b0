"""Request logs are JSON with a request id and never carry tokens or personal data."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from registry.api.logs import JsonFormatter


def test_request_log_is_json_without_token_path_or_personal_data(
    api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="registry.requests")
    answer = api.post(
        "/v1/consents",
        json={
            "customer_id": "anna@example.com",
            "purposes": ["alerts"],
            "phone": "+79123456789",
            "source": {"kind": "api", "evidence": "secret evidence"},
        },
        headers={"X-Request-Id": "req-123"},
    )
    assert answer.headers["X-Request-Id"] == "req-123"
    records = [r for r in caplog.records if r.name == "registry.requests"]
    line = JsonFormatter().format(records[-1])
    entry = json.loads(line)
    assert entry["request_id"] == "req-123"
    assert entry["route"] == "/v1/consents"
    for secret in ("anna@example.com", "79123456789", "secret evidence", api.token):
        assert secret not in line
