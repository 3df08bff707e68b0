"""A worker that restarts while PostgreSQL is down waits for it; it does not take the
server down with it (gunicorn stops the whole server when a worker exits with 3).
The database stopped is a private cluster (tests/faults/private_postgres.py)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import environment_for
from tests.faults.private_postgres import PrivateCluster
from tests.integration.servers import children, gunicorn_process

pytestmark = pytest.mark.slow


def test_a_worker_respawned_during_a_database_outage_waits_for_the_database(
    tmp_path: Path, cluster: PrivateCluster
) -> None:
    url = cluster.create_database("registry")
    with gunicorn_process(environment_for(url, tmp_path), workers=2) as (base, master):
        cluster.stop()
        try:
            os.kill(children(master.pid)[0], signal.SIGKILL)
            time.sleep(4)  # the respawned worker boots while the database is away
            master_alive = _alive(master.pid)
        finally:
            cluster.start()
        deadline = time.monotonic() + 60
        ready = 0
        while time.monotonic() < deadline:
            try:
                ready = requests.get(f"{base}/readyz", timeout=10).status_code
            except requests.RequestException:
                ready = 0
            if ready == 200:
                break
            time.sleep(0.5)
    assert master_alive
    assert ready == 200


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return stat[0] != "Z"
