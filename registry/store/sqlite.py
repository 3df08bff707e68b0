"""SQLite persistence that waits out a busy database instead of failing (issue #20 item 6).

The library begins every transaction with a plain (deferred) `BEGIN`: a writer takes the
write lock only at its first write, after its reads. When another process commits in
between, SQLite cannot upgrade the read snapshot and answers SQLITE_BUSY at once, without
calling the busy handler, so its lock timeout never applies. A writing transaction here
begins with `BEGIN IMMEDIATE`: it takes the write lock first, waiting up to the lock
timeout (`REGISTRY_SQLITE_LOCK_TIMEOUT`) for other writers, and then cannot be refused.
Reading transactions keep the deferred `BEGIN` (WAL readers never wait)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import OperationalError
from eventsourcing.sqlite import (
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
    SQLiteTransaction,
)

POOL_TIMEOUT = "SQLITE_POOL_TIMEOUT"


class _WriteFirstTransaction(SQLiteTransaction):
    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE" if self.commit else "BEGIN")
        except sqlite3.OperationalError as error:
            raise OperationalError(error) from error
        return cursor


class WaitingSQLiteDatastore(SQLiteDatastore):
    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        with (
            self.get_connection(commit=commit) as conn,
            _WriteFirstTransaction(conn, commit=commit) as curs,
            curs,
        ):
            yield curs


class WaitingSQLiteFactory(SQLiteFactory):
    """The library's SQLite factory with `WaitingSQLiteDatastore`, and a pool timeout (the
    wait of a thread for this process's one writing connection) as long as the lock wait."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        library = self.datastore
        lock_timeout = library.pool.lock_timeout
        self.datastore = WaitingSQLiteDatastore(
            db_name=library.pool.db_name,
            lock_timeout=lock_timeout,
            pool_timeout=float(self.env.get(POOL_TIMEOUT) or lock_timeout or 5),
            single_row_tracking=library.single_row_tracking,
            originator_id_type=library.originator_id_type,
        )
        library.close()
