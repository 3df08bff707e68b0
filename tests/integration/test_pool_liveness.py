"""Pooled PostgreSQL connections are not pinged on every checkout, one the server has
closed is still noticed and replaced before a request uses it, and one request after
another is served by the same (hot) connection."""

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


def backend_of_one_read(registry: Any) -> int:
    with registry.db.single_statement() as sql:
        return int(sql.scalar("SELECT pg_backend_pid()"))


def test_reads_one_after_another_reuse_the_connection_returned_last(pg_registry: Any) -> None:
    pool = pg_registry.recorder.datastore.pool
    pool.wait(timeout=10)  # every connection of min_size is idle in the pool
    assert len(pool._pool) >= 2  # so a pool taking them in turn would change backends
    backends = {backend_of_one_read(pg_registry) for _ in range(10)}
    assert len(backends) == 1


def test_two_reads_at_once_take_two_connections_and_both_return(pg_registry: Any) -> None:
    pool = pg_registry.recorder.datastore.pool
    pool.wait(timeout=10)
    idle = len(pool._pool)
    with pg_registry.db.single_statement() as outer:
        first = int(outer.scalar("SELECT pg_backend_pid()"))
        second = backend_of_one_read(pg_registry)
    assert first != second
    assert len(pool._pool) == idle
    assert backend_of_one_read(pg_registry) == first  # returned last: taken first
