"""Per-token rate limits: 429 with Retry-After, and opt-outs never refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from registry.devtoken import make_token
from tests.conftest import JWT_SECRET, environment_for


@pytest.fixture(scope="module")
def tight_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from registry.api.app import create_app
    from registry.config import load_settings

    var = Path(tmp_path_factory.mktemp("tight"))
    env = environment_for(f"sqlite:///{var / 'r.sqlite3'}", var)
    env.update(REGISTRY_RATE_LIMIT_PER_TOKEN="1", REGISTRY_RATE_LIMIT_BURST="3")
    return create_app(load_settings(env))


def test_token_over_its_limit_gets_429_with_retry_after(tight_app: Any) -> None:
    client = tight_app.test_client()
    headers = {"Authorization": "Bearer " + make_token(JWT_SECRET, sub="busy", tenant="t1")}
    statuses = [client.get("/v1/policy", headers=headers).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    limited = client.get("/v1/policy", headers=headers)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json()["error"]["code"] == "rate_limited"


def test_opt_outs_are_never_rate_limited(tight_app: Any) -> None:
    client = tight_app.test_client()
    headers = {"Authorization": "Bearer " + make_token(JWT_SECRET, sub="stopper", tenant="t2")}
    for _ in range(5):
        client.get("/v1/policy", headers=headers)
    answers = [
        client.post(
            "/v1/opt-outs", json={"customer_id": f"c{i}", "purposes": "all"}, headers=headers
        ).status_code
        for i in range(10)
    ]
    assert answers == [201] * 10
