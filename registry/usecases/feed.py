"""R-FEED: the change feed, `GET /v1/changes` (SPEC §16).

The feed reads the tenant's events in log order from the audit leaves (one row per event,
with its tenant, position, type and labels, committed with the event) joined to the
events themselves. `after_position` is a global log position, so it is also a good
`min_position` for every other read.

Nothing acknowledged is skipped. An acknowledged write has committed; a page lists every
committed event of the tenant after `after_position`, up to `limit`, in position order,
and a reader continues from the last position it was given. That is safe only if no event
can commit later with a lower position. SQLite has one writer at a time. On PostgreSQL
positions come from a sequence, but every insert into the events table takes
`LOCK TABLE … IN EXCLUSIVE MODE` before it draws them and holds it to COMMIT, and
PostgreSQL makes a transaction visible before it releases its locks: a transaction
that draws higher positions can only start drawing once every lower one is visible
(tests/integration/test_feed_order.py shows a second writer waiting on the lock, and
8 writers against a paging reader).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import orjson

from registry.projections.changes import KINDS, change_item, event_types_of
from registry.store.database import Database
from registry.store.schema import audit_leaves
from registry.usecases.position_watch import PositionWatch

_LEAVES = audit_leaves.name

MAX_WAIT_SECONDS = 30
ALL_KINDS = frozenset(KINDS)


class ChangeFeed:
    """Pages of changes, and the long poll that waits for the next one.

    A wait holds the request's thread. `max_waits` bounds the waits one process holds at
    once; a request beyond it, or one served by a single-threaded (sync) worker, is
    answered at once with what there is (the caller is told so and retries later)."""

    def __init__(
        self,
        db: Database,
        watch: PositionWatch,
        *,
        max_waits: int = 8,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.watch = watch
        self.max_waits = max_waits
        self._waits = threading.BoundedSemaphore(max_waits) if max_waits > 0 else None
        self._monotonic = monotonic

    def changes(
        self,
        tenant: str,
        *,
        after_position: int,
        limit: int,
        kinds: frozenset[str] = ALL_KINDS,
        wait: float = 0,
        may_hold: bool = True,
    ) -> tuple[dict[str, Any], bool]:
        """The page after `after_position`, and whether a requested wait was held."""
        types = event_types_of(kinds)
        if wait <= 0:
            return self._page(tenant, after_position, limit, types), False
        if not may_hold or self._waits is None or not self._waits.acquire(blocking=False):
            return self._page(tenant, after_position, limit, types), False
        try:
            deadline = self._monotonic() + min(wait, MAX_WAIT_SECONDS)
            while True:
                with self.db.single_statement() as sql:
                    seen = self.db.max_position(sql)
                page = self._page(tenant, after_position, limit, types)
                left = deadline - self._monotonic()
                if page["changes"] or left <= 0:
                    return page, True
                self.watch.wait_beyond(seen, left)
        finally:
            self._waits.release()

    def page_statement(
        self, tenant: str, after: int, limit: int, types: list[str]
    ) -> tuple[str, list[Any]]:
        """The page's SQL and parameters. The events' own position condition is redundant
        for the result but not for PostgreSQL's planner: without it a merge join read the
        events index from its start on every page (2 s a page at 10^6 events)."""
        db = self.db
        statement = (
            "SELECT l.position, l.event_type, l.occurred_at, l.customer_id, l.template, e.state "
            f"FROM {_LEAVES} l JOIN {db.events_table} e ON e.{db.position_column} = l.position "
            f"WHERE l.tenant = ? AND l.position > ? AND e.{db.position_column} > ? "
            f"AND l.event_type IN ({','.join('?' * len(types))}) ORDER BY l.position LIMIT ?"
        )
        return statement, [tenant, after, after, *types, limit]

    def _page(self, tenant: str, after: int, limit: int, types: list[str]) -> dict[str, Any]:
        db = self.db
        statement, params = self.page_statement(tenant, after, limit, types)
        with db.single_statement() as sql:
            rows = sql.query(statement, params)
        changes = [
            change_item(int(p), str(t), str(at), c, tpl, orjson.loads(bytes(state)))
            for p, t, at, c, tpl, state in rows
        ]
        next_after = changes[-1]["position"] if changes else after
        return {"changes": changes, "next_after_position": next_after}
