"""Transactions on the event store's own connection pool, for reads and for the
few writes that are not events (data keys, unprocessed webhook payloads)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from psycopg.rows import tuple_row

from registry.store.schema import audit_leaves, data_keys, message_refs, sends, views
from registry.store.sql import Dialect, Sql

_PLAIN_INSERT = re.compile(
    r"^INSERT INTO (?P<table>\w+) \((?P<columns>[\w, ]+)\) VALUES \((?:\?, )*\?\)$"
)
COPY_FROM_ROWS = 16


class BulkSql(Sql):
    """`Sql` for the write path's large batches.

    On PostgreSQL, `executemany` of a plain `INSERT INTO t (cols) VALUES (?, …)` of
    many rows (no `ON CONFLICT`: the audit leaves and nodes) streams them with `COPY`,
    several times faster on these indexed tables; a duplicate key still fails the
    transaction with an `IntegrityError`. Upserts keep psycopg's pipelined
    `executemany`, which measured faster than multi-row `VALUES` or `unnest` forms."""

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        plain = _PLAIN_INSERT.match(statement) if self.dialect == "postgres" else None
        if plain is None or len(rows) < COPY_FROM_ROWS:
            super().executemany(statement, rows)
            return
        copy_statement = f"COPY {plain['table']} ({plain['columns']}) FROM STDIN"
        with self.cursor.copy(copy_statement) as copy:
            for row in rows:
                copy.write_row(row)


class Database:
    def __init__(self, recorder: Any, dialect: Dialect) -> None:
        self.recorder = recorder
        self.dialect: Dialect = dialect
        self.events_table: str = recorder.events_table_name
        if dialect == "postgres":
            schema = recorder.datastore.schema or "public"
            self.events_table = f'"{schema}"."{recorder.events_table_name}"'
        self.position_column = "notification_id" if dialect == "postgres" else "rowid"

    @contextmanager
    def transaction(self, *, commit: bool = False) -> Iterator[Sql]:
        with self.recorder.datastore.transaction(commit=commit) as cursor:
            yield Sql(_with_tuple_rows(cursor, self.dialect), self.dialect)

    @contextmanager
    def single_statement(self) -> Iterator[Sql]:
        """A connection in autocommit mode for one read statement: the statement is its
        own consistent snapshot, without the BEGIN/ROLLBACK round trips of a transaction.
        Use `transaction()` for anything that writes or reads twice."""
        datastore = self.recorder.datastore
        if self.dialect == "postgres":
            with datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
                yield Sql(cursor, self.dialect)
        else:
            with datastore.get_connection(commit=False) as conn:
                yield Sql(conn.cursor(), self.dialect)

    def refresh_statistics(self, *, unless_present: bool = False) -> None:
        """PostgreSQL: ANALYZE the tables the hot reads look up, after a bulk change.

        Without statistics (autovacuum off, or not yet run after an import) the planner
        may match `key = ANY(…)` by filtering every row of a tenant instead of seeking
        the primary key: decisions measured 3× slower at 10^4 customers. SQLite plans
        these look-ups from the indexes alone. The outcome tables are looked up by
        authorization and message ref (`= ANY(…)`) the same way, a webhook's 1000 at once."""
        if self.dialect != "postgres":
            return
        with self.single_statement() as sql:
            if unless_present and sql.scalar(
                "SELECT 1 FROM pg_stats WHERE tablename = ? LIMIT 1", [views.name]
            ):
                return
            tables = [views, data_keys, audit_leaves, sends, message_refs]
            sql.execute(f"ANALYZE {', '.join(table.name for table in tables)}")

    def max_position(self, sql: Sql) -> int:
        value = sql.scalar(f"SELECT MAX({self.position_column}) FROM {self.events_table}")
        return int(value or 0)

    def positions_of(self, sql: Sql, originator_id: str, versions: list[int]) -> dict[int, int]:
        if not versions:
            return {}
        marks = ",".join("?" * len(versions))
        rows = sql.query(
            f"SELECT originator_version, {self.position_column} FROM {self.events_table} "
            f"WHERE originator_id = ? AND originator_version IN ({marks})",
            [self.originator_param(originator_id), *versions],
        )
        return {int(v): int(p) for v, p in rows}

    def positions_of_events(
        self, sql: Sql, events: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], int]:
        """Positions of several (aggregate id, version) events in one query."""
        if not events:
            return {}
        return self.positions_found(events, sql.query(*self.positions_query(events)))

    def positions_query(self, events: Sequence[tuple[str, int]]) -> tuple[str, list[Any]]:
        """`positions_of_events`' statement: one branch per event, each answering with its
        number in `events`, so no id is parsed back (`positions_found` reads the rows)."""
        branches, params = [], []
        for number, (aggregate_id, version) in enumerate(events):
            branches.append(
                f"SELECT {number}, {self.position_column} FROM {self.events_table} "
                "WHERE originator_id = ? AND originator_version = ?"
            )
            params += [self.originator_param(aggregate_id), version]
        return " UNION ALL ".join(branches), params

    @staticmethod
    def positions_found(
        events: Sequence[tuple[str, int]], rows: Sequence[tuple[Any, ...]]
    ) -> dict[tuple[str, int], int]:
        return {events[int(number)]: int(position) for number, position in rows}

    def originator_param(self, originator_id: str) -> Any:
        from uuid import UUID

        uuid = UUID(originator_id)
        return uuid if self.dialect == "postgres" else uuid.hex

    def events_of(
        self, sql: Sql, originator_id: str, *, after_position: int, limit: int
    ) -> list[tuple[int, int, str, bytes]]:
        rows = sql.query(
            f"SELECT {self.position_column}, originator_version, topic, state "
            f"FROM {self.events_table} WHERE originator_id = ? AND {self.position_column} > ? "
            f"ORDER BY originator_version LIMIT ?",
            [self.originator_param(originator_id), after_position, limit],
        )
        return [(int(p), int(v), str(t), bytes(s)) for p, v, t, s in rows]


def _with_tuple_rows(cursor: Any, dialect: Dialect) -> Any:
    """Our own PostgreSQL cursors return tuples: eventsourcing's pool makes dict rows,
    which `Sql` would only turn back into tuples."""
    if dialect == "postgres":
        cursor.row_factory = tuple_row
    return cursor
