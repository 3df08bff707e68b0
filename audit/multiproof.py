"""Inclusion proofs for many leaves of one tree at once (pure; see `audit.merkle`).

The RFC 9162 tree of size n is the tree built level by level, pairing nodes left to right
and carrying a lone last node up unchanged: node j of level k covers leaves
[j·2^k, min((j+1)·2^k, n)). A leaf's inclusion proof lists, from the bottom, the sibling
of each of its ancestors that has one.

Given the hashes of the leaves to prove, their ancestors are computed here; only the
siblings that are not ancestors come from the caller's store, all planned first and asked
for in one call. For a run of consecutive leaves that is at most two nodes per level (the
run's left and right neighbours), so a page of proofs costs one small read and about one
hash per leaf instead of O(log n) reads per leaf. Scattered leaves (filtered exports) work
too, with up to one fetched sibling per leaf and level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from audit.merkle import NodeKey, ProofRangeError, fold_subtrees, node_hash, perfect_subtrees

Lookup = Callable[[Sequence[NodeKey]], Mapping[NodeKey, bytes]]


def inclusion_proofs(
    size: int, leaves: Mapping[int, bytes], lookup: Lookup
) -> dict[int, tuple[bytes, ...]]:
    """{leaf index: PATH(index, D[size])} for every leaf of `leaves` (index → leaf hash).

    `lookup` returns the stored hashes of perfect subtrees (level 0: leaf hashes); it is
    called once, with every key the proofs need that `leaves` cannot provide.
    """
    if not leaves:
        return {}
    return _paths(*_tree(size, leaves, lookup))


def inclusion_proofs_json(size: int, leaves: Mapping[int, bytes], lookup: Lookup) -> dict[int, str]:
    """The proofs of `inclusion_proofs` as JSON arrays of hex strings (`["ab…","cd…"]`),
    for export lines: each node's hex is made once and shared by the leaves below it."""
    if not leaves:
        return {}
    return _path_texts(*_tree(size, leaves, lookup))


def subtrees_needed(size: int, indexes: Iterable[int]) -> list[NodeKey]:
    """The keys `inclusion_proofs` would ask `lookup` for, for the leaves `indexes`: read
    them ahead (a page's proofs on a reading thread) and look them up in the result."""
    ordered = sorted(indexes)
    if not ordered:
        return []
    return _lookup_keys(_plan(size, ordered)[3])


def _plan(
    size: int, indexes: list[int]
) -> tuple[list[list[int]], list[list[int]], list[int], dict[NodeKey, list[NodeKey]]]:
    """The leaves' ancestors and outside siblings per level, the last node index per
    level, and the stored subtrees each outside sibling folds."""
    if indexes[0] < 0 or indexes[-1] >= size:
        raise ProofRangeError(f"leaf indexes {indexes[0]}..{indexes[-1]} outside size {size}")
    depth = (size - 1).bit_length()
    lasts = [(size - 1) >> level for level in range(depth + 1)]
    ancestors = _ancestors(indexes, depth)
    siblings = _outside_siblings(ancestors, lasts)
    plans = {
        (level, node): perfect_subtrees(node << level, min((node + 1) << level, size))
        for level, nodes in enumerate(siblings)
        for node in nodes
    }
    return ancestors, siblings, lasts, plans


def _lookup_keys(plans: dict[NodeKey, list[NodeKey]]) -> list[NodeKey]:
    return sorted({key for plan in plans.values() for key in plan})


def _tree(
    size: int, leaves: Mapping[int, bytes], lookup: Lookup
) -> tuple[list[list[int]], list[dict[int, bytes]], list[int]]:
    """The leaves' ancestors per level, the hashes known per level (ancestors and their
    siblings) and the last node index per level."""
    ancestors, siblings, lasts, plans = _plan(size, sorted(leaves))
    stored = lookup(_lookup_keys(plans))
    values: list[dict[int, bytes]] = [dict(leaves)]
    for level in range(len(lasts) - 1):
        known = values[level]
        for node in siblings[level]:
            known[node] = fold_subtrees([stored[key] for key in plans[(level, node)]])
        last = lasts[level]
        above: dict[int, bytes] = {}
        for parent in ancestors[level + 1]:
            left = known[2 * parent]
            right = 2 * parent + 1
            above[parent] = left if right > last else node_hash(left, known[right])
        values.append(above)
    return ancestors, values, lasts


def _ancestors(indexes: Sequence[int], depth: int) -> list[list[int]]:
    """The sorted, distinct ancestors of the sorted `indexes` at each level 0..depth."""
    levels = [list(indexes)]
    for _ in range(depth):
        below = levels[-1]
        above: list[int] = []
        for node in below:
            parent = node >> 1
            if not above or above[-1] != parent:
                above.append(parent)
        levels.append(above)
    return levels


def _outside_siblings(ancestors: list[list[int]], lasts: Sequence[int]) -> list[list[int]]:
    """Per level, the existing siblings of ancestors that are not ancestors themselves."""
    result: list[list[int]] = []
    for level, nodes in enumerate(ancestors[:-1]):
        present = set(nodes)
        last = lasts[level]
        result.append(
            [node ^ 1 for node in nodes if (node ^ 1) <= last and (node ^ 1) not in present]
        )
    return result


def _paths(
    ancestors: list[list[int]], values: list[dict[int, bytes]], lasts: Sequence[int]
) -> dict[int, tuple[bytes, ...]]:
    """Each leaf's path, from the top down: an ancestor's path above its level is shared
    by all the leaves below it, so each level adds one node to its children's paths."""
    above: dict[int, tuple[bytes, ...]] = dict.fromkeys(ancestors[-1], ())
    for level in range(len(ancestors) - 2, -1, -1):
        known, last = values[level], lasts[level]
        paths: dict[int, tuple[bytes, ...]] = {}
        for node in ancestors[level]:
            sibling = node ^ 1
            up = above[node >> 1]
            paths[node] = (known[sibling], *up) if sibling <= last else up
        above = paths
    return above


def _path_texts(
    ancestors: list[list[int]], values: list[dict[int, bytes]], lasts: Sequence[int]
) -> dict[int, str]:
    """`_paths` as the text inside a JSON array (`"ab…","cd…"`), bracketed at the leaves
    (one copy of each leaf's path)."""
    above: dict[int, str] = dict.fromkeys(ancestors[-1], "")
    for level in range(len(ancestors) - 2, 0, -1):
        known, last = values[level], lasts[level]
        paths: dict[int, str] = {}
        for node in ancestors[level]:
            sibling = node ^ 1
            up = above[node >> 1]
            if sibling > last:
                paths[node] = up
            else:
                paths[node] = (
                    f'"{known[sibling].hex()}",{up}' if up else f'"{known[sibling].hex()}"'
                )
        above = paths
    if len(ancestors) == 1:
        return {index: "[]" for index in ancestors[0]}
    known, last = values[0], lasts[0]
    leaves: dict[int, str] = {}
    for node in ancestors[0]:
        sibling = node ^ 1
        up = above[node >> 1]
        if sibling > last:
            leaves[node] = f"[{up}]"
        else:
            leaves[node] = (
                f'["{known[sibling].hex()}",{up}]' if up else f'["{known[sibling].hex()}"]'
            )
    return leaves
