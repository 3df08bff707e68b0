"""Rate limits held in Redis hold across gunicorn workers (issue #20 item 10)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from registry.devtoken import make_token
from tests.conftest import JWT_SECRET, environment_for
from tests.integration.servers import fresh_database, gunicorn_server

pytestmark = pytest.mark.slow

REDIS = "redis://127.0.0.1:6379/0"
BURST = 10


def _redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping())
    except Exception:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not _redis_available():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    var = Path(tmp_path_factory.mktemp("shared-limits"))
    env = environment_for(f"sqlite:///{var / 'registry.sqlite3'}", var)
    # BURST requests per BURST/rate = 1000 s: the window never rolls over during the test
    env.update(
        REGISTRY_RATE_LIMIT_STORAGE=REDIS,
        REGISTRY_RATE_LIMIT_PER_TOKEN=str(BURST / 1000),
        REGISTRY_RATE_LIMIT_BURST=str(BURST),
    )
    with fresh_database("sqlite", var), gunicorn_server(env, workers=3) as base:
        yield base


def _get(base: str, token: str, path: str) -> int:
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
    return requests.get(base + path, headers=headers, timeout=30).status_code


def test_a_tokens_limit_holds_across_every_worker(server: str) -> None:
    token = make_token(JWT_SECRET, sub="busy", tenant="t" + uuid.uuid4().hex[:12])
    statuses = [_get(server, token, "/v1/policy") for _ in range(6 * BURST)]
    assert statuses.count(200) == BURST  # per-worker buckets would let up to 3 x BURST through
    assert set(statuses) == {200, 429}


def test_opt_outs_are_not_counted_or_refused_under_a_shared_limit(server: str) -> None:
    token = make_token(JWT_SECRET, sub="busy", tenant="t" + uuid.uuid4().hex[:12])
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
    for number in range(3 * BURST):
        answer = requests.post(
            server + "/v1/opt-outs",
            json={"customer_id": f"c{number}", "purposes": "all"},
            headers=headers,
            timeout=30,
        )
        assert answer.status_code in (200, 201), answer.text
    assert _get(server, token, "/v1/policy") == 200
