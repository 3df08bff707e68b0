"""SQLite under concurrent writers (issue #20 item 6): a busy database is waited out, not
answered with a 503. 8 threads x 50 writes against `gunicorn -w 3` on one SQLite file."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from registry.devtoken import make_token
from tests.conftest import JWT_SECRET, environment_for
from tests.integration.servers import registry_server

pytestmark = pytest.mark.slow

THREADS, WRITES = 8, 50


def _writes(base: str, thread: int) -> list[int]:
    headers = {
        "Authorization": f"Bearer {make_token(JWT_SECRET, sub='writer', tenant='busy')}",
        "Connection": "close",
    }
    statuses = []
    for number in range(WRITES):
        customer = f"c{(thread + number) % 3}"  # threads meet on the same customers
        if number % 3 == 0:
            path, body = (
                "/v1/consents",
                {
                    "customer_id": customer,
                    "purposes": ["alerts"],
                    "source": {"kind": "api"},
                },
            )
        else:
            verb = "suppress" if number % 3 == 1 else "unsuppress"
            path, body = f"/v1/customers/{customer}/{verb}", {"reason": "busy test"}
        answer = requests.post(base + path, json=body, headers=headers, timeout=60)
        statuses.append(answer.status_code)
    return statuses


def test_concurrent_writes_on_sqlite_all_succeed() -> None:
    with registry_server("sqlite", workers=3) as (base, _var), ThreadPoolExecutor(THREADS) as pool:
        runs = list(pool.map(lambda thread: _writes(base, thread), range(THREADS)))
    statuses = [status for run in runs for status in run]
    assert len(statuses) == THREADS * WRITES
    assert sorted({s for s in statuses if not 200 <= s < 300}) == []


def test_a_write_lock_held_past_the_wait_is_named_in_the_answer(tmp_path: Path) -> None:
    from registry.api.app import create_app
    from registry.config import load_settings

    env = environment_for(f"sqlite:///{tmp_path / 'registry.sqlite3'}", tmp_path)
    app = create_app(load_settings({**env, "REGISTRY_SQLITE_LOCK_TIMEOUT": "1"}))
    headers = {"Authorization": f"Bearer {make_token(JWT_SECRET, sub='w', tenant='locked')}"}
    body = {"customer_id": "anna", "purposes": ["alerts"], "source": {"kind": "api"}}
    other_writer = sqlite3.connect(tmp_path / "registry.sqlite3", isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        answer = app.test_client().post("/v1/consents", json=body, headers=headers)
    finally:
        other_writer.execute("ROLLBACK")
        other_writer.close()
    assert answer.status_code == 503
    assert "locked by other writes" in answer.get_json()["error"]["message"]
    assert app.test_client().post("/v1/consents", json=body, headers=headers).status_code == 201
