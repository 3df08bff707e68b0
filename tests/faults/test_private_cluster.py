"""The fault tests' PostgreSQL is their own: stopping it leaves the machine's server up."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import postgres_available
from tests.faults.private_postgres import PrivateCluster

pytestmark = pytest.mark.slow


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            return conn.execute("select 1").fetchone() == (1,)
    except psycopg.OperationalError:
        return False


def test_stopping_the_private_cluster_leaves_the_machines_server_running(
    cluster: PrivateCluster,
) -> None:
    if not postgres_available():
        pytest.skip("the machine's PostgreSQL is not running here, nothing to compare with")
    assert cluster.port != 5432
    cluster.stop()
    private_while_stopped = _answers(cluster.url())
    machine_while_stopped = _answers("postgresql://postgres@127.0.0.1:5432/postgres")
    cluster.start()
    assert (private_while_stopped, machine_while_stopped) == (False, True)
    assert _answers(cluster.url())
