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
    leaf_index_of_position,
    leaf_rows,
    root_hash,
    stored_nodes,
    time_key,
    tree_size,
)
from registry.store.sql import Sql

__all__ = [
    "LeafEntry",
    "LeafRow",
    "ProofRangeError",
    "append",
    "consistency_proof",
    "create_tables",
    "find_altered",
    "find_bad_nodes",
    "inclusion_proof",
    "inclusion_proofs",
    "leaf_index_of_position",
    "leaf_rows",
    "root_hash",
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


def create_tables(sql: Sql) -> None:
    blob = sql.blob_type
    statements = [
        "CREATE TABLE IF NOT EXISTS audit_trees ("
        "tenant TEXT NOT NULL PRIMARY KEY, size BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS audit_leaves ("
        "tenant TEXT NOT NULL, leaf_index BIGINT NOT NULL, position BIGINT NOT NULL, "
        f"leaf_hash {blob} NOT NULL, event_type TEXT NOT NULL, occurred_at TEXT NOT NULL, "
        "occurred_key TEXT NOT NULL, actor TEXT NOT NULL, customer_id TEXT, template TEXT, "
        "PRIMARY KEY (tenant, leaf_index))",
        "CREATE UNIQUE INDEX IF NOT EXISTS audit_leaves_position "
        "ON audit_leaves (tenant, position)",
        "CREATE INDEX IF NOT EXISTS audit_leaves_customer "
        "ON audit_leaves (tenant, customer_id, leaf_index)",
        "CREATE INDEX IF NOT EXISTS audit_leaves_template "
        "ON audit_leaves (tenant, template, leaf_index)",
        "CREATE TABLE IF NOT EXISTS audit_nodes ("
        "tenant TEXT NOT NULL, level INTEGER NOT NULL, node_index BIGINT NOT NULL, "
        f"hash {blob} NOT NULL, PRIMARY KEY (tenant, level, node_index))",
    ]
    for statement in statements:
        sql.execute(statement)


def append(sql: Sql, tenant: str, entries: Sequence[LeafEntry]) -> list[int]:
    """Add leaves in log order; returns their leaf indexes."""
    if not entries:
        return []
    size = tree_size(sql, tenant)
    frontier = {
        level: digest
        for (level, _), digest in stored_nodes(
            sql, tenant, merkle.perfect_subtrees(0, size)
        ).items()
    }
    leaf_rows_: list[tuple[Any, ...]] = []
    node_rows: list[tuple[Any, ...]] = []
    indexes: list[int] = []
    for entry in entries:
        index = size
        digest = merkle.leaf_hash(entry.leaf)
        leaf_rows_.append(
            (
                tenant,
                index,
                entry.position,
                digest,
                entry.event_type,
                entry.occurred_at,
                time_key(entry.occurred_at),
                entry.actor,
                entry.customer_id,
                entry.template,
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
    sql.executemany(
        "INSERT INTO audit_leaves (tenant, leaf_index, position, leaf_hash, event_type, "
        "occurred_at, occurred_key, actor, customer_id, template) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        leaf_rows_,
    )
    sql.executemany(
        "INSERT INTO audit_nodes (tenant, level, node_index, hash) VALUES (?, ?, ?, ?)",
        node_rows,
    )
    sql.execute(
        "INSERT INTO audit_trees (tenant, size) VALUES (?, ?) "
        "ON CONFLICT (tenant) DO UPDATE SET size = excluded.size",
        [tenant, size],
    )
    return indexes
