"""R-FEED: the change feed, `GET /v1/changes` (SPEC §16).

The feed reads the tenant's events in log order from the audit leaves (one row per event,
with its tenant, position, type and labels, committed with the event). Each leaf of an
event the feed lists keeps the event's item as JSON text (`audit_leaves.change`, built
by registry.domain.feed_items when the event is logged), so a page is one indexed read
of those texts and nothing is decoded or built per item. `after_position` is a global log position, so it is also a good
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
from dataclasses import dataclass
from typing import Any

from registry.domain.feed_items import EVENT_KINDS, KINDS, event_types_of, with_position
from registry.store.database import Database
from registry.store.schema import audit_leaves
from registry.usecases.position_watch import PositionWatch

_LEAVES = audit_leaves.name

MAX_WAIT_SECONDS = 30
ALL_KINDS = frozenset(KINDS)
ALL_TYPES = frozenset(EVENT_KINDS)


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
    ) -> tuple[FeedPage, bool]:
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
                if page.items or left <= 0:
                    return page, True
                self.watch.wait_beyond(seen, left)
        finally:
            self._waits.release()

    def page_statement(
        self, tenant: str, after: int, limit: int, types: list[str]
    ) -> tuple[str, list[Any]]:
        """The page's SQL and parameters: the kept items of the tenant's leaves after
        `after` (the partial index `audit_leaves_changes` holds only leaves that have one,
        so events the feed does not list are never read), of `types` unless every kind
        is asked."""
        statement = (
            f"SELECT position, change FROM {_LEAVES} "
            "WHERE tenant = ? AND position > ? AND change IS NOT NULL"
        )
        params: list[Any] = [tenant, after]
        if len(types) < len(ALL_TYPES):
            statement += f" AND event_type IN ({','.join('?' * len(types))})"
            params += types
        return statement + " ORDER BY position LIMIT ?", [*params, limit]

    def _page(self, tenant: str, after: int, limit: int, types: list[str]) -> FeedPage:
        statement, params = self.page_statement(tenant, after, limit, types)
        with self.db.single_statement() as sql:
            rows = sql.query(statement, params)
        items = [with_position(int(position), change) for position, change in rows]
        return FeedPage(items, int(rows[-1][0]) if rows else after)


@dataclass(frozen=True)
class FeedPage:
    """A page of the feed: its items as JSON texts (kept with the events when they were
    logged, registry.domain.feed_items), and where the next page starts."""

    items: list[str]
    next_after_position: int

    def json(self) -> bytes:
        """`{"changes": [...], "next_after_position": N}`, as UTF-8 JSON."""
        changes = ",".join(self.items)
        return (
            f'{{"changes":[{changes}],"next_after_position":{self.next_after_position}}}'.encode()
        )
