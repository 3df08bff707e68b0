"""Pooled PostgreSQL connections are not pinged on every checkout, and one the server
has closed is still noticed and replaced before a request uses it."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from registry.store import liveness
from tests.conftest import PG_ADMIN


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Counts the round-trip pings the liveness check sends."""
    sent: list[object] = []
    real = ConnectionPool.check_connection

    def counting(conn: Any) -> None:
        sent.append(conn)
        real(conn)

    monkeypatch.setattr(liveness.ConnectionPool, "check_connection", staticmethod(counting))
    return sent


def read_position(registry: Any) -> int:
    with registry.db.single_statement() as sql:
        return int(registry.db.max_position(sql))


def test_a_healthy_pooled_connection_is_used_without_a_ping(
    pg_registry: Any, pings: list[object]
) -> None:
    assert pg_registry.recorder.datastore.pool._check is liveness.check_pooled_connection
    for _ in range(20):
        read_position(pg_registry)
    assert pings == []


def test_a_connection_the_server_closed_is_replaced_before_use(
    pg_registry: Any, pings: list[object]
) -> None:
    with pg_registry.db.single_statement() as sql:
        backend = int(sql.scalar("SELECT pg_backend_pid()"))
    with psycopg.connect(**PG_ADMIN, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
        admin.execute(
            "SELECT pg_sleep(0.05) FROM pg_stat_activity WHERE pid = %s", (backend,)
        )  # the FATAL message reaches the pooled socket
    pids = []
    for _ in range(5):  # no read sees the dead connection: each one succeeds
        with pg_registry.db.single_statement() as sql:
            pids.append(int(sql.scalar("SELECT pg_backend_pid()")))
    assert backend not in pids
    assert len(pings) >= 1  # the closed connection was noticed and pinged, then dropped
