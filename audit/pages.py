"""Reading for streaming exports: pages of leaves with their stored events, the data keys
of a page's customers, and reading ahead.

An export line carries the stored event; its state is already JSON text in the store, so
it is spliced into the leaf object's text rather than parsed and serialised again (the
verifier parses the line and hashes `canonical_json` of the object either way). A page of
leaves and their events is one joined query that leaves text as text (the state, the
originator id on PostgreSQL). Reading the next page on a worker thread while the current
one is formatted overlaps the database's work and round trips with ours.

JSON lines read `event_heads`: each event's line up to its proof, assembled by PostgreSQL
(the leaf object's text is the stored state spliced as above, the topic written by
`to_json`, whose escapes are `json.dumps`'s), so that a page costs Python one tuple per
event. The page's customers are matched by an index seek each (`unnest` of the page's
list, joined to the primary keys), which scales with the page, not the tenant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar, Unpack
from uuid import UUID

from audit.reads import LeafFilters, leaf_filter
from registry.store.database import Database
from registry.store.schema import audit_leaves, data_keys, views
from registry.store.sql import Sql

_DATA_KEYS = data_keys.name
_LEAVES = audit_leaves.name
_VIEWS = views.name

_T = TypeVar("_T")
_HEX32 = re.compile("[0-9a-f]{32}")
_SQLITE_KEYS_PER_QUERY = 500


class LeafEvent(NamedTuple):
    """A leaf of the audit tree (`audit.reads.LeafRow`) with its stored event."""

    leaf_index: int
    position: int
    event_type: str
    occurred_at: str
    actor: str
    customer_id: str | None
    template: str | None
    leaf_hash: bytes
    event_json: str  # the leaf object (`registry.store.unit_of_work.leaf_object`) as JSON


def leaf_events(
    db: Database, sql: Sql, tenant: str, *, limit: int = 1000, **filters: Unpack[LeafFilters]
) -> list[LeafEvent]:
    """One page of `audit.reads.leaf_rows` (same filters), each with its stored event."""
    where, params = leaf_filter(tenant, **filters)
    postgres = sql.dialect == "postgres"
    originator = "e.originator_id::text" if postgres else "e.originator_id"
    state = "convert_from(e.state, 'UTF8')" if postgres else "CAST(e.state AS TEXT)"
    rows = sql.query(
        f"SELECT {_LEAVES}.leaf_index, {_LEAVES}.position, {_LEAVES}.event_type, "
        f"{_LEAVES}.occurred_at, {_LEAVES}.actor, {_LEAVES}.customer_id, "
        f"{_LEAVES}.template, {_LEAVES}.leaf_hash, {originator}, e.originator_version, "
        f"e.topic, {state} FROM {_LEAVES} JOIN {db.events_table} e "
        f"ON e.{db.position_column} = {_LEAVES}.position "
        f"WHERE {where} ORDER BY {_LEAVES}.leaf_index LIMIT ?",
        [*params, limit],
    )
    uuid_text = str if postgres else _uuid_text  # PostgreSQL's uuid text is canonical
    return [
        LeafEvent(
            int(index),
            int(position),
            event_type,
            occurred_at,
            actor,
            customer,
            template_,
            bytes(leaf_hash),
            _leaf_object(uuid_text(originator_id), version, topic, state_text),
        )
        for (
            index,
            position,
            event_type,
            occurred_at,
            actor,
            customer,
            template_,
            leaf_hash,
            originator_id,
            version,
            topic,
            state_text,
        ) in rows
    ]


EventHead = tuple[int, str | None, bytes, str, str | None]
"""(leaf index, customer id, leaf hash, head, template label): the head is the event's
export line up to its proof,
`{"kind":"event","leaf_index":…,"position":…,"event":{leaf object},"proof":`; the label is
the leaf's `name/language`, if it has one."""

_HEAD_PREFIX = '{"kind":"event","leaf_index":'
_STATE_KEY = ',"state":'
_HEAD_END = ',"proof":'


def event_heads(
    db: Database, sql: Sql, tenant: str, *, limit: int = 1000, **filters: Unpack[LeafFilters]
) -> list[EventHead]:
    """One page of `leaf_events` (same filters) as the heads of their export lines."""
    where, params = leaf_filter(tenant, table="l", **filters)
    if sql.dialect != "postgres":
        return _python_heads(db, sql, where, [*params, limit])
    head = (
        f"concat('{_HEAD_PREFIX}', l.leaf_index, ',\"position\":', l.position, "
        '\',"event":{"originator_id":"\', e.originator_id, '
        '\'","originator_version":\', e.originator_version, '
        "',\"topic\":', to_json(coalesce(e.topic, 'None')), "
        f"'{_STATE_KEY}', convert_from(e.state, 'UTF8'), '}}{_HEAD_END}')"
    )
    rows = sql.query(
        f"SELECT l.leaf_index, l.customer_id, l.leaf_hash, {head}, "
        "substring(e.state FROM 1 FOR 1) = '\\x7b'::bytea, l.template "
        f"FROM {_LEAVES} l JOIN {db.events_table} e ON e.{db.position_column} = l.position "
        f"WHERE {where} ORDER BY l.leaf_index LIMIT ?",
        [*params, limit],
    )
    # A state that `_one_line` rewrites (not an object, or on several lines) is rare.
    return [
        (index, customer, leaf_hash, text, template)
        if opens_object and "\n" not in text and "\r" not in text
        else (index, customer, leaf_hash, _one_line_head(text), template)
        for index, customer, leaf_hash, text, opens_object, template in rows
    ]


def _python_heads(db: Database, sql: Sql, where: str, params: list[Any]) -> list[EventHead]:
    """`event_heads` assembled here (SQLite)."""
    rows = sql.query(
        "SELECT l.leaf_index, l.position, l.customer_id, l.leaf_hash, e.originator_id, "
        "e.originator_version, e.topic, CAST(e.state AS TEXT), l.template "
        f"FROM {_LEAVES} l JOIN {db.events_table} e ON e.{db.position_column} = l.position "
        f"WHERE {where} ORDER BY l.leaf_index LIMIT ?",
        params,
    )
    return [
        (
            int(index),
            customer,
            bytes(leaf_hash),
            f'{_HEAD_PREFIX}{int(index):d},"position":{int(position):d},"event":'
            f"{_leaf_object(_uuid_text(originator_id), version, topic, state)}{_HEAD_END}",
            template,
        )
        for (
            index,
            position,
            customer,
            leaf_hash,
            originator_id,
            version,
            topic,
            state,
            template,
        ) in rows
    ]


def _leaf_object(originator_id: str, version: Any, topic: Any, state: str) -> str:
    """The leaf object's text (`registry.store.unit_of_work.leaf_object`) around the stored
    state's own text; PostgreSQL's `event_heads` writes the same in SQL."""
    return (
        f'{{"originator_id":"{originator_id}","originator_version":{int(version):d},'
        f'"topic":{_json_string(str(topic))}{_STATE_KEY}{_one_line(state)}}}'
    )


def _one_line_head(head: str) -> str:
    cut = head.index(_STATE_KEY) + len(_STATE_KEY)
    return f"{head[:cut]}{_one_line(state_of_head(head))}}}{_HEAD_END}"


def state_of_head(head: str) -> str:
    """The stored state's text inside an `EventHead`'s head."""
    return head[head.index(_STATE_KEY) + len(_STATE_KEY) : -len(_HEAD_END) - 1]


def living_wrapped_keys(sql: Sql, tenant: str, customers: Sequence[str]) -> dict[str, bytes]:
    """The wrapped data keys of those `customers` whose view exists and is not erased.

    An erased customer's key is deleted with the erasure, but a later inbound message
    seals its text under a new key: the view's flag keeps such values sealed in exports.
    The database reads the flag from the documents it joins (in the select list, so a
    plan that scans the views does not parse every document) and sends no documents."""
    if sql.dialect == "postgres":
        # `customer_id = ANY(…)` of a page's thousand customers measured a seq scan of the
        # tenant's keys, or a slow array scan of the index; `unnest` joins by a seek each.
        # A document with no `true` and no escape cannot say erased (the flag reads as
        # 'true' only for true or "true"): most documents need no parsing.
        rows = sql.query(
            "SELECT k.customer_id, k.wrapped, CASE WHEN strpos(v.doc, 'true') = 0 "
            "AND strpos(v.doc, '\\') = 0 THEN NULL ELSE v.doc::json ->> 'erased' END "
            "FROM unnest(?::text[]) AS page(customer_id) "
            f"JOIN {_DATA_KEYS} k ON k.tenant = ? AND k.customer_id = page.customer_id "
            f"JOIN {_VIEWS} v ON v.tenant = ? AND v.kind = 'customer' "
            "AND v.key = page.customer_id",
            [list(customers), tenant, tenant],
        )
        return {str(c): bytes(wrapped) for c, wrapped, flag in rows if not _true(flag)}
    keys: dict[str, bytes] = {}
    for start in range(0, len(customers), _SQLITE_KEYS_PER_QUERY):
        chunk = list(customers[start : start + _SQLITE_KEYS_PER_QUERY])
        rows = sql.query(
            "SELECT k.customer_id, k.wrapped, json_extract(v.doc, '$.erased') "
            f"FROM {_DATA_KEYS} k JOIN {_VIEWS} v ON v.tenant = k.tenant "
            "AND v.kind = 'customer' AND v.key = k.customer_id "
            f"WHERE k.tenant = ? AND k.customer_id IN ({','.join('?' * len(chunk))})",
            [tenant, *chunk],
        )
        keys.update({str(c): bytes(wrapped) for c, wrapped, flag in rows if not _true(flag)})
    return keys


def erased_customers(sql: Sql, tenant: str, customers: Sequence[str]) -> set[str]:
    """Those of `customers` whose view says erased: their export lines name no customer."""
    if sql.dialect == "postgres":
        rows = sql.query(
            "SELECT v.key FROM unnest(?::text[]) AS page(customer_id) "
            "JOIN registry_views v ON v.tenant = ? AND v.kind = 'customer' "
            "AND v.key = page.customer_id "
            "WHERE strpos(v.doc, 'true') > 0 AND v.doc::json ->> 'erased' = 'true'",
            [list(customers), tenant],
        )
        return {str(key) for (key,) in rows}
    erased: set[str] = set()
    for start in range(0, len(customers), _SQLITE_KEYS_PER_QUERY):
        chunk = list(customers[start : start + _SQLITE_KEYS_PER_QUERY])
        rows = sql.query(
            "SELECT key, json_extract(doc, '$.erased') FROM registry_views "
            f"WHERE tenant = ? AND kind = 'customer' AND key IN ({','.join('?' * len(chunk))})",
            [tenant, *chunk],
        )
        erased.update(str(key) for key, flag in rows if _true(flag))
    return erased


def _true(flag: Any) -> bool:
    """The erased flag as the database reads it: 'true' (PostgreSQL) or 1 (SQLite)."""
    return flag in ("true", 1)


def read_ahead(pages: Iterator[_T]) -> Iterator[_T]:
    """`pages`, with the next one read on a worker thread while the caller uses this one.

    At most two pages are held. Closing the result (a client that went away) waits for
    the read under way, then closes `pages`.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-read-ahead") as worker:
        try:
            pending = worker.submit(next, pages, None)
            while (page := pending.result()) is not None:
                pending = worker.submit(next, pages, None)
                yield page
        finally:
            worker.shutdown(wait=True)
            close = getattr(pages, "close", None)
            if close is not None:
                close()


def _one_line(text: str) -> str:
    """The stored state as JSON text of one line (stored states are compact already)."""
    if not text.startswith("{") or "\n" in text or "\r" in text:
        return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    return text


def _uuid_text(value: Any) -> str:
    """Canonical text of a stored originator id (a UUID, or 32 hex digits in SQLite)."""
    if isinstance(value, str) and _HEX32.fullmatch(value):
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value if isinstance(value, UUID) else UUID(str(value)))


@lru_cache(maxsize=1024)
def _json_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)
