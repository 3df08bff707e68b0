"""After a request with a large body (an import), the worker hands the memory it freed
back to the operating system; ordinary requests do not pay for that."""

from __future__ import annotations

from typing import Any

import pytest

import registry.api.app as app_module
from registry.memory import TRIM_AFTER_BODY_BYTES


@pytest.fixture
def releases(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(app_module, "release_freed_memory", lambda: calls.append(1) or True)
    return calls


def test_a_large_body_releases_memory_after_the_request(api: Any, releases: list[int]) -> None:
    body = b'{"customer_id": "' + b"x" * TRIM_AFTER_BODY_BYTES + b'"}'
    answer = api.post("/v1/decisions", data=body, content_type="application/json")
    assert answer.status_code == 413
    assert releases == [1]


def test_ordinary_requests_do_not_release(api: Any, releases: list[int]) -> None:
    answer = api.post("/v1/decisions", json={"customer_id": "c1", "template": None})
    assert answer.status_code == 200, answer.get_json()
    assert api.get("/healthz").status_code == 200
    assert releases == []
