"""Reading a tenant's log for a report, in constant memory.

A report is computed from the tree of one checkpoint (`tree_size` leaves): every read
here stops below that size, so the same size gives the same figures whenever it is read.

The month's customer events are read in one statement ordered by customer and log order,
fetched a page at a time (a server-side cursor on PostgreSQL, whose plan walks the
leaves' customer index; SQLite's cursor steps through its result): this process holds a
few pages and one customer. Each row's state comes as its stored bytes and is decoded
once, into a tuple.
The month's first and last leaves are found by bisecting leaf indexes on the recorded
time (log order is time order to within a write's duration, `SLACK` covers more), and
the statement then selects by the recorded time itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from uuid import UUID

import orjson

from audit.reads import time_key
from registry.reports.prefetch import prefetched
from registry.store.database import Database
from registry.store.schema import audit_leaves, audit_trees, views
from registry.store.sql import Sql
from registry.timefmt import parse_iso

_LEAVES = audit_leaves.name
_TREES = audit_trees.name
_VIEWS = views.name

PAGE = 5000
SLACK = timedelta(minutes=10)
_CURSOR_NAME = "registry_report_month"


class LogEvent(NamedTuple):
    """One event of the log as a report reads it (a tuple: millions are made a month)."""

    leaf_index: int
    event_type: str  # e.g. "Customer.SendAuthorized"
    occurred_at: datetime
    customer_id: str | None
    data: dict[str, Any]  # the stored state (personal data in it is sealed)


def tree_size(sql: Sql, tenant: str) -> int:
    size = sql.scalar(f"SELECT size FROM {_TREES} WHERE tenant = ?", [tenant])
    return 0 if size is None else int(size)


def last_position(sql: Sql, tenant: str, size: int) -> int:
    """The log position of the tree's last leaf (0 for an empty tree)."""
    if size == 0:
        return 0
    position = sql.scalar(
        f"SELECT position FROM {_LEAVES} WHERE tenant = ? AND leaf_index = ?",
        [tenant, size - 1],
    )
    return int(position)


def first_leaf_at(sql: Sql, tenant: str, moment: datetime, size: int) -> int:
    """The first leaf index below `size` recorded at or after `moment` (`size` if none),
    by bisection: O(log size) point reads."""
    key = time_key(moment)
    low, high = 0, size
    while low < high:
        middle = (low + high) // 2
        found = sql.scalar(
            f"SELECT occurred_key FROM {_LEAVES} WHERE tenant = ? AND leaf_index = ?",
            [tenant, middle],
        )
        if str(found) < key:
            low = middle + 1
        else:
            high = middle
    return low


def customer_events(
    db: Database,
    tenant: str,
    *,
    since: datetime,
    until: datetime,
    size: int,
    event_types: Sequence[str],
    late_types: Sequence[str] = (),
) -> Iterator[LogEvent]:
    """The tenant's customer events of `event_types` recorded in [since, until), and of
    `late_types` recorded from `since` on, leaves below `size`, ordered by customer and
    then log order. On PostgreSQL the next page is fetched while this one is read."""
    pages = _pages(db, tenant, since, until, size, event_types, late_types)
    if db.dialect == "postgres":
        pages = prefetched(pages)
    loads, moment = orjson.loads, datetime.fromisoformat
    for rows in pages:
        for customer, index, event_type, occurred_at, state in rows:
            yield LogEvent(index, event_type, moment(occurred_at), customer, loads(state))


def _pages(
    db: Database,
    tenant: str,
    since: datetime,
    until: datetime,
    size: int,
    event_types: Sequence[str],
    late_types: Sequence[str],
) -> Iterator[list[tuple[Any, ...]]]:
    """`customer_events`' rows, `PAGE` at a time, from one statement in one transaction."""
    with db.transaction() as sql:
        low = max(0, first_leaf_at(sql, tenant, since - SLACK, size))
        high = size if late_types else min(size, first_leaf_at(sql, tenant, until + SLACK, size))
        if low >= high:
            return
        postgres = db.dialect == "postgres"
        marks = ", ".join("?" * len(event_types))
        late = f" OR l.event_type IN ({', '.join('?' * len(late_types))})" if late_types else ""
        # the state as stored (bytes, UTF-8 JSON): orjson reads bytes, no text is made
        statement = (
            "SELECT l.customer_id, l.leaf_index, l.event_type, l.occurred_at, e.state "
            f"FROM {_LEAVES} l JOIN {db.events_table} e "
            f"ON e.{db.position_column} = l.position "
            "WHERE l.tenant = ? AND l.leaf_index >= ? AND l.leaf_index < ? "
            "AND l.occurred_key >= ? AND l.customer_id IS NOT NULL "
            f"AND ((l.occurred_key < ? AND l.event_type IN ({marks})){late}) "
            "ORDER BY l.customer_id, l.leaf_index"
        )
        params = [
            tenant, low, high, time_key(since), time_key(until), *event_types, *late_types,
        ]  # fmt: skip
        if postgres:
            # a plan compiled for millions of rows saves nothing on this one statement
            sql.execute("SET LOCAL jit = off")
        cursor = _streaming_cursor(sql)
        try:
            cursor.execute(statement.replace("?", "%s") if postgres else statement, params)
            while rows := cursor.fetchmany(PAGE):
                yield rows
        finally:
            cursor.close()


def aggregate_events(
    db: Database, aggregate_id: UUID, *, up_to_position: int
) -> list[tuple[int, str, dict[str, Any]]]:
    """(version, topic, state) of one aggregate's events up to a log position: a template's
    or the tenant's few events, for the state they were in as of the checkpoint."""
    with db.transaction() as sql:
        rows = sql.query(
            f"SELECT originator_version, topic, {_state_text(db)} FROM {db.events_table} "
            f"WHERE originator_id = ? AND {db.position_column} <= ? ORDER BY originator_version",
            [db.originator_param(str(aggregate_id)), up_to_position],
        )
    return [(int(version), str(topic), orjson.loads(text)) for version, topic, text in rows]


def view_keys(db: Database, tenant: str, kind: str) -> list[str]:
    """The keys of the tenant's views of `kind` (its templates, experiments, …)."""
    with db.transaction() as sql:
        rows = sql.query(
            f"SELECT key FROM {_VIEWS} WHERE tenant = ? AND kind = ? ORDER BY key", [tenant, kind]
        )
    return [str(key) for (key,) in rows]


def template_keys(db: Database, tenant: str) -> list[tuple[str, str]]:
    """(name, language) of every template the tenant has (its views)."""
    keys: list[tuple[str, str]] = []
    for key in view_keys(db, tenant, "template"):
        name, _, language = str(key).partition("/")
        keys.append((name, language))
    return keys


def event_time(data: dict[str, Any]) -> datetime | None:
    """The `timestamp` of a stored state (eventsourcing's transcoded datetime)."""
    return transcoded_time(data.get("timestamp"))


def transcoded_time(value: Any) -> datetime | None:
    """A datetime as eventsourcing stores it: `{"_type_": "datetime_iso", "_data_": …}`."""
    if isinstance(value, dict) and isinstance(value.get("_data_"), str):
        return parse_iso(value["_data_"])
    return None


def _state_text(db: Database) -> str:
    return "convert_from(state, 'UTF8')" if db.dialect == "postgres" else "CAST(state AS TEXT)"


def _streaming_cursor(sql: Sql) -> Any:
    """A cursor that fetches its result a page at a time: PostgreSQL's named (server-side)
    cursor in the open transaction, or SQLite's own cursor (which steps lazily)."""
    if sql.dialect == "postgres":
        from psycopg.rows import tuple_row

        # binary: the state arrives as its bytes, not as bytea's hex text
        connection = sql.cursor.connection
        cursor = connection.cursor(name=_CURSOR_NAME, row_factory=tuple_row, binary=True)
        cursor.itersize = PAGE
        return cursor
    raw = getattr(sql.cursor, "sqlite_cursor", sql.cursor)  # eventsourcing's wrapper
    return raw.connection.cursor()
