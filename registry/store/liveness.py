"""Pooled PostgreSQL connections checked without a round trip.

eventsourcing's `POSTGRES_PRE_PING` sends an empty query to the server each time a
connection leaves the pool: one extra round trip for every read and write. A pooled
connection that the server has closed (a restart, `pg_terminate_backend`, an idle
timeout) has something waiting on its socket (the server's FATAL message or the end of
the stream), so a zero-timeout `select` on the socket says when a real ping is needed.
A connection that fails the ping is dropped by the pool and another one is taken.
"""

from __future__ import annotations

import select
from typing import Any

from psycopg_pool import ConnectionPool


def check_pooled_connection(conn: Any) -> None:
    """Ping only a connection that is closed or has unread input; raise if it is dead."""
    if conn.closed or select.select([conn.fileno()], [], [], 0)[0]:
        ConnectionPool.check_connection(conn)


def install(pool: Any) -> bool:
    """Replace the pool's per-checkout ping (psycopg_pool keeps the check it was built
    with in `_check`); returns False, leaving the ping in place, if that changed."""
    if getattr(pool, "_check", None) is not ConnectionPool.check_connection:
        return False
    pool._check = check_pooled_connection
    return True
