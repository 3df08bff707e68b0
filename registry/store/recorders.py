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
from contextlib import ExitStack, suppress
from time import perf_counter
from typing import Any
from weakref import WeakSet

import psycopg
from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import retry
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from registry.store.database import BulkSql
from registry.store.sql import Sql

UNIT_OF_WORK = "unit_of_work"
COPY_EVENTS_FROM = 64  # events in one save from which PostgreSQL gets them by COPY
PIPELINE_BELOW = 16  # events in one save below which the unit of work is pipelined
_OPEN = (TransactionStatus.INTRANS, TransactionStatus.INERROR)
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
    re-raises. Here a save of fewer than `PIPELINE_BELOW` events (a use case's) runs in
    pipeline mode in two round trips with its own explicit transaction
    (`_insert_pipelined`); larger ones run without pipeline mode inside
    `conn.transaction()`. Either way any error rolls everything back, and
    `get_connection()` translates psycopg errors into eventsourcing's (`IntegrityError`
    drives the retries of `StoreWriter.write`). Batches of `COPY_EVENTS_FROM` events or
    more (imports) are sent with `COPY` (`_copy_stored_events`); those in between take
    the library's insert."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = SQL("{schema}.{table}").format(
            schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name)
        )
        self._max_id = SQL("SELECT MAX(notification_id) AS max_id FROM {table}").format(table=table)
        self._copy_events = SQL(
            "COPY {table} (originator_id, originator_version, topic, state) "
            "FROM STDIN (FORMAT BINARY)"
        ).format(table=table)
        self._copy_types = [self.datastore.originator_id_type, "int8", "text", "bytea"]
        self._ids_after = SQL(
            "SELECT notification_id FROM {table} WHERE notification_id > %s "
            "ORDER BY notification_id"
        ).format(table=table)
        # The pipelined path's statements as plain text: psycopg caches the conversion of
        # a string, and renders a composed statement again at every execution.
        self._lock_events = (
            SQL("LOCK TABLE {table} IN EXCLUSIVE MODE").format(table=table).as_string(None)
        )
        self._insert_text = (
            SQL("INSERT INTO {table} (originator_id, originator_version, topic, state) VALUES ")
            .format(table=table)
            .as_string(None)
        )
        self._positions_text = (
            SQL("SELECT notification_id FROM {table} WHERE (originator_id, originator_version) IN ")
            .format(table=table)
            .as_string(None)
        )
        self._set_lock_timeout = f"SET lock_timeout = '{int(self.datastore.lock_timeout)}s'"
        self._timed_connections: WeakSet[Any] = WeakSet()
        # The last pipelined transaction, BEGIN sent to COMMIT answered, as the client saw
        # it (seconds): with no other writer waiting it bounds the events table's lock hold
        # from above (bench/authorization_lock.py). Two clock reads, no other cost.
        self.last_transaction_seconds = 0.0

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if 0 < len(stored_events) < PIPELINE_BELOW:
            return self._insert_pipelined(stored_events, kwargs)
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
        _run_unit(BulkSql(curs, "postgres"), stored_events, ids, kwargs)
        return ids

    def _insert_pipelined(
        self, stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]
    ) -> Sequence[int]:
        """A small save (a use case's few events) in pipeline mode, in one round trip or two.

        Everything from the lock to COMMIT holds the events table's EXCLUSIVE lock, so
        every round trip, and every wait for a busy client to take its answer, is one
        that all other writers wait for. A unit that can be written ahead (a `WriteSet`
        without an idempotent answer: `statements_ahead`, which builds them before the
        transaction) goes in one round trip: BEGIN, its reads (of committed rows, before
        the lock), the lock, the insert, its writes, which find the new positions on the
        server (`_positions_of`), and COMMIT. Otherwise the first round trip carries
        BEGIN, the lock, the insert and the unit's reads (the audit tree's row and the
        write set's `reads`, each asked on a cursor of its own); the second the unit's
        writes (leaves, tree nodes, views, idempotency) and COMMIT. BEGIN and COMMIT are plain
        statements on the pool's autocommit connection: psycopg's `transaction()` would
        add three more syncs. Any error rolls everything back (the server skips what
        follows a failed statement up to the sync, COMMIT included; a Python error leaves
        the transaction open for the ROLLBACK) and `get_connection()` translates it
        (`IntegrityError` drives the retries of `StoreWriter.write`). Large batches take
        COPY, which pipeline mode refuses, and once deadlocked in it (see above)."""
        unit: UnitOfWork | None = kwargs.get(UNIT_OF_WORK)
        read_ahead = getattr(unit, "read_ahead", None)
        statements_ahead = getattr(unit, "statements_ahead", None)
        ahead: list[tuple[str, list[Any]]] | None = None
        if statements_ahead is not None:  # with `ask_reads` and `answer_reads`: see WriteSet
            ahead = statements_ahead(stored_events, *self._positions_of(stored_events))
        insert, insert_params = self._insert_statement(stored_events)
        with self.datastore.get_connection() as conn:
            self._time_locks_out(conn)
            began = perf_counter()
            try:
                with conn.pipeline() as pipeline, conn.cursor() as curs, ExitStack() as cursors:

                    def cursor() -> Sql:
                        own = cursors.enter_context(conn.cursor(row_factory=tuple_row))
                        return Sql(own, "postgres")

                    curs.execute("BEGIN")
                    if ahead is not None:  # reads of committed rows: before the lock
                        unit.ask_reads(cursor)  # type: ignore[union-attr]
                    curs.execute(self._lock_events, prepare=True)
                    curs.execute(insert, insert_params, prepare=True)
                    if ahead is not None:
                        sql = cursor()
                        for statement, params in ahead:
                            sql.execute(statement, params)
                        sql.execute("COMMIT")
                    elif read_ahead is not None:
                        read_ahead(cursor)
                    pipeline.sync()
                    ids = super()._fetch_ids_after_insert_events(curs, stored_events)
                    if ahead is None:
                        _run_unit(Sql(curs, "postgres"), stored_events, ids, kwargs)
                        curs.execute("COMMIT")
                    else:  # written with the insert: only the reads' answers are left
                        unit.answer_reads(Sql(curs, "postgres"))  # type: ignore[union-attr]
                self.last_transaction_seconds = perf_counter() - began
            except BaseException:
                if conn.info.transaction_status in _OPEN:
                    with suppress(psycopg.Error):  # a broken connection: the pool drops it
                        conn.execute("ROLLBACK")
                raise
        return list(ids or [])

    def _positions_of(self, stored_events: Sequence[StoredEvent]) -> tuple[str, list[Any]]:
        """A SQL expression of the positions of `stored_events`, inserted earlier in the
        transaction, in their order (a BIGINT[]), and its parameters: for the unit of
        work's statements that are sent before the insert has answered."""
        keys = ", ".join(["(%s, %s)"] * len(stored_events))
        params: list[Any] = []
        for event in stored_events:
            params += [event.originator_id, event.originator_version]
        return f"ARRAY({self._positions_text}({keys}) ORDER BY notification_id)", params

    def _time_locks_out(self, conn: Any) -> None:
        """The library's `SET LOCAL lock_timeout` before every lock, once per pooled
        connection instead (a session setting, outside any transaction so that no
        rollback undoes it): one statement less inside the lock."""
        if conn not in self._timed_connections:
            conn.execute(self._set_lock_timeout)
            self._timed_connections.add(conn)

    def _insert_statement(self, stored_events: Sequence[StoredEvent]) -> tuple[str, list[Any]]:
        """`INSERT … VALUES … RETURNING notification_id`, the same columns and bytes as the
        library's insert of an array of its composite type, which psycopg adapts far more
        slowly. Under the EXCLUSIVE lock the ids are drawn in the order of the rows."""
        rows = ", ".join(["(%s, %s, %s, %s)"] * len(stored_events))
        params: list[Any] = []
        for event in stored_events:
            params += [event.originator_id, event.originator_version, event.topic, event.state]
        return f"{self._insert_text}{rows} RETURNING notification_id", params

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
            copy.set_types(self._copy_types)  # binary: no escaping of the state's bytes
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
