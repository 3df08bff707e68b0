"""A revoked token is refused by every gunicorn worker from the next request on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from registry.devtoken import make_token
from tests.conftest import JWT_SECRET, postgres_available
from tests.integration.servers import registry_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    if request.param == "postgres" and not postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    with registry_server(request.param, workers=3) as running:
        yield running


def _status(base: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
    return requests.get(f"{base}/v1/policy", headers=headers, timeout=30).status_code


def test_every_worker_refuses_a_revoked_token_from_the_next_request(
    server: tuple[str, Path],
) -> None:
    base = server[0]
    victim = make_token(JWT_SECRET, sub="leaked", tenant="revoking", jti="stolen")
    admin = make_token(JWT_SECRET, sub="admin", tenant="revoking")
    assert [_status(base, victim) for _ in range(6)] == [200] * 6  # every worker caches it
    revoked = requests.post(
        f"{base}/v1/tokens/revoke",
        json={"jti": "stolen"},
        headers={"Authorization": f"Bearer {admin}", "Connection": "close"},
        timeout=30,
    )
    assert revoked.status_code == 200, revoked.text
    assert [_status(base, victim) for _ in range(9)] == [401] * 9
