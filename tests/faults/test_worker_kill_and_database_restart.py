"""Issue 8 faults: under concurrent writes, SIGKILL a gunicorn worker and restart
PostgreSQL; every acknowledged write is present exactly once afterwards, and the
service recovers by itself (/readyz red while the database is gone, green after).

The PostgreSQL server restarted is a private cluster made for the test (tests/faults/
private_postgres.py); the machine's own server is never touched."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from registry.devtoken import make_token
from tests.conftest import JWT_SECRET, environment_for
from tests.faults.private_postgres import PrivateCluster
from tests.integration.servers import children, gunicorn_process

pytestmark = pytest.mark.slow


class Writer(threading.Thread):
    """Grants with an Idempotency-Key each; retries a key until it is acknowledged,
    as a careful client would, and remembers every acknowledged receipt."""

    def __init__(self, base: str, token: str, customer: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.base, self.customer, self.stop = base, customer, stop
        self.headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
        self.acknowledged: dict[str, str] = {}
        self.unexpected: list[int] = []

    def run(self) -> None:
        while not self.stop.is_set():
            key = uuid.uuid4().hex
            body = {"customer_id": self.customer, "purposes": ["alerts"], "source": {"kind": "api"}}
            for _ in range(200):
                try:
                    answer = requests.post(
                        f"{self.base}/v1/consents",
                        json=body,
                        timeout=15,
                        headers={**self.headers, "Idempotency-Key": key},
                    )
                except requests.RequestException:
                    time.sleep(0.1)
                    continue
                if answer.status_code == 201:
                    self.acknowledged[key] = answer.json()["receipt_id"]
                    break
                if answer.status_code not in (502, 503):
                    self.unexpected.append(answer.status_code)
                time.sleep(0.1)


def test_acknowledged_writes_survive_a_killed_worker_and_a_database_restart(
    tmp_path: Path, cluster: PrivateCluster
) -> None:
    url = cluster.create_database("registry")
    with gunicorn_process(environment_for(url, tmp_path)) as (base, master):
        token = make_token(JWT_SECRET, sub="writer", tenant="faults")
        stop = threading.Event()
        writers = [
            Writer(base, token, "one-customer", stop) for _ in range(2)
        ]  # one worker stays free for /readyz
        for w in writers:
            w.start()
        time.sleep(2)
        os.kill(children(master.pid)[0], signal.SIGKILL)
        time.sleep(2)
        cluster.stop()
        try:
            time.sleep(1)
            ready_while_down = requests.get(f"{base}/readyz", timeout=30).status_code
        finally:
            cluster.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if requests.get(f"{base}/readyz", timeout=10).status_code == 200:
                break
            time.sleep(0.5)
        ready_after = requests.get(f"{base}/readyz", timeout=10).status_code
        time.sleep(2)
        stop.set()
        for w in writers:
            w.join(timeout=120)

        history: list[dict[str, Any]] = []
        after = 0
        while True:
            page = requests.get(
                f"{base}/v1/customers/one-customer/history?limit=1000&after_position={after}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ).json()["events"]
            if not page:
                break
            history += page
            after = page[-1]["position"]

    assert ready_while_down == 503
    assert ready_after == 200
    assert all(not w.unexpected for w in writers), [w.unexpected for w in writers]
    acknowledged = [r for w in writers for r in w.acknowledged.values()]
    recorded = [e["data"]["receipt_id"] for e in history if e["type"] == "Customer.ConsentGranted"]
    assert len(acknowledged) > 20
    assert sorted(recorded) == sorted(acknowledged)  # every acknowledged write, exactly once
