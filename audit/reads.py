"""The read side of each tenant's Merkle tree (see `audit.log` for the tables).

Roots and single proofs are assembled from O(log n) stored perfect subtrees; the proofs of
a page of leaves come from `audit.multiproof` with one read of the few subtrees outside
the page. Leaf rows serve filtered, paged exports; `find_altered` and `find_bad_nodes`
prove the stored tree is the tree of the stored events.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict, TypeVar, Unpack

from audit import merkle, multiproof
from audit.merkle import NodeKey, ProofRangeError
from registry.store.schema import audit_leaves, audit_nodes, audit_trees
from registry.store.sql import Sql

_LEAVES = audit_leaves.name
_NODES = audit_nodes.name
_TREES = audit_trees.name

_T = TypeVar("_T")
_PAGE = 1000
_KEYS_PER_QUERY = 200


@dataclass(frozen=True, slots=True)
class LeafRow:
    index: int
    position: int
    event_type: str
    occurred_at: str
    actor: str
    customer_id: str | None
    template: str | None
    leaf_hash: bytes

    @property
    def leaf_index(self) -> int:
        return self.index


def tree_size(sql: Sql, tenant: str) -> int:
    size = sql.scalar(f"SELECT size FROM {_TREES} WHERE tenant = ?", [tenant])
    return 0 if size is None else int(size)


def root_hash(sql: Sql, tenant: str, size: int) -> bytes:
    _check_size(sql, tenant, size)
    if size == 0:
        return merkle.EMPTY_ROOT
    return merkle.ranges_hashes([(0, size)], lambda keys: stored_nodes(sql, tenant, keys))[0]


def inclusion_proof(sql: Sql, tenant: str, leaf_index: int, size: int) -> list[bytes]:
    ranges = merkle.inclusion_ranges(leaf_index, size)
    _check_size(sql, tenant, size)
    return merkle.ranges_hashes(ranges, lambda keys: stored_nodes(sql, tenant, keys))


def inclusion_proofs(
    sql: Sql, tenant: str, leaves: Mapping[int, bytes], size: int
) -> dict[int, tuple[bytes, ...]]:
    """The inclusion proofs of many leaves (index → leaf hash, e.g. a page of `leaf_rows`)
    in the tree of `size`, with one lookup of the stored subtrees beside them."""
    if not leaves:
        return {}
    _check_size(sql, tenant, size)
    return multiproof.inclusion_proofs(size, leaves, lambda keys: stored_nodes(sql, tenant, keys))


def inclusion_proofs_json(
    sql: Sql, tenant: str, leaves: Mapping[int, bytes], size: int
) -> dict[int, str]:
    """`inclusion_proofs` as JSON arrays of hex strings, as export lines carry them."""
    if not leaves:
        return {}
    _check_size(sql, tenant, size)
    return multiproof.inclusion_proofs_json(
        size, leaves, lambda keys: stored_nodes(sql, tenant, keys)
    )


def consistency_proof(sql: Sql, tenant: str, first: int, second: int) -> list[bytes]:
    ranges = merkle.consistency_ranges(first, second)
    _check_size(sql, tenant, second)
    return merkle.ranges_hashes(ranges, lambda keys: stored_nodes(sql, tenant, keys))


class LeafFilters(TypedDict, total=False):
    """Which leaves a page holds (`leaf_filter`): a customer's, a template's (`name/language`,
    or `name` for every language), of some event types (`Customer.ConsentWithdrawn`), a
    time range (`since` inclusive, `until` exclusive) and a range of leaf indexes (both
    exclusive)."""

    customer_id: str | None
    template: str | None
    types: Sequence[str] | None
    since: str | datetime | None
    until: str | datetime | None
    after_index: int
    before_index: int | None


def leaf_rows(
    sql: Sql, tenant: str, *, limit: int = 1000, **filters: Unpack[LeafFilters]
) -> list[LeafRow]:
    """One page of leaves in log order, `since` inclusive and `until` exclusive, with leaf
    indexes after `after_index` and (when given) before `before_index`."""
    where, params = leaf_filter(tenant, **filters)
    rows = sql.query(
        "SELECT leaf_index, position, event_type, occurred_at, actor, customer_id, template, "
        f"leaf_hash FROM {_LEAVES} WHERE {where} ORDER BY leaf_index LIMIT ?",
        [*params, limit],
    )
    return [
        LeafRow(int(i), int(p), et, oa, ac, cid, tpl, bytes(h))
        for i, p, et, oa, ac, cid, tpl, h in rows
    ]


def leaf_filter(
    tenant: str,
    *,
    customer_id: str | None = None,
    template: str | None = None,
    types: Sequence[str] | None = None,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    after_index: int = -1,
    before_index: int | None = None,
    table: str = _LEAVES,
) -> tuple[str, list[Any]]:
    """The WHERE condition of `leaf_rows` on `table`'s columns, and its parameters."""
    where = [f"{table}.tenant = ?", f"{table}.leaf_index > ?"]
    params: list[Any] = [tenant, after_index]
    if before_index is not None:
        where.append(f"{table}.leaf_index < ?")
        params.append(before_index)
    if customer_id is not None:
        where.append(f"{table}.customer_id = ?")
        params.append(customer_id)
    if template is not None and "/" in template:
        where.append(f"{table}.template = ?")
        params.append(template)
    elif template is not None:  # every language: the labels from "name/" up to "name0"
        where.append(f"{table}.template >= ? AND {table}.template < ?")
        params.extend([f"{template}/", f"{template}0"])
    if types:
        where.append(f"{table}.event_type IN ({', '.join('?' * len(types))})")
        params.extend(types)
    if since is not None:
        where.append(f"{table}.occurred_key >= ?")
        params.append(time_key(since))
    if until is not None:
        where.append(f"{table}.occurred_key < ?")
        params.append(time_key(until))
    return " AND ".join(where), params


def leaf_index_of_position(sql: Sql, tenant: str, position: int) -> int | None:
    index = sql.scalar(
        f"SELECT leaf_index FROM {_LEAVES} WHERE tenant = ? AND position = ?",
        [tenant, position],
    )
    return None if index is None else int(index)


def find_altered(
    sql: Sql, tenant: str, stored: Iterable[tuple[int, bytes]]
) -> Iterator[tuple[int, int]]:
    """(leaf_index, position) of every event whose recomputed leaf differs from its leaf.

    `stored` is (position, leaf bytes) re-read from the event store, in log order. The two
    sequences are merged by position, so a missing or extra event is reported once rather
    than shifting every later comparison: an event with no leaf is reported with the leaf
    index it would have had, a leaf with no event with its own index.
    """
    leaves = _all_leaves(sql, tenant)
    leaf = next(leaves, None)
    next_index = 0
    for position, recomputed in stored:
        while leaf is not None and leaf[1] < position:
            yield leaf[0], leaf[1]
            next_index = leaf[0] + 1
            leaf = next(leaves, None)
        if leaf is None or leaf[1] > position:
            yield next_index, position
            continue
        if leaf[2] != merkle.leaf_hash(recomputed):
            yield leaf[0], position
        next_index = leaf[0] + 1
        leaf = next(leaves, None)
    while leaf is not None:
        yield leaf[0], leaf[1]
        leaf = next(leaves, None)


def find_bad_nodes(sql: Sql, tenant: str) -> Iterator[NodeKey]:
    """(level, index) of every stored subtree hash that its children do not produce.

    Together with `find_altered` this proves the stored tree is the tree of the stored
    events. Walks one level at a time, a page at a time.
    """
    size = tree_size(sql, tenant)
    level = 1
    while size >> level:
        expected_count = size >> level
        after = -1
        while after + 1 < expected_count:
            first = after + 1
            last = min(first + _PAGE, expected_count) - 1
            children = _level_range(sql, tenant, level - 1, 2 * first, 2 * last + 1)
            parents = _level_range(sql, tenant, level, first, last)
            for index in range(first, last + 1):
                left, right = children.get(2 * index), children.get(2 * index + 1)
                stored = parents.get(index)
                if left is None or right is None or stored != merkle.node_hash(left, right):
                    yield level, index
            after = last
        level += 1


# --- helpers -------------------------------------------------------------------------------


def _check_size(sql: Sql, tenant: str, size: int) -> None:
    current = tree_size(sql, tenant)
    if not 0 <= size <= current:
        raise ProofRangeError(f"tree size {size} is outside 0..{current}")


def stored_nodes(sql: Sql, tenant: str, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
    """The stored hashes of these perfect subtrees (level 0 from the leaves table)."""
    found: dict[NodeKey, bytes] = {}
    leaves = [index for level, index in keys if level == 0]
    inner = [key for key in keys if key[0] > 0]
    for indexes in _chunks(leaves):
        marks = ", ".join("?" * len(indexes))
        for index, digest in sql.query(
            f"SELECT leaf_index, leaf_hash FROM {_LEAVES} "
            f"WHERE tenant = ? AND leaf_index IN ({marks})",
            [tenant, *indexes],
        ):
            found[(0, int(index))] = bytes(digest)
    point = (
        f"SELECT level, node_index, hash FROM {_NODES} "
        "WHERE tenant = ? AND level = ? AND node_index = ?"
    )
    for chunk in _chunks(inner):
        # UNION ALL of point lookups: planners may scan the tenant's nodes for an OR list.
        params: list[Any] = []
        for level, index in chunk:
            params.extend((tenant, level, index))
        for level, index, digest in sql.query(" UNION ALL ".join([point] * len(chunk)), params):
            found[(int(level), int(index))] = bytes(digest)
    missing = [key for key in keys if key not in found]
    if missing:
        raise LookupError(f"audit tree of {tenant!r} lacks subtrees {missing[:5]}")
    return found


def _chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), _KEYS_PER_QUERY):
        yield items[start : start + _KEYS_PER_QUERY]


def _all_leaves(sql: Sql, tenant: str) -> Iterator[tuple[int, int, bytes]]:
    after = -1
    while True:
        rows = sql.query(
            f"SELECT leaf_index, position, leaf_hash FROM {_LEAVES} "
            "WHERE tenant = ? AND leaf_index > ? ORDER BY leaf_index LIMIT ?",
            [tenant, after, _PAGE],
        )
        for index, position, digest in rows:
            yield int(index), int(position), bytes(digest)
        if len(rows) < _PAGE:
            return
        after = int(rows[-1][0])


def _level_range(sql: Sql, tenant: str, level: int, first: int, last: int) -> dict[int, bytes]:
    if level == 0:
        rows = sql.query(
            f"SELECT leaf_index, leaf_hash FROM {_LEAVES} "
            "WHERE tenant = ? AND leaf_index BETWEEN ? AND ?",
            [tenant, first, last],
        )
    else:
        rows = sql.query(
            f"SELECT node_index, hash FROM {_NODES} "
            "WHERE tenant = ? AND level = ? AND node_index BETWEEN ? AND ?",
            [tenant, level, first, last],
        )
    return {int(index): bytes(digest) for index, digest in rows}


def time_key(value: str | datetime) -> str:
    """A fixed-width UTC form that sorts as time does ("" when the text is not a time)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
