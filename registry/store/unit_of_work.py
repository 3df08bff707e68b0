"""What commits together with a batch of events (see recorders.py).

A `WriteSet` is built by the application before `save()`; the recorder calls it
with the open transaction's cursor and the new events' positions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import StoredEvent

from audit import log as audit_log
from registry.domain.feed_items import change_fragment
from registry.store.schema import (
    column_list,
    customer_index,
    data_keys,
    idempotency,
    key_list,
    placeholders,
    views,
    webhook_seen,
)
from registry.store.sql import Sql


# A view row is replaced only by a row of the same or a later aggregate version, so a
# rebuild running beside the server never puts an older state back; a row that would not
# change is left alone (on PostgreSQL every update writes a new row version).
def _upsert_view(position: str) -> str:
    v = views.name
    return (
        f"INSERT INTO {v} ({column_list(views)}) "
        f"VALUES (?, ?, ?, ?, {position}, ?) ON CONFLICT ({key_list(views)}) DO UPDATE SET "
        "version = excluded.version, position = excluded.position, doc = excluded.doc "
        f"WHERE {v}.version < excluded.version OR ({v}.version = "
        f"excluded.version AND ({v}.position <> excluded.position "
        f"OR {v}.doc <> excluded.doc))"
    )


UPSERT_VIEW = _upsert_view("?")
_UPSERT_INDEX = (
    f"INSERT INTO {customer_index.name} ({column_list(customer_index)}) "
    f"VALUES ({placeholders(customer_index)}) "
    f"ON CONFLICT ({key_list(customer_index)}) DO UPDATE SET customer_id = excluded.customer_id"
)
_MARK_SEEN = (
    f"INSERT INTO {webhook_seen.name} ({column_list(webhook_seen)}) "
    f"VALUES ({placeholders(webhook_seen)})"
)
_ERASE = (
    f"DELETE FROM {data_keys.name} WHERE tenant = ? AND customer_id = ?",
    f"DELETE FROM {customer_index.name} WHERE tenant = ? AND customer_id = ?",
)
_INSERT_IDEMPOTENCY = (
    f"INSERT INTO {idempotency.name} ({column_list(idempotency)}) "
    f"VALUES ({placeholders(idempotency)})"
)


@dataclass
class ViewWrite:
    kind: str  # customer | template | tenant
    key: str
    aggregate_id: str
    version: int
    doc: dict[str, Any]


@dataclass
class IdempotencyWrite:
    key: str
    request_hash: str
    status: int
    body_for: Callable[[int], dict[str, Any]]  # the answer, given the last event's position


@dataclass
class Read:
    """A read of committed rows that runs inside the write's transaction (after the
    events table's lock, or before it when the unit is written ahead), for a caller that
    wants its rows after the commit (a receipt's event positions).
    When the recorder pipelines the transaction (PostgreSQL) it is asked together with
    the insert, on a cursor of its own, and costs no round trip of its own."""

    statement: str
    params: Sequence[Any]
    rows: list[tuple[Any, ...]] | None = None
    _asked_on: Sql | None = field(default=None, repr=False)

    def ask(self, sql: Sql) -> None:
        sql.execute(self.statement, self.params)
        self._asked_on = sql

    def answer(self, sql: Sql) -> None:
        if self._asked_on is None:
            self.rows = sql.query(self.statement, self.params)
        else:
            self.rows, self._asked_on = self._asked_on.fetchall(), None


@dataclass
class WriteSet:
    tenant: str
    views: list[ViewWrite] = field(default_factory=list)
    leaf_labels: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    index_rows: list[tuple[str, str]] = field(default_factory=list)  # (blind, customer_id)
    idempotency: IdempotencyWrite | None = None
    dedupe_key: str | None = None
    erase_data_key_of: str | None = None
    answered: dict[str, Any] | None = None  # the idempotent answer, once written
    reads: list[Read] = field(default_factory=list)  # answered in the transaction
    # Further rows of the registry's derived tables (outcomes: sends, the messaging window),
    # each a statement and its parameters, written after the views in the same transaction.
    rows: list[tuple[str, list[Any]]] = field(default_factory=list)
    tree_ahead: audit_log.TreeRead | None = field(default=None, repr=False)

    def statements_ahead(
        self, stored: Sequence[StoredEvent], positions: str, params: Sequence[Any]
    ) -> list[tuple[str, list[Any]]] | None:
        """What `__call__` writes, as statements that find the events' positions
        themselves (PostgreSQL), or None when the unit cannot be written so: with an
        idempotent answer (its body names the position) or in a subclass that writes
        more in `__call__`. `positions` is a SQL expression of the positions of the
        `stored` events (a BIGINT[] in their order, with `params`), valid once they are
        inserted.

        The recorder sends the statements with the insert and COMMIT in one round trip,
        so the events table's lock is never held while the client works; they are built
        here, before the transaction. The caller must send them all, in order, in the
        transaction that inserts `stored`, and then take the answers of `reads`
        (`ask_reads`, `answer_reads`) instead of calling the unit."""
        if self.idempotency is not None or type(self).__call__ is not WriteSet.__call__:
            return None
        statements: list[tuple[str, list[Any]]] = []
        if self.dedupe_key is not None:
            statements.append((_MARK_SEEN, [self.tenant, self.dedupe_key]))
        leaves = [self._leaf_entry(event, 0) for event in stored]
        statements += audit_log.append_on_server(self.tenant, leaves, positions, params)
        last = {str(event.originator_id): number for number, event in enumerate(stored, 1)}
        for view in self.views:
            row = view_row(self.tenant, view, 0)
            position = f"({positions})[{last.get(view.aggregate_id, len(stored))}]"
            statements.append((_upsert_view(position), [*row[:4], *params, row[5]]))
        statements += [(_UPSERT_INDEX, list(row)) for row in self._index_rows()]
        statements += self.rows
        if self.erase_data_key_of is not None:
            statements += [(erase, [self.tenant, self.erase_data_key_of]) for erase in _ERASE]
        return statements

    def ask_reads(self, cursor: Callable[[], Sql]) -> None:
        """Asks `reads` each on a new cursor of `cursor()` (see `read_ahead`)."""
        for read in self.reads:
            read.ask(cursor())

    def answer_reads(self, sql: Sql) -> None:
        """Takes the answers of `reads`, asking on `sql` those not asked ahead."""
        for read in self.reads:
            read.answer(sql)

    def read_ahead(self, cursor: Callable[[], Sql]) -> None:
        """Asks what the transaction reads (the audit tree's row, then `reads`) each on a
        new cursor of `cursor()`, so that in pipeline mode the questions travel with the
        insert; the answers are taken when the unit runs."""
        self.tree_ahead = audit_log.TreeRead(cursor(), self.tenant)
        self.ask_reads(cursor)

    def __call__(self, sql: Sql, stored: Sequence[StoredEvent], positions: Sequence[int]) -> None:
        """Writes with the `Sql` it is given: a `BulkSql` (COPY for long inserts) from the
        recorders, except inside PostgreSQL's pipeline mode, where COPY is refused."""
        ahead, self.tree_ahead = self.tree_ahead, None
        self.answer_reads(sql)
        last_position = max(positions)
        if self.dedupe_key is not None:
            sql.execute(_MARK_SEEN, [self.tenant, self.dedupe_key])
        audit_log.append(
            sql,
            self.tenant,
            [
                self._leaf_entry(event, position)
                for event, position in zip(stored, positions, strict=True)
            ],
            ahead,
        )
        last_by_aggregate: dict[str, int] = {}
        for event, position in zip(stored, positions, strict=True):
            last_by_aggregate[str(event.originator_id)] = position
        view_rows = [
            view_row(self.tenant, view, last_by_aggregate.get(view.aggregate_id, last_position))
            for view in self.views
        ]
        if len(view_rows) == 1:  # one statement, cheaper than psycopg's executemany
            sql.execute(UPSERT_VIEW, view_rows[0])
        else:
            sql.executemany(UPSERT_VIEW, view_rows)
        sql.executemany(_UPSERT_INDEX, self._index_rows())
        for statement, params in self.rows:
            sql.execute(statement, params)
        if self.erase_data_key_of is not None:
            for erase in _ERASE:
                sql.execute(erase, [self.tenant, self.erase_data_key_of])
        if self.idempotency is not None:
            body = self.idempotency.body_for(last_position)
            sql.execute(
                _INSERT_IDEMPOTENCY,
                [
                    self.tenant,
                    self.idempotency.key,
                    self.idempotency.request_hash,
                    self.idempotency.status,
                    compact_json_text(body),
                    last_position,
                ],
            )
            self.answered = body

    def _index_rows(self) -> list[tuple[str, str, str]]:
        return [(self.tenant, blind, customer_id) for blind, customer_id in self.index_rows]

    def _leaf_entry(self, event: StoredEvent, position: int) -> audit_log.LeafEntry:
        state = _decode_state(event.state.decode("utf-8"))
        customer_id, template = self.leaf_labels.get(str(event.originator_id), (None, None))
        if template is None:
            template = template_label(state)
        timestamp = state.get("timestamp", {})
        occurred_at = normalise_timestamp(
            timestamp.get("_data_") if isinstance(timestamp, dict) else None
        )
        type_ = event_type(event.topic)
        return audit_log.LeafEntry(
            position=position,
            leaf=canonical_json_text(leaf_object(event, state)).encode("utf-8"),
            event_type=type_,
            occurred_at=occurred_at,
            actor=str(state.get("actor", "system")),
            customer_id=customer_id,
            template=template,
            change=change_fragment(type_, occurred_at, customer_id, template, state),
        )


def template_label(state: dict[str, Any]) -> str | None:
    """A customer's event about a template (an authorization names the one it allows) is
    labelled with it, so that an export of the template includes it."""
    template = state.get("template")
    if isinstance(template, dict):
        name, language = template.get("name"), template.get("language")
        if isinstance(name, str) and isinstance(language, str):
            return f"{name}/{language}"
    return None


def _refuse_float(text: str) -> Any:
    raise ValueError(f"a Merkle leaf must not contain floats (found {text})")


# The stored state read back as the leaf's JSON object. A float (or NaN/Infinity) is
# refused while parsing, which is what `audit.merkle.canonical_json` checks by walking
# the object afterwards; the two encoders below are `json.dumps` with the arguments of
# `canonical_json` (leaves) and of the compact view documents, built once.
_decode_state = json.JSONDecoder(parse_float=_refuse_float, parse_constant=_refuse_float).decode
canonical_json_text = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False
).encode
compact_json_text = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def view_row(tenant: str, view: ViewWrite, position: int) -> tuple[Any, ...]:
    doc = compact_json_text(view.doc)
    return (tenant, view.kind, view.key, view.version, position, doc)


def leaf_object(event: StoredEvent, state: dict[str, Any]) -> dict[str, Any]:
    """The Merkle leaf: the event exactly as stored, as a JSON object."""
    return {
        "originator_id": str(event.originator_id),
        "originator_version": event.originator_version,
        "topic": event.topic,
        "state": state,
    }


def event_type(topic: str) -> str:
    """`registry.domain.customer:Customer.ConsentGranted` → `Customer.ConsentGranted`."""
    return topic.rsplit(":", 1)[-1]


def normalise_timestamp(value: str | None) -> str:
    if not value:
        return ""
    return value.replace("+00:00", "Z")
