"""Pooled PostgreSQL connections checked without a round trip, and reused hottest first.

eventsourcing's `POSTGRES_PRE_PING` sends an empty query to the server each time a
connection leaves the pool: one extra round trip for every read and write. A pooled
connection that the server has closed (a restart, `pg_terminate_backend`, an idle
timeout) has something waiting on its socket (the server's FATAL message or the end of
the stream), so a zero-timeout `select` on the socket says when a real ping is needed.
A connection that fails the ping is dropped by the pool and another one is taken.

psycopg_pool hands out its idle connections in turn (first in, first out), so a sync
worker that needs one connection at a time still cycles through all of them, each with
its server process, caches and prepared statements gone cold since its last turn. The
pool here takes back the connection returned last, as PgBouncer reuses server
connections by default (`server_round_robin = 0`): the few connections in use stay hot
and the rest stay idle until the pool's shrinking closes them.
"""

from __future__ import annotations

import select
from collections import deque
from typing import Any

from psycopg_pool import ConnectionPool


def check_pooled_connection(conn: Any) -> None:
    """Ping only a connection that is closed or has unread input; raise if it is dead."""
    if conn.closed or select.select([conn.fileno()], [], [], 0)[0]:
        ConnectionPool.check_connection(conn)


class LastInFirstOut(deque[Any]):
    """The pool's idle connections, taken from the end they are returned to.

    psycopg_pool appends a returned connection and takes with `popleft`; taking from the
    right instead makes the pool last in, first out. Its shrinking (`popleft` too) then
    closes the connection idle for the shortest time: all its idle ones are as unused."""

    def popleft(self) -> Any:
        return self.pop()


def install(pool: Any) -> bool:
    """Replace the pool's per-checkout ping (psycopg_pool keeps the check it was built
    with in `_check`) and make it hand out the connection returned last (`_pool`, its
    deque of idle connections); returns False, changing nothing, if either is not there."""
    idle = getattr(pool, "_pool", None)
    if getattr(pool, "_check", None) is not ConnectionPool.check_connection or not isinstance(
        idle, deque
    ):
        return False
    pool._check = check_pooled_connection
    with pool._lock:  # the pool's own workers add connections under it
        pool._pool = LastInFirstOut(pool._pool)
    return True
