"""Application recorders that run the registry's unit of work inside the very
transaction that inserts the events (FINDINGS: `_insert_events` on SQLite,
`_fetch_ids_after_insert_events` on PostgreSQL, where the events table is locked
and the notification ids are known). Views, Merkle leaves, idempotency records and
webhook dedupe marks therefore commit, or roll back, with the events.

These are private hooks of eventsourcing 9.5.6, pinned in pyproject.toml and
covered by tests/integration/test_same_transaction_views.py on both databases.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from registry.store.sql import Sql

UNIT_OF_WORK = "unit_of_work"
UnitOfWork = Callable[[Sql, Sequence[StoredEvent], Sequence[int]], None]


def _run_unit(sql: Sql, stored: Sequence[StoredEvent], ids: Any, kwargs: dict[str, Any]) -> None:
    unit: UnitOfWork | None = kwargs.get(UNIT_OF_WORK)
    if unit is not None and stored:
        unit(sql, stored, list(ids or []))


class SQLiteRegistryRecorder(SQLiteApplicationRecorder):
    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        _run_unit(Sql(c, "sqlite"), stored_events, ids, kwargs)
        return ids


class _RollBack(BaseException):
    """Carries the unit of work's error out of the insert transaction.

    eventsourcing's `PostgresApplicationRecorder.insert_events` catches `Exception`
    raised by `_fetch_ids_after_insert_events`, lets `conn.transaction()` exit
    normally (which COMMITS the events and whatever the unit wrote before failing)
    and only then re-raises. A BaseException passes its `except Exception`, so the
    transaction context sees it and rolls back."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


class PostgresRegistryRecorder(PostgresApplicationRecorder):
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        try:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        except _RollBack as rollback:
            error = rollback.error
            if isinstance(error, psycopg.IntegrityError):
                # What eventsourcing's get_connection() would have raised: the write
                # path retries on it (a concurrent write, a repeated idempotency key).
                raise IntegrityError(str(error)) from error
            raise error from None
        return ids

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        try:
            _run_unit(Sql(curs, "postgres"), stored_events, ids, kwargs)
        except Exception as error:
            raise _RollBack(error) from error
        return ids
