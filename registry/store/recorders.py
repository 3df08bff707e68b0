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

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import retry

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


class PostgresRegistryRecorder(PostgresApplicationRecorder):
    """Inserts events and runs the unit of work in one plain transaction.

    eventsourcing 9.5.6's `insert_events` runs in psycopg pipeline mode, which
    deadlocks on large batches (an import of 10,000 rows hung, client and server each
    waiting for the other), and it catches errors from the hook, COMMITS, and only then
    re-raises. Here the same steps run without pipeline mode inside
    `conn.transaction()`: any error rolls everything back, and `get_connection()`
    translates psycopg errors into eventsourcing's (`IntegrityError` drives the retries
    of `RegistryCore.write`)."""

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_events(curs, stored_events, **kwargs)
            if not stored_events:
                return []
            self._insert_stored_events(curs, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        _run_unit(Sql(curs, "postgres"), stored_events, ids, kwargs)
        return ids
