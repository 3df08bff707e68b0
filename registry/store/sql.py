"""A thin cursor wrapper so the same SQL runs on SQLite and PostgreSQL.

Statements are written with `?` placeholders; on PostgreSQL they become `%s`.
Use only SQL that both engines understand (`INSERT … ON CONFLICT … DO UPDATE`,
`BYTEA`/`BLOB` via the `blob_type` attribute, no `RETURNING` on SQLite < 3.35).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import orjson

Dialect = Literal["sqlite", "postgres"]
SQLITE_IN_CHUNK = 500  # values per `IN (…)`: SQLite limits a statement's parameters

# `= ANY(?)` of a long list, given as one JSON text: psycopg adapts a Python list to an
# array element by element (~10 µs each for 10,000 customer ids); orjson writes the JSON
# at once. The planner still seeks the index for `= ANY(ARRAY(…))`.
_ANY_OF_JSON = "ANY(ARRAY(SELECT json_array_elements_text(?::json)))"


def any_of_json(values: Sequence[str]) -> tuple[str, str]:
    """PostgreSQL: `= ANY(…)` of many text values as one JSON parameter, and that
    parameter (see `_ANY_OF_JSON`): for a batch of 1000 keys 0.5 ms of client CPU
    against 1.6 ms for psycopg's adaptation of the list (BENCHMARKS.md)."""
    return _ANY_OF_JSON, orjson.dumps(list(values)).decode("utf-8")


class Sql:
    """Runs statements on one DB-API cursor inside the caller's transaction."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self.cursor = cursor
        self.dialect = dialect

    @property
    def blob_type(self) -> str:
        return "BYTEA" if self.dialect == "postgres" else "BLOB"

    def _translate(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.dialect == "postgres" else statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(self._translate(statement), tuple(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cursor.executemany(self._translate(statement), [tuple(r) for r in rows])

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [_as_tuple(row) for row in self.cursor.fetchall()]

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self.cursor.fetchone()
        return None if row is None else _as_tuple(row)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.execute(statement, params)
        return self.fetchall()

    def query_in(
        self, statement: str, params: Sequence[Any], column: str, values: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        """The rows of `statement` (which ends in a WHERE condition) `AND column` is one
        of `values`: on PostgreSQL one statement with the values as one JSON parameter,
        on SQLite one statement per `SQLITE_IN_CHUNK` values."""
        if self.dialect == "postgres":
            any_of, values_json = any_of_json(values)
            return self.query(f"{statement} AND {column} = {any_of}", [*params, values_json])
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), SQLITE_IN_CHUNK):
            chunk = values[start : start + SQLITE_IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows += self.query(f"{statement} AND {column} IN ({marks})", [*params, *chunk])
        return rows

    def scalar(self, statement: str, params: Sequence[Any] = ()) -> Any:
        self.execute(statement, params)
        row = self.fetchone()
        return None if row is None else row[0]


def _as_tuple(row: Any) -> tuple[Any, ...]:
    """sqlite3.Row, psycopg dict rows and plain tuples all become tuples."""
    if isinstance(row, dict):
        return tuple(row.values())
    if isinstance(row, tuple):
        return row
    return tuple(row)
