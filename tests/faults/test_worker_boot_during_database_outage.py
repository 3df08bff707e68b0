"""A worker that restarts while PostgreSQL is down waits for it; it does not take the
server down with it (gunicorn stops the whole server when a worker exits with 3)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import environment_for, postgres_available
from tests.faults.test_worker_kill_and_database_restart import gunicorn_workers, pg_ctl
from tests.integration.servers import fresh_database, gunicorn_server

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not Path("/etc/postgresql").is_dir(), reason="needs a local PostgreSQL cluster")
def test_a_worker_respawned_during_a_database_outage_waits_for_the_database(
    tmp_path: Path,
) -> None:
    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable")
    with (
        fresh_database("postgres", tmp_path) as url,
        gunicorn_server(environment_for(url, tmp_path), workers=2) as base,
    ):
        port = int(base.rsplit(":", 1)[1])
        master = _master(port)
        pg_ctl("stop")
        try:
            os.kill(gunicorn_workers(port)[0], signal.SIGKILL)
            time.sleep(4)  # the respawned worker boots while the database is away
            master_alive = _alive(master)
        finally:
            pg_ctl("start")
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


def _master(port: int) -> int:
    workers = set(gunicorn_workers(port))
    parents = {
        int(Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[1]) for w in workers
    }
    return parents.pop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return stat[0] != "Z"
