"""Each tenant's append-only Merkle tree, kept in SQL beside the events.

Tables (all prefixed `audit_`):

- `audit_trees (tenant, size)`: the tree size, bumped by every append.
- `audit_leaves (tenant, leaf_index, position, leaf_hash, …labels)`: one row per event;
  the labels (type, time, actor, customer, template) serve filtered, paged exports.
- `audit_nodes (tenant, level, node_index, hash)`: every complete perfect subtree of level
  ≥ 1 (level 0 is `audit_leaves.leaf_hash`), written as soon as its last leaf arrives.

Because perfect subtrees never change once complete, a root of any past size or any proof
is assembled from O(log n) stored rows; nothing ever re-reads the whole log.
`append` runs inside the event writer's transaction, whose lock already serialises writers.
This module is the write side; the reads live in `audit.reads` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from audit import merkle
from audit.merkle import ProofRangeError
from audit.reads import (
    LeafRow,
    consistency_proof,
    find_altered,
    find_bad_nodes,
    inclusion_proof,
    inclusion_proofs,
    inclusion_proofs_json,
    leaf_index_of_position,
    leaf_rows,
    root_hash,
    stored_nodes,
    time_key,
    tree_size,
)
from registry.store.schema import (
    audit_leaves,
    audit_nodes,
    audit_trees,
    column_list,
    key_list,
    placeholders,
)
from registry.store.sql import Sql

__all__ = [
    "LeafEntry",
    "LeafRow",
    "ProofRangeError",
    "TreeRead",
    "append",
    "append_on_server",
    "consistency_proof",
    "find_altered",
    "find_bad_nodes",
    "inclusion_proof",
    "inclusion_proofs",
    "inclusion_proofs_json",
    "leaf_index_of_position",
    "leaf_rows",
    "root_hash",
    "server_functions",
    "tree_size",
]


@dataclass(frozen=True)
class LeafEntry:
    position: int  # global sequence number of the event (notification id)
    leaf: bytes  # canonical JSON of the stored event
    event_type: str
    occurred_at: str  # RFC 3339 UTC
    actor: str
    customer_id: str | None
    template: str | None  # "name/language"
    # The event's change-feed item without its position (registry.domain.feed_items), or
    # None for an event the feed does not list.
    change: str | None = None


def server_functions(dialect: str) -> tuple[str, ...]:
    """Statements that (re)define the server functions the write path calls: on
    PostgreSQL `audit_append` (`append_on_server`). They are code rather than schema,
    kept beside their Python twin `append`, and run at every start-up after the
    migrations (`CREATE OR REPLACE`), so the server's copy is always this one."""
    return (_APPEND_FUNCTION,) if dialect == "postgres" else ()


_TREE_ROW = f"SELECT size, frontier FROM {audit_trees.name} WHERE tenant = ?"


class TreeRead:
    """The tree's row, asked for ahead of `append`: in PostgreSQL's pipeline mode the
    query travels with the statements before it (the events table's lock and insert)
    and its answer is read when the leaves are appended. `sql` must be a cursor of its
    own, used for nothing else until then."""

    def __init__(self, sql: Sql, tenant: str) -> None:
        self.sql = sql
        self.tenant = tenant
        sql.execute(_TREE_ROW, [tenant])

    def rows(self) -> list[tuple[Any, ...]]:
        return self.sql.fetchall()


def append(
    sql: Sql, tenant: str, entries: Sequence[LeafEntry], ahead: TreeRead | None = None
) -> list[int]:
    """Add leaves in log order; returns their leaf indexes. `ahead` is the tree's row
    already asked for in this transaction, after the events table was locked."""
    if not entries:
        return []
    if ahead is not None and ahead.tenant != tenant:
        raise ValueError(f"the tree read ahead is {ahead.tenant!r}'s, not {tenant!r}'s")
    size, frontier = _size_and_frontier(sql, tenant, ahead)
    leaf_rows_: list[tuple[Any, ...]] = []
    node_rows: list[tuple[Any, ...]] = []
    indexes: list[int] = []
    time_keys: dict[str, str] = {}  # a batch's events mostly share one moment
    for entry in entries:
        index = size
        digest = merkle.leaf_hash(entry.leaf)
        occurred_key = time_keys.get(entry.occurred_at)
        if occurred_key is None:
            occurred_key = time_keys[entry.occurred_at] = time_key(entry.occurred_at)
        leaf_rows_.append(
            (
                tenant,
                index,
                entry.position,
                digest,
                entry.event_type,
                entry.occurred_at,
                occurred_key,
                entry.actor,
                entry.customer_id,
                entry.template,
                entry.change,
            )
        )
        level, node_index = 0, index
        while node_index & 1:
            digest = merkle.node_hash(frontier.pop(level), digest)
            level, node_index = level + 1, node_index >> 1
            node_rows.append((tenant, level, node_index, digest))
        frontier[level] = digest
        indexes.append(index)
        size += 1
    tree_row = (tenant, size, b"".join(frontier[k] for k, _ in merkle.perfect_subtrees(0, size)))
    if sql.dialect == "postgres" and len(leaf_rows_) < ONE_STATEMENT_BELOW:
        _write_in_one_statement(sql, leaf_rows_, node_rows, tree_row)
        return indexes
    sql.executemany(_INSERT_LEAVES + _values(1, _LEAF_WIDTH), leaf_rows_)
    sql.executemany(_INSERT_NODES + _values(1, 4), node_rows)
    sql.execute(_UPSERT_TREE, tree_row)
    return indexes


_INSERT_LEAVES = f"INSERT INTO {audit_leaves.name} ({column_list(audit_leaves)}) "
_LEAF_WIDTH = len(audit_leaves.columns)
_INSERT_NODES = f"INSERT INTO {audit_nodes.name} ({column_list(audit_nodes)}) "
_UPSERT_TREE = (
    f"INSERT INTO {audit_trees.name} ({column_list(audit_trees)}) "
    f"VALUES ({placeholders(audit_trees)}) ON CONFLICT ({key_list(audit_trees)}) "
    "DO UPDATE SET size = excluded.size, frontier = excluded.frontier"
)
ONE_STATEMENT_BELOW = 16  # leaves; larger batches (imports) keep the row inserts (COPY)


def _values(rows: int, width: int) -> str:
    row = "(" + ", ".join("?" * width) + ")"
    return "VALUES " + ", ".join([row] * rows)


def _write_in_one_statement(
    sql: Sql,
    leaf_rows: list[tuple[Any, ...]],
    node_rows: list[tuple[Any, ...]],
    tree_row: tuple[Any, ...],
) -> None:
    """PostgreSQL, a use case's few leaves: the leaves, the nodes they complete and the
    tree's row in one statement (data-modifying CTEs), half the client's cost of three."""
    parts = [f"WITH leaves AS ({_INSERT_LEAVES}{_values(len(leaf_rows), _LEAF_WIDTH)})"]
    if node_rows:
        parts.append(f", nodes AS ({_INSERT_NODES}{_values(len(node_rows), 4)})")
    params = [value for row in (*leaf_rows, *node_rows, tree_row) for value in row]
    sql.execute("".join(parts) + " " + _UPSERT_TREE, params)


def _size_and_frontier(
    sql: Sql, tenant: str, ahead: TreeRead | None
) -> tuple[int, dict[int, bytes]]:
    """The tree's size and its frontier: the root hash of each perfect subtree a new leaf
    may be folded into, by level. Kept in the tree's row (one read, inside the events
    table's lock); `audit check` still recomputes every stored node from its children."""
    rows = ahead.rows() if ahead is not None else sql.query(_TREE_ROW, [tenant])
    size = int(rows[0][0]) if rows else 0
    keys = merkle.perfect_subtrees(0, size)
    kept = bytes(rows[0][1]) if rows and rows[0][1] is not None else None
    if kept is not None and len(kept) == 32 * len(keys):
        return size, {level: kept[32 * i : 32 * (i + 1)] for i, (level, _) in enumerate(keys)}
    stored = stored_nodes(sql, tenant, keys)
    return size, {level: digest for (level, _), digest in stored.items()}


# `append` as a PostgreSQL function, for `append_on_server`: the same rows from the same
# leaf hashes, the frontier folded with the same `merkle.node_hash` (sha256 of 0x01, left,
# right), a missing or misfitting frontier read from the stored nodes as
# `_size_and_frontier` does. `audit check` recomputes every node either way wrote.
_APPEND_FUNCTION = r"""
CREATE OR REPLACE FUNCTION audit_append(
    p_tenant TEXT, p_positions BIGINT[], p_hashes BYTEA[], p_types TEXT[],
    p_occurred TEXT[], p_keys TEXT[], p_actors TEXT[], p_customers TEXT[],
    p_templates TEXT[], p_changes TEXT[]
) RETURNS BIGINT LANGUAGE plpgsql AS $fn$
DECLARE
    v_size BIGINT;
    v_frontier BYTEA;
    v_digest BYTEA;
    v_level INTEGER;
    v_index BIGINT;
    v_start BIGINT := 0;
BEGIN
    IF cardinality(p_positions) <> cardinality(p_hashes) THEN
        RAISE EXCEPTION USING MESSAGE = 'audit_append: ' || cardinality(p_positions)
            || ' positions for ' || cardinality(p_hashes) || ' leaves';
    END IF;
    SELECT size, frontier INTO v_size, v_frontier FROM audit_trees WHERE tenant = p_tenant;
    v_size := coalesce(v_size, 0);
    IF v_frontier IS NULL OR length(v_frontier) <> 32 * bit_count(v_size::bit(64)) THEN
        v_frontier := ''::bytea;
        FOR v_level IN REVERSE 62..0 LOOP
            CONTINUE WHEN (v_size >> v_level) & 1 = 0;
            v_index := v_start >> v_level;
            IF v_level = 0 THEN
                SELECT leaf_hash INTO v_digest FROM audit_leaves
                WHERE tenant = p_tenant AND leaf_index = v_index;
            ELSE
                SELECT hash INTO v_digest FROM audit_nodes
                WHERE tenant = p_tenant AND level = v_level AND node_index = v_index;
            END IF;
            IF v_digest IS NULL THEN
                RAISE EXCEPTION USING MESSAGE = 'audit tree of ' || p_tenant
                    || ' lacks subtree (' || v_level || ', ' || v_index || ')';
            END IF;
            v_frontier := v_frontier || v_digest;
            v_start := v_start + (1::BIGINT << v_level);
        END LOOP;
    END IF;
    FOR i IN 1..cardinality(p_hashes) LOOP
        v_digest := p_hashes[i];
        INSERT INTO audit_leaves (tenant, leaf_index, position, leaf_hash, event_type,
            occurred_at, occurred_key, actor, customer_id, template, change)
        VALUES (p_tenant, v_size, p_positions[i], v_digest, p_types[i], p_occurred[i],
            p_keys[i], p_actors[i], p_customers[i], p_templates[i], p_changes[i]);
        v_level := 0;
        v_index := v_size;
        WHILE v_index & 1 = 1 LOOP
            v_digest := sha256('\x01'::BYTEA || substr(v_frontier, length(v_frontier) - 31)
                || v_digest);
            v_frontier := substr(v_frontier, 1, length(v_frontier) - 32);
            v_level := v_level + 1;
            v_index := v_index >> 1;
            INSERT INTO audit_nodes (tenant, level, node_index, hash)
            VALUES (p_tenant, v_level, v_index, v_digest);
        END LOOP;
        v_frontier := v_frontier || v_digest;
        v_size := v_size + 1;
    END LOOP;
    INSERT INTO audit_trees (tenant, size, frontier) VALUES (p_tenant, v_size, v_frontier)
    ON CONFLICT (tenant) DO UPDATE SET size = excluded.size, frontier = excluded.frontier;
    RETURN v_size;
END
$fn$
"""


def append_on_server(
    tenant: str, entries: Sequence[LeafEntry], positions: str, params: Sequence[Any]
) -> list[tuple[str, list[Any]]]:
    """PostgreSQL: `append` as one statement (none without entries) that needs no answer
    from the transaction before it, so that it can be sent with the statements that lock
    and insert the events (registry/store/recorders.py) instead of in a second round trip
    under the lock. The server reads the tree's row and folds the leaves in; their
    positions are those the SQL expression `positions` (a BIGINT[] in log order, with
    `params`) finds, and the entries' own `position` is not used."""
    if not entries:
        return []
    statement = f"SELECT audit_append(?, {positions}, ?, ?, ?, ?, ?, ?, ?, ?)"
    return [
        (
            statement,
            [
                tenant,
                *params,
                [merkle.leaf_hash(entry.leaf) for entry in entries],
                [entry.event_type for entry in entries],
                [entry.occurred_at for entry in entries],
                [time_key(entry.occurred_at) for entry in entries],
                [entry.actor for entry in entries],
                [entry.customer_id for entry in entries],
                [entry.template for entry in entries],
                [entry.change for entry in entries],
            ],
        )
    ]
