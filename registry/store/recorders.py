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

from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from registry.store.database import BulkSql
from registry.store.sql import Sql

UNIT_OF_WORK = "unit_of_work"
COPY_EVENTS_FROM = 64  # events in one save from which PostgreSQL gets them by COPY
PIPELINE_BELOW = 16  # events in one save below which the unit of work is pipelined
UnitOfWork = Callable[[Sql, Sequence[StoredEvent], Sequence[int]], None]  # given a BulkSql


def _run_unit(sql: Sql, stored: Sequence[StoredEvent], ids: Any, kwargs: dict[str, Any]) -> None:
    unit: UnitOfWork | None = kwargs.get(UNIT_OF_WORK)
    if unit is not None and stored:
        unit(sql, stored, list(ids or []))


class SQLiteRegistryRecorder(SQLiteApplicationRecorder):
    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        _run_unit(BulkSql(c, "sqlite"), stored_events, ids, kwargs)
        return ids


class PostgresRegistryRecorder(PostgresApplicationRecorder):
    """Inserts events and runs the unit of work in one plain transaction.

    eventsourcing 9.5.6's `insert_events` runs in psycopg pipeline mode, which
    deadlocks on large batches (an import of 10,000 rows hung, client and server each
    waiting for the other), and it catches errors from the hook, COMMITS, and only then
    re-raises. Here the same steps run without pipeline mode inside
    `conn.transaction()`: any error rolls everything back, and `get_connection()`
    translates psycopg errors into eventsourcing's (`IntegrityError` drives the retries
    of `RegistryCore.write`). Batches of `COPY_EVENTS_FROM` events or more (imports)
    are sent with `COPY` (`_copy_stored_events`); smaller ones take the library's insert."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = SQL("{schema}.{table}").format(
            schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name)
        )
        self._max_id = SQL("SELECT MAX(notification_id) AS max_id FROM {table}").format(table=table)
        self._copy_events = SQL(
            "COPY {table} (originator_id, originator_version, topic, state) FROM STDIN"
        ).format(table=table)
        self._ids_after = SQL(
            "SELECT notification_id FROM {table} WHERE notification_id > %s "
            "ORDER BY notification_id"
        ).format(table=table)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_events(curs, stored_events, **kwargs)
            if not stored_events:
                return []
            if len(stored_events) >= COPY_EVENTS_FROM:
                ids = self._copy_stored_events(curs, stored_events)
                _run_unit(BulkSql(curs, "postgres"), stored_events, ids, kwargs)
                return ids
            self._insert_stored_events(curs, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

    def _notify_channel(self, curs: Any) -> None:
        """No NOTIFY: the views commit with the events and nothing LISTENs. A transaction
        that notifies takes PostgreSQL's global notification-queue lock at commit, which
        would serialise the commits of every writer, on top of the table lock."""

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if len(stored_events) >= PIPELINE_BELOW:
            _run_unit(BulkSql(curs, "postgres"), stored_events, ids, kwargs)
            return ids
        # Everything from here to COMMIT holds the events table's EXCLUSIVE lock, so every
        # round trip is one that all other writers wait for. In pipeline mode the unit's
        # writes (leaves, tree nodes, views, idempotency) go out together; only its reads
        # (the tree's frontier) wait for an answer. Small units only: large batches take
        # COPY, which pipeline mode refuses, and once deadlocked in it (see above).
        with curs.connection.pipeline():
            _run_unit(Sql(curs, "postgres"), stored_events, ids, kwargs)
        return ids

    def _copy_stored_events(self, curs: Any, stored_events: Sequence[StoredEvent]) -> list[int]:
        """A large batch (an import) goes in with `COPY`, about three times faster than
        the library's `INSERT … SELECT FROM unnest(…) RETURNING`, into the same columns
        with the same bytes. Under the library's `EXCLUSIVE` table lock no other writer
        can take notification ids, so the rows after the largest id seen under the lock
        are this batch's, numbered in the order `COPY` received them."""
        self._lock_table(curs)
        curs.execute(self._max_id)
        row = curs.fetchone()
        before = int(row["max_id"] or 0) if row else 0
        with curs.copy(self._copy_events) as copy:
            for event in stored_events:
                copy.write_row(
                    (event.originator_id, event.originator_version, event.topic, event.state)
                )
        curs.execute(self._ids_after, (before,))
        ids = [int(r["notification_id"]) for r in curs.fetchall()]
        if len(ids) != len(stored_events):
            msg = f"copied {len(stored_events)} events but found {len(ids)} new ids"
            raise ProgrammingError(msg)
        return ids
