"""`python -m registry.projections.rebuild`: rebuild every view from the event log.

One pass over the events table in primary-key order, (originator_id, originator_version),
in pages of `PAGE` events (keyset pagination, so every page is an index range scan).
In that order each aggregate's events come one after another, so the aggregate is
folded in memory (`event.mutate`, exactly what the repository does) and its view is
finished as soon as the next aggregate's first event shows up. Nothing is held beyond
the pages, whatever the size of the log; snapshots are not needed because every event
is read anyway.

A view row's position is the position of the aggregate's last event, which comes with
the events. The views finished in a page are written in one transaction (SQLite:
`executemany`; PostgreSQL: COPY into a temporary table and one `INSERT … SELECT` with
UPSERT_VIEW's conflict clause), so the whole rebuild is O(events / PAGE) round trips
and commits. The work is Python-bound (decoding events, building documents), so each
page's write runs on a second thread while the next page is read and folded; at most
one page is being written at a time. Reading ahead on a thread as well was measured
and gained nothing clear, so the reads stay in line.

Safe to run while the server runs: each row is written with the version it reflects
(UPSERT_VIEW never puts an older version over a newer one), and the server writes
every newer state itself, in the transaction of its events.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from eventsourcing.persistence import OperationalError, StoredEvent

from registry.bootstrap import build_registry
from registry.config import ConfigError, load_settings
from registry.domain.base import RegistryAggregate
from registry.domain.customer import Customer
from registry.progress import Progress, progress
from registry.projections import pilots
from registry.projections.documents import view_of
from registry.projections.sends import Statement, event_rows, rebuild_window, window_buckets
from registry.store.events import EventStore
from registry.store.schema import column_list, placeholders, views
from registry.store.sql import Sql
from registry.store.unit_of_work import UPSERT_VIEW, view_row

PAGE = 5000
WRITE_ATTEMPTS = 5
STAGING = "registry_rebuild_views"  # PostgreSQL: a temporary table, one per page written
VIEW_COLUMNS = column_list(views)

Row = tuple[Any, ...]  # (originator_id, originator_version, topic, state, position)


def rebuild(registry: EventStore, page: int = PAGE, shown: Progress | None = None) -> int:
    """Returns the number of views written; `shown` counts the events read."""
    written = 0
    after: tuple[Any, int] | None = None
    folding: _Folding | None = None  # the aggregate the last page ended in
    windows: dict[tuple[str, str, int], int] = {}  # the messaging window's minutes
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rebuild-writer") as writer:
        writing: Future[None] | None = None
        while True:
            rows = _read_page(registry, after, page)
            if shown is not None:
                shown.update(len(rows))
            finished: list[Row] = []
            derived: list[Statement] = []
            for originator_id, version, topic, state, position in rows:
                if folding is None or folding.originator_id != originator_id:
                    if folding is not None:
                        folding.finish(finished, windows)
                    folding = _Folding(originator_id)
                stored = StoredEvent(originator_id, version, topic, state)
                folding.apply(registry, stored, position, derived)
            last_page = len(rows) < page
            if last_page and folding is not None:
                folding.finish(finished, windows)
            if writing is not None:
                writing.result()  # at most one page in flight
            window = windows if last_page else None  # complete once the log is read
            writing = writer.submit(_write_views, registry, finished, derived, window)
            written += len(finished)
            if last_page:
                writing.result()
                registry.db.refresh_statistics()
                return written
            after = _key_of(rows[-1])


def _key_of(row: Row) -> tuple[Any, int]:
    return row[0], int(row[1])


class _Folding:
    """One aggregate being rebuilt from its events, in version order."""

    __slots__ = ("aggregate", "originator_id", "position")

    def __init__(self, originator_id: Any) -> None:
        self.originator_id = originator_id
        self.aggregate: Any = None
        self.position = 0

    def apply(
        self, registry: EventStore, stored: StoredEvent, position: int, derived: list[Statement]
    ) -> None:
        event: Any = registry.mapper.to_domain_event(stored)
        self.aggregate = event.mutate(self.aggregate)
        self.position = max(self.position, int(position))
        if isinstance(self.aggregate, RegistryAggregate):
            derived += event_rows(self.aggregate.tenant, self.aggregate, event)
            derived += pilots.event_rows(self.aggregate.tenant, self.aggregate, event)

    def finish(self, into: list[Row], windows: dict[tuple[str, str, int], int]) -> None:
        aggregate = self.aggregate
        if isinstance(aggregate, RegistryAggregate):
            view = view_of(aggregate)
            if view is not None:
                into.append(view_row(aggregate.tenant, view, self.position))
        if isinstance(aggregate, Customer) and aggregate.marketing_at:
            for key, customers in window_buckets([(aggregate.tenant, aggregate)]).items():
                windows[key] = windows.get(key, 0) + customers


def _read_page(registry: EventStore, after: tuple[Any, int] | None, limit: int) -> list[Row]:
    db = registry.db
    statement = (
        f"SELECT originator_id, originator_version, topic, state, {db.position_column} "
        f"FROM {db.events_table}"
    )
    params: list[Any] = []
    if after is not None:
        statement += " WHERE (originator_id, originator_version) > (?, ?)"
        params += after
    statement += " ORDER BY originator_id, originator_version LIMIT ?"
    with db.single_statement() as sql:
        return sql.query(statement, [*params, limit])


def _write_views(
    registry: EventStore,
    rows: Sequence[Row],
    derived: Sequence[Statement] = (),
    window: dict[tuple[str, str, int], int] | None = None,
) -> None:
    """One transaction per page. A concurrent writer can make PostgreSQL pick this
    transaction as a deadlock victim (or keep SQLite locked): the page is retried.
    The last page also replaces the messaging window (`window`) and recounts the pilots."""
    if not rows and not derived and window is None:
        return
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with registry.db.transaction(commit=True) as sql:
                if rows:
                    _upsert(sql, rows)
                for statement, params in derived:
                    sql.execute(statement, params)
                if window is not None:
                    rebuild_window(sql, window)
                    pilots.recount(sql)
            return
        except OperationalError:
            if attempt == WRITE_ATTEMPTS:
                raise
            time.sleep(0.05 * attempt)


def _upsert(sql: Sql, rows: Sequence[Row]) -> None:
    """On SQLite `executemany` runs in-process and is quick. On PostgreSQL it costs a
    statement per row and keeps the GIL busy while the next page is folded, so the rows
    are streamed with COPY into a temporary table and upserted by one statement (the
    view keys of one page are distinct, as one statement requires)."""
    if sql.dialect != "postgres":
        sql.executemany(UPSERT_VIEW, rows)
        return
    sql.execute(f"CREATE TEMP TABLE {STAGING} (LIKE {views.name}) ON COMMIT DROP")
    with sql.cursor.copy(f"COPY {STAGING} ({VIEW_COLUMNS}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    sql.execute(UPSERT_FROM_STAGING)


def _upsert_from(table: str) -> str:
    """UPSERT_VIEW (and so its version guard) with the rows taken from `table`."""
    head, values, tail = UPSERT_VIEW.partition(f"VALUES ({placeholders(views)})")
    if not values:
        raise RuntimeError("UPSERT_VIEW no longer has the VALUES clause rebuild expects")
    return f"{head}SELECT {VIEW_COLUMNS} FROM {table}{tail}"


UPSERT_FROM_STAGING = _upsert_from(STAGING)


def build_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="python -m registry.projections.rebuild",
        description="Rebuild every view from the event log (the server's environment: "
        "REGISTRY_DATABASE_URL, REGISTRY_JWT_SECRET, ...). Safe while the server runs. "
        "Progress on stderr: a bar on a terminal, plain lines otherwise.",
    )


def main(argv: Sequence[str] | None = None) -> int:
    build_parser().parse_args(argv)
    try:
        registry = build_registry(load_settings())
    except ConfigError as error:
        print(f"registry: {error}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with registry.db.transaction() as sql:
        total = registry.db.max_position(sql)
    with progress("rebuild", total=total, unit="events") as shown:
        count = rebuild(registry, shown=shown)
    print(f"rebuilt {count} views in {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
